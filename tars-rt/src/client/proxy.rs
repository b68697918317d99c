//! Proxies: [`ServantProxy`] sends calls to one object (by function name, with encoded
//! arguments); typed proxies generated from IDL wrap it with one method per IDL method.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::balance::{hash_string, Balance, HashKey};
use crate::codec::{DecodeError, Reader, TarsDecode};
use crate::context::Current;
use crate::discovery::Target;
use crate::protocol::json::TarsJson;
use crate::protocol::{tup, Encoding, RequestPacket};
use crate::protocol::{TARSNORMAL, TARSONEWAY};
use crate::transport::endpoint::Endpoint;

use super::error::{CallError, CallErrorKind};
use super::path::CallPath;
use super::push::{PushHub, PushStream};
use super::request::{CallResult, ClientRequest, ClientResponse};
use super::routing::Router;

/// Options of one call.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// Overrides the proxy's timeout for this call.
    pub timeout: Option<Duration>,
    /// The request's `context` map.
    pub context: BTreeMap<String, String>,
    /// The request's `status` map.
    pub status: BTreeMap<String, String>,
    /// Routes the call by hash: calls with the same key go to the same endpoint.
    pub hash: Option<HashKey>,
    /// Dyes the call (`STATUS_DYED_KEY`, DYED flag) with this key.
    pub dye: Option<String>,
    /// Inherits nothing from the request being served (trace, dye, deadline).
    pub detached: bool,
    /// Overrides the proxy's protocol (how the arguments and results are encoded) for this
    /// call.
    pub protocol: Option<Encoding>,
}

impl CallOptions {
    /// Default options.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a request context entry.
    pub fn context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.insert(key.into(), value.into());
        self
    }

    /// Adds a request status entry.
    pub fn status(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.status.insert(key.into(), value.into());
        self
    }

    /// Routes by `code` modulo the endpoint count (TarsGo's mod hash).
    pub fn hash(mut self, code: u32) -> Self {
        self.hash = Some(HashKey::Mod(code));
        self
    }

    /// Routes by `code` on a consistent-hash (Ketama) ring.
    pub fn consistent_hash(mut self, code: u32) -> Self {
        self.hash = Some(HashKey::Consistent(code));
        self
    }

    /// Dyes the call: it carries `key` as `STATUS_DYED_KEY` with the DYED flag (0x04), and
    /// the servers it reaches pass the dye on.
    pub fn dye(mut self, key: impl Into<String>) -> Self {
        self.dye = Some(key.into());
        self
    }

    /// Makes the call inherit nothing from the request being served: no trace, no dye, and
    /// its own timeout whatever is left of the request's (background work).
    pub fn detached(mut self) -> Self {
        self.detached = true;
        self
    }

    /// Encodes this call's arguments and results as `protocol` says, whatever the proxy's.
    pub fn protocol(mut self, protocol: Encoding) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Routes by a string key, hashed as TarsGo's `HashString` (mod hash).
    pub fn hash_key(self, key: &str) -> Self {
        self.hash(hash_string(key))
    }

    /// Routes by a string key on a consistent-hash ring.
    pub fn consistent_hash_key(self, key: &str) -> Self {
        self.consistent_hash(hash_string(key))
    }
}

/// A call's result with the reply's `context` and `status` maps.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reply<T> {
    /// The return value and `out` parameters.
    pub value: T,
    /// The reply's `context`.
    pub context: BTreeMap<String, String>,
    /// The reply's `status`.
    pub status: BTreeMap<String, String>,
    /// The endpoint that answered.
    pub endpoint: Option<Arc<Endpoint>>,
}

/// A typed proxy generated from an IDL interface.
pub trait Proxy: Sized {
    /// Wraps an untyped proxy.
    fn from_servant_proxy(proxy: ServantProxy) -> Self;
    /// The untyped proxy inside.
    fn servant_proxy(&self) -> &ServantProxy;

    /// The messages the servers this proxy calls push to it: see
    /// [`ServantProxy::on_push`].
    fn on_push(&self) -> PushStream {
        self.servant_proxy().on_push()
    }
}

