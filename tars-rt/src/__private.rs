//! Support for macro-generated code. Not public API: generated code reaches the runtime only
//! through this module, so everything else can change without breaking it.

pub use crate::codec::encode_exact;
pub use bytes::{Bytes, BytesMut};

pub use crate::client::{CallError, CallOptions, Proxy, Reply, ReplyFields, ServantProxy};
pub use crate::idl::{
    idl_field, idl_file, idl_name, leak_slice, leak_str, split_wire_name, IdlDefinitions, IdlType, InterfaceDesc,
    MethodDesc, ParamDesc, TarsType,
};
pub use crate::protocol::json::{self, JsonError, TarsJson};
pub use crate::protocol::{Args, Encoding, STATUS_GRID_KEY};
pub use crate::server::Context;
pub use crate::server::{Call, ConnectionHooks, Servant};
pub use crate::Status;
pub use async_trait::async_trait;
pub use serde_json::Value as JsonValue;

pub use crate::codec::generated::*;
pub use crate::codec::{
    write_struct_begin, write_struct_end, DecodeError, DefaultEq, Reader, TarsDecode, TarsEncode, TarsEnum, TarsStruct,
    TypeCode, UByte,
};

/// The options of a call whose `routekey` parameter is `key`: `key` goes into the request's
/// status as `STATUS_GRID_KEY` (as tars2cpp's proxies do), and the call is routed by its hash
/// unless the options already route it.
pub fn route_key<K: RouteKey + ?Sized>(opts: &CallOptions, key: &K) -> CallOptions {
    let key = key.route_key();
    let mut opts = opts.clone();
    if opts.hash.is_none() {
        opts = opts.hash_key(&key);
    }
    opts.status(STATUS_GRID_KEY, key)
}

/// A `routekey` parameter's value as text.
#[diagnostic::on_unimplemented(
    message = "a `routekey` parameter must be a string or an integer, not `{Self}`",
    label = "used as a route key"
)]
pub trait RouteKey {
    /// The key.
    fn route_key(&self) -> String;
}

impl RouteKey for str {
    fn route_key(&self) -> String {
        self.to_string()
    }
}

impl RouteKey for String {
    fn route_key(&self) -> String {
        self.clone()
    }
}

impl<T: RouteKey + ?Sized> RouteKey for &T {
    fn route_key(&self) -> String {
        (**self).route_key()
    }
}

macro_rules! int_route_key {
    ($($t:ty),*) => {$(
        impl RouteKey for $t {
            fn route_key(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_route_key!(i8, i16, i32, i64, u8, u16, u32, bool);

#[cfg(feature = "protobuf")]
pub use protobuf::*;

/// The codec of protobuf servants and proxies (`include_proto!`): a call's `sBuffer` is the
/// protobuf encoding of the request message itself, the reply's that of the response, as
/// TarsGo's `protoc-gen-go-tarsrpc` code sends them.
#[cfg(feature = "protobuf")]
mod protobuf {
    pub use crate::protobuf::{prost, prost_types};

    use super::{Bytes, CallError, ServantProxy};
    use crate::client::{CallErrorKind, ClientResponse};
    use crate::codec::DecodeError;

    /// The request's `sBuffer`: `message` encoded.
    pub fn proto_encode<M: prost::Message>(message: &M) -> Bytes {
        Bytes::from(message.encode_to_vec())
    }

    /// The reply of `function`, decoded as `M` (a client decode error, -12, if it is not one).
    pub fn proto_reply<M: prost::Message + Default>(
        proxy: &ServantProxy,
        function: &str,
        rsp: &ClientResponse,
    ) -> Result<M, CallError> {
        M::decode(rsp.packet.s_buffer.clone()).map_err(|e| {
            let kind = CallErrorKind::Decode(DecodeError::Custom(format!("protobuf reply: {e}")));
            CallError::new(proxy.name(), function, rsp.endpoint.clone(), kind)
        })
    }
}
