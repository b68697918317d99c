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
pub use crate::protocol::STATUS_GRID_KEY;
pub use crate::server::{Call, Servant};
pub use crate::{Context, Status};
pub use async_trait::async_trait;
pub use serde_json::Value as JsonValue;

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

/// Writes `value` as a nested struct at `tag`.
#[inline]
pub fn encode_struct<T: TarsStruct>(value: &T, tag: u8, buf: &mut BytesMut) {
    write_struct_begin(buf, tag);
    value.encode_fields(buf);
    write_struct_end(buf);
}

/// Reads a nested struct whose StructBegin head has been consumed, through its StructEnd.
#[inline]
pub fn decode_struct<T: TarsStruct>(r: &mut Reader<'_>, ty: TypeCode) -> Result<T, DecodeError> {
    if ty != TypeCode::StructBegin {
        return Err(r.mismatch(T::NAME, ty));
    }
    r.enter()?;
    let value = T::decode_fields(r)?;
    r.skip_to_struct_end()?;
    r.leave();
    Ok(value)
}

/// Writes an enum as its int32 value.
#[inline]
pub fn encode_enum<T: TarsEnum>(value: &T, tag: u8, buf: &mut BytesMut) {
    crate::codec::write_int(buf, tag, value.to_i32() as i64);
}

/// Reads an enum; a value the enum does not declare is an error, never another variant.
#[inline]
pub fn decode_enum<T: TarsEnum>(r: &mut Reader<'_>, ty: TypeCode) -> Result<T, DecodeError> {
    let value = <i32 as TarsDecode>::decode_value(r, ty)?;
    T::from_i32(value).ok_or(DecodeError::UnknownEnumValue { name: T::NAME, value })
}

/// Reads a `require` field.
#[inline]
pub fn read_require<T: TarsDecode>(
    r: &mut Reader<'_>,
    tag: u8,
    struct_name: &'static str,
    field: &'static str,
) -> Result<T, DecodeError> {
    match r.read_field(tag) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(DecodeError::MissingRequired {
            struct_name,
            field,
            tag,
        }),
        Err(e) => Err(in_field(e, struct_name, field, tag)),
    }
}

/// Reads an `optional` field with an explicit default, which `default` computes when the
/// field is absent.
#[inline]
pub fn read_optional_or<T: TarsDecode>(
    r: &mut Reader<'_>,
    tag: u8,
    struct_name: &'static str,
    field: &'static str,
    default: impl FnOnce() -> T,
) -> Result<T, DecodeError> {
    match r.read_field(tag) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Ok(default()),
        Err(e) => Err(in_field(e, struct_name, field, tag)),
    }
}

/// Writes an optional field that has no explicit default, unless it is an empty vector or map.
#[inline]
pub fn write_optional<T: TarsEncode + ?Sized>(value: &T, tag: u8, buf: &mut BytesMut) {
    if !value.is_empty_container() {
        value.encode(tag, buf);
    }
}

/// Writes an optional field unless it equals its explicit default.
#[inline]
pub fn write_optional_default<T, D>(value: &T, default: D, tag: u8, buf: &mut BytesMut)
where
    T: TarsEncode + DefaultEq<D>,
{
    if !value.eq_default(default) {
        value.encode(tag, buf);
    }
}

/// The value of an absent optional field that has no explicit default.
#[inline]
pub fn field_default<T: FieldDefault>() -> T {
    T::field_default()
}

/// `Default`, named so that a missing impl explains itself at the field.
#[diagnostic::on_unimplemented(
    message = "optional field of type `{Self}` needs a value for when it is absent",
    label = "give the field `#[tars(default = ...)]`, or implement `Default` for `{Self}`"
)]
pub trait FieldDefault {
    /// The default.
    fn field_default() -> Self;
}

impl<T: Default> FieldDefault for T {
    #[inline]
    fn field_default() -> Self {
        T::default()
    }
}

#[cold]
fn in_field(e: DecodeError, struct_name: &'static str, field: &'static str, tag: u8) -> DecodeError {
    DecodeError::Field {
        struct_name,
        field,
        tag,
        source: Box::new(e),
    }
}