/// A proxy to one object: cheap to clone, shares the communicator's connections.
#[derive(Clone)]
pub struct ServantProxy {
    inner: Arc<ProxyInner>,
    timeout: Duration,
    protocol: Encoding,
}

struct ProxyInner {
    path: Arc<CallPath>,
    router: Router,
    /// Calls in flight through this proxy and its clones, at most `max_in_flight`.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    /// The proxy's push streams, once it has one ([`ServantProxy::on_push`]).
    pushes: OnceLock<Arc<PushHub>>,
}

/// One call in flight through a proxy; counts down on drop.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for ServantProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServantProxy")
            .field("target", &self.inner.router.target)
            .field("timeout", &self.timeout)
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl ServantProxy {
    pub(crate) fn new(path: Arc<CallPath>, router: Router, timeout: Duration, max_in_flight: usize) -> Self {
        ServantProxy {
            inner: Arc::new(ProxyInner {
                path,
                router,
                in_flight: AtomicUsize::new(0),
                max_in_flight: max_in_flight.max(1),
                pushes: OnceLock::new(),
            }),
            timeout,
            protocol: Encoding::Tars,
        }
    }

    /// The object name.
    pub fn name(&self) -> &str {
        &self.inner.router.target.object
    }

    /// The set the object is looked up in, if any.
    pub fn set(&self) -> Option<&str> {
        self.inner.router.target.set.as_deref()
    }

    /// The default timeout of calls through this proxy.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets the default timeout (TarsCpp's `tars_timeout`, TarsGo's `TarsSetTimeout`).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The same proxy with another default timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The protocol of calls through this proxy: how their arguments and results are encoded
    /// (TARS unless the object's config or [`ServantProxy::set_protocol`] says otherwise).
    pub fn protocol(&self) -> Encoding {
        self.protocol
    }

    /// Sets the protocol of calls through this proxy (TarsGo's `TarsSetProtocol`, TarsCpp's
    /// `tars_set_protocol`): TARS (`iVersion` 1), TUP v3 or v2 (arguments by name, for gateways
    /// and TarsJava-era services) or JSON (`iVersion` 5).
    pub fn set_protocol(&mut self, protocol: Encoding) {
        self.protocol = protocol;
    }

    /// The same proxy with another protocol (see [`ServantProxy::set_protocol`]).
    pub fn with_protocol(mut self, protocol: Encoding) -> Self {
        self.protocol = protocol;
        self
    }

    /// The protocol of a call with `opts`: theirs if they set one, else the proxy's.
    pub fn protocol_for(&self, opts: &CallOptions) -> Encoding {
        opts.protocol.unwrap_or(self.protocol)
    }

    /// The same object with another balancing policy (the communicator's by default).
    pub fn with_balance(&self, balance: Arc<dyn Balance>) -> Self {
        let router = self.inner.router.rebuilt(self.inner.router.target.clone(), balance);
        ServantProxy::new(self.inner.path.clone(), router, self.timeout, self.inner.max_in_flight)
            .with_protocol(self.protocol)
    }

    /// The same object looked up in `set` (`name.area.group`), as TarsGo's `WithSet`; the
    /// calls carry the set name to the server. `None` leaves the set.
    pub fn with_set(&self, set: Option<&str>) -> Self {
        let target = Target::new(self.name()).in_set(set.map(String::from));
        let router = self.inner.router.rebuilt(target, self.inner.router.balance());
        ServantProxy::new(self.inner.path.clone(), router, self.timeout, self.inner.max_in_flight)
            .with_protocol(self.protocol)
    }

    /// Calls `function` with encoded arguments and returns the reply (the server's return
    /// code already checked).
    pub async fn invoke(&self, function: &str, body: Bytes, opts: &CallOptions) -> Result<ClientResponse, CallError> {
        let rsp = self.send(function, body, opts, false).await?;
        if rsp.packet.i_ret != 0 {
            let kind = CallErrorKind::Server {
                code: rsp.packet.i_ret,
                message: rsp.packet.s_result_desc,
            };
            return Err(CallError::new(self.name(), function, rsp.endpoint, kind));
        }
        Ok(rsp)
    }

    /// Sends `function` one-way: returns once the request is queued on a connection.
    pub async fn invoke_one_way(&self, function: &str, body: Bytes, opts: &CallOptions) -> Result<(), CallError> {
        self.send(function, body, opts, true).await.map(|_| ())
    }

    /// Builds the call's request (layer 1 of the path, see [`super::path`]) and sends it
    /// down the path.
    async fn send(&self, function: &str, body: Bytes, opts: &CallOptions, one_way: bool) -> CallResult {
        let inner = &*self.inner;
        if inner.in_flight.fetch_add(1, Ordering::Relaxed) >= inner.max_in_flight {
            inner.in_flight.fetch_sub(1, Ordering::Relaxed);
            let kind = CallErrorKind::QueueFull {
                limit: inner.max_in_flight,
            };
            return Err(CallError::new(self.name(), function, None, kind));
        }
        let _in_flight = InFlight(&inner.in_flight);
        // What the request being served passes on: at most what is left of its deadline here,
        // and (in the scope layer) its dye and trace.
        let parent = if opts.detached { None } else { Current::get() };
        let mut deadline = Instant::now() + opts.timeout.unwrap_or(self.timeout);
        if let Some(inherited) = parent.as_ref().and_then(|c| c.deadline) {
            deadline = deadline.min(inherited);
        }
        let mut status = opts.status.clone();
        // A hash call changes the route, not the packet: TarsGo and TarsCpp set no HASH flag
        // (0x01). A caller in a set names it, as TarsCpp does (TarsGo only looks up by set).
        let mut message_type = 0;
        if let Some(set) = &self.inner.router.target.set {
            message_type |= super::set::mark(&mut status, set);
        }
        let packet = RequestPacket {
            i_version: self.protocol_for(opts).version(),
            c_packet_type: if one_way { TARSONEWAY } else { TARSNORMAL },
            i_message_type: message_type,
            i_request_id: 0,
            s_servant_name: self.name().to_string(),
            s_func_name: function.to_string(),
            s_buffer: body,
            i_timeout: 0,
            context: opts.context.clone(),
            status,
        };
        let req = ClientRequest {
            packet,
            deadline,
            one_way,
            hash: opts.hash,
            dye: opts.dye.clone(),
            parent,
            endpoint: None,
            push_to: inner.pushes.get().cloned(),
        };
        self.inner.path.call(&self.inner.router, req).await
    }

    /// The messages the servers this proxy calls push to it (see [`super::push`]): from now
    /// on, every connection a call through this proxy (or a clone) uses hands its pushes to
    /// the stream. Subscribe first, then make the call that registers with the server.
    /// Each stream gets every event; drop it to stop.
    pub fn on_push(&self) -> PushStream {
        self.inner.pushes.get_or_init(Arc::default).subscribe()
    }

    /// Decodes the result `name` (tag `tag`) of a reply: the return value is tag 0 with the
    /// empty name, `out` parameters have their position and IDL name. A missing result is a
    /// client decode error (-12).
    pub fn reply_field<T: TarsDecode + TarsJson>(
        &self,
        function: &str,
        rsp: &ClientResponse,
        tag: u8,
        name: &str,
    ) -> Result<T, CallError> {
        self.reply_fields(function, rsp).read(tag, name)
    }

    /// Reads the results of a reply, in the reply's encoding (its `iVersion`): by tag for TARS,
    /// in ascending tag order (the return value at tag 0, then the `out` parameters); by name
    /// for TUP and JSON.
    pub fn reply_fields<'a>(&'a self, function: &'a str, rsp: &'a ClientResponse) -> ReplyFields<'a> {
        let packet = &rsp.packet;
        let body = match Encoding::from_version(packet.i_version) {
            Some(Encoding::Tars) | None => Body::Tars(Reader::from_bytes(&packet.s_buffer)),
            Some(Encoding::TupV3) => tup_body(&packet.s_buffer, tup::Version::V3),
            Some(Encoding::TupV2) => tup_body(&packet.s_buffer, tup::Version::V2),
            Some(Encoding::Json) => json_body(&packet.s_buffer),
        };
        ReplyFields {
            body,
            proxy: self,
            function,
            rsp,
        }
    }
}

