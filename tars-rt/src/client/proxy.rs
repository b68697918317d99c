//! Proxies: [`ServantProxy`] sends calls to one object (by function name, with encoded
//! arguments); typed proxies generated from IDL wrap it with one method per IDL method.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::balance::{hash_string, Balance, HashKey};
use crate::codec::{Reader, TarsDecode};
use crate::context::Current;
use crate::discovery::Target;
use crate::protocol::RequestPacket;
use crate::protocol::{TARSNORMAL, TARSONEWAY, TARSVERSION};
use crate::transport::endpoint::Endpoint;

use super::error::{CallError, CallErrorKind};
use super::path::CallPath;
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
}

/// A proxy to one object: cheap to clone, shares the communicator's connections.
#[derive(Clone)]
pub struct ServantProxy {
    inner: Arc<ProxyInner>,
    timeout: Duration,
}

struct ProxyInner {
    path: Arc<CallPath>,
    router: Router,
    /// Calls in flight through this proxy and its clones, at most `max_in_flight`.
    in_flight: AtomicUsize,
    max_in_flight: usize,
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
            }),
            timeout,
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

    /// The same object with another balancing policy (the communicator's by default).
    pub fn with_balance(&self, balance: Arc<dyn Balance>) -> Self {
        let router = self.inner.router.rebuilt(self.inner.router.target.clone(), balance);
        ServantProxy::new(self.inner.path.clone(), router, self.timeout, self.inner.max_in_flight)
    }

    /// The same object looked up in `set` (`name.area.group`), as TarsGo's `WithSet`; the
    /// calls carry the set name to the server. `None` leaves the set.
    pub fn with_set(&self, set: Option<&str>) -> Self {
        let target = Target::new(self.name()).in_set(set.map(String::from));
        let router = self.inner.router.rebuilt(target, self.inner.router.balance());
        ServantProxy::new(self.inner.path.clone(), router, self.timeout, self.inner.max_in_flight)
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
            i_version: TARSVERSION,
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
        };
        self.inner.path.call(&self.inner.router, req).await
    }

    /// Decodes field `tag` of a reply (the return value is tag 0, `out` parameters their
    /// position); a missing field is a client decode error (-12).
    pub fn reply_field<T: TarsDecode>(&self, function: &str, rsp: &ClientResponse, tag: u8) -> Result<T, CallError> {
        self.reply_fields(function, rsp).read(tag)
    }

    /// Reads the fields of a reply in one pass, in ascending tag order (the return value at
    /// tag 0, then the `out` parameters).
    pub fn reply_fields<'a>(&'a self, function: &'a str, rsp: &'a ClientResponse) -> ReplyFields<'a> {
        ReplyFields {
            reader: Reader::from_bytes(&rsp.packet.s_buffer),
            proxy: self,
            function,
            rsp,
        }
    }
}

/// The fields of a reply, read in ascending tag order (see [`ServantProxy::reply_fields`]).
pub struct ReplyFields<'a> {
    reader: Reader<'a>,
    proxy: &'a ServantProxy,
    function: &'a str,
    rsp: &'a ClientResponse,
}

impl ReplyFields<'_> {
    /// Reads field `tag` (after the ones read before); a missing field is a client decode
    /// error (-12).
    pub fn read<T: TarsDecode>(&mut self, tag: u8) -> Result<T, CallError> {
        let err = |e: crate::codec::DecodeError| {
            let endpoint = self.rsp.endpoint.clone();
            CallError::new(self.proxy.name(), self.function, endpoint, CallErrorKind::Decode(e))
        };
        match self.reader.read_field::<T>(tag) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(err(crate::codec::DecodeError::Custom(format!(
                "the reply has no field with tag {tag}"
            )))),
            Err(e) => Err(err(e)),
        }
    }
}