fn tup_body(bytes: &Bytes, version: tup::Version) -> Body<'_> {
    match tup::UniAttribute::decode_values(&mut Reader::from_bytes(bytes), version) {
        Ok(values) => Body::Tup(values),
        Err(e) => Body::Invalid(DecodeError::Custom(format!("TUP reply body: {e}"))),
    }
}

fn json_body(bytes: &Bytes) -> Body<'static> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(o)) => Body::Json(o),
        Ok(_) => Body::Invalid(DecodeError::Custom(
            "JSON reply body: expected an object keyed by result names".into(),
        )),
        Err(e) => Body::Invalid(DecodeError::Custom(format!("JSON reply body: {e}"))),
    }
}

/// The results of a reply (see [`ServantProxy::reply_fields`]).
pub struct ReplyFields<'a> {
    body: Body<'a>,
    proxy: &'a ServantProxy,
    function: &'a str,
    rsp: &'a ClientResponse,
}

/// A reply's body as its encoding lays it out.
enum Body<'a> {
    Tars(Reader<'a>),
    Tup(BTreeMap<String, Bytes>),
    Json(serde_json::Map<String, serde_json::Value>),
    /// A body that is not what its encoding says: every read fails with this.
    Invalid(DecodeError),
}

/// The name TarsGo gives a return value in TUP and JSON replies (TarsCpp and Node.js give it
/// the empty name in TUP).
const TARS_RET: &str = "tars_ret";

impl ReplyFields<'_> {
    /// Reads the result `name` with tag `tag`: the return value is tag 0 with the empty name,
    /// `out` parameters have their position and IDL name. TARS replies are read by tag (after
    /// the results read before), TUP and JSON replies by name (the return value under `""`,
    /// else `tars_ret`, in TUP; under `tars_ret` in JSON). A missing result is a client decode
    /// error (-12).
    pub fn read<T: TarsDecode + TarsJson>(&mut self, tag: u8, name: &str) -> Result<T, CallError> {
        let result = match &mut self.body {
            Body::Tars(reader) => match reader.read_field::<T>(tag) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(DecodeError::Custom(format!("the reply has no field with tag {tag}"))),
                Err(e) => Err(e),
            },
            Body::Tup(values) => read_tup(values, name),
            Body::Json(o) => read_json(o, name),
            Body::Invalid(e) => Err(e.clone()),
        };
        result.map_err(|e| {
            let endpoint = self.rsp.endpoint.clone();
            CallError::new(self.proxy.name(), self.function, endpoint, CallErrorKind::Decode(e))
        })
    }
}

fn no_result(name: &str) -> DecodeError {
    DecodeError::Custom(format!("the reply has no result '{name}'"))
}

fn read_tup<T: TarsDecode>(values: &BTreeMap<String, Bytes>, name: &str) -> Result<T, DecodeError> {
    let bytes = match values.get(name) {
        None if name.is_empty() => values.get(TARS_RET),
        found => found,
    };
    let bytes = bytes.ok_or_else(|| no_result(name))?;
    Reader::from_bytes(bytes)
        .read_field::<T>(0)?
        .ok_or_else(|| DecodeError::Custom(format!("the reply's result '{name}' is empty")))
}

fn read_json<T: TarsJson>(o: &serde_json::Map<String, serde_json::Value>, name: &str) -> Result<T, DecodeError> {
    let key = if name.is_empty() { TARS_RET } else { name };
    let v = o.get(key).ok_or_else(|| no_result(key))?;
    T::from_json(v).map_err(|e| DecodeError::Custom(format!("the reply's result '{key}': {e}")))
}
