//! What a servant method knows about the call it is serving, and what the calls it makes
//! inherit from it.
//!
//! [`Context`] is the call being served: the caller's address, the request's `context` and
//! `status` maps, its deadline, its dye and trace; and what the method adds to the response
//! (its `context` and `status` maps). Methods receive it as an explicit `&Context`
//! parameter: it shows in the signature which methods look at the call, and it can be built
//! in unit tests without a server.
//!
//! [`Current`] is what the request passes on, without the user threading anything: while a
//! servant handles a request, every call it makes through any proxy carries the request's
//! trace context and dye, and at most what is left of its deadline. It lives in a
//! task-local; [`spawn`] starts a task that keeps it (a plain `tokio::spawn` does not).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::protocol::STATUS_DYED_KEY;
use crate::protocol::TARSMESSAGETYPEDYED;
use crate::trace::TraceContext;

tokio::task_local! {
    static CURRENT: Arc<Current>;
}

/// What a request being served passes on to the calls made while serving it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Current {
    /// When the request's caller stops waiting: calls made meanwhile wait no longer.
    pub deadline: Option<Instant>,
    /// The request's dye (`STATUS_DYED_KEY`): calls made meanwhile are dyed the same.
    pub dye: Option<String>,
    /// The request's trace context at this server (its span is the server's span): calls
    /// made meanwhile are its children.
    pub trace: Option<TraceContext>,
}

impl Current {
    /// The context that `deadline` bounds: calls made within it wait no longer.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The context that dyes every call made within it with `key`.
    pub fn dye(mut self, key: impl Into<String>) -> Self {
        self.dye = Some(key.into());
        self
    }

    /// The context whose calls continue `trace` (their spans its children).
    pub fn trace(mut self, trace: TraceContext) -> Self {
        self.trace = Some(trace);
        self
    }

    /// The current request's, if the task runs within one.
    pub fn get() -> Option<Arc<Current>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// Runs `fut` with `self` as the current request's context (the server does this for
    /// every request; a client may do it to dye or trace a batch of calls).
    pub async fn scope<F: std::future::Future>(self: Arc<Self>, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }
}

/// Spawns a task that keeps the current request's context: its calls inherit the trace,
/// the dye and the deadline as the request's own would.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match Current::get() {
        Some(current) => tokio::spawn(CURRENT.scope(current, fut)),
        None => tokio::spawn(fut),
    }
}

/// The call being served.
#[derive(Debug)]
pub struct Context {
    peer: SocketAddr,
    servant: String,
    function: String,
    request_id: i32,
    version: i16,
    packet_type: i8,
    message_type: i32,
    request_context: BTreeMap<String, String>,
    request_status: BTreeMap<String, String>,
    received: Instant,
    deadline: Option<Instant>,
    trace: Option<TraceContext>,
    response: Mutex<ResponseMaps>,
}

#[derive(Debug, Default)]
struct ResponseMaps {
    context: BTreeMap<String, String>,
    status: BTreeMap<String, String>,
}

impl Context {
    /// A context for a call from `peer` (used by the server, and by tests of servants).
    pub fn new(peer: SocketAddr, servant: impl Into<String>, function: impl Into<String>) -> Self {
        Context {
            peer,
            servant: servant.into(),
            function: function.into(),
            request_id: 0,
            version: 1,
            packet_type: 0,
            message_type: 0,
            request_context: BTreeMap::new(),
            request_status: BTreeMap::new(),
            received: Instant::now(),
            deadline: None,
            trace: None,
            response: Mutex::default(),
        }
    }

    /// The context of `req`, taking its names and maps (the body has been handed to the call).
    pub(crate) fn from_request(
        peer: SocketAddr,
        req: crate::protocol::RequestPacket,
        received: Instant,
        trace: Option<TraceContext>,
    ) -> Self {
        let deadline = (req.i_timeout > 0).then(|| received + Duration::from_millis(req.i_timeout as u64));
        Context {
            peer,
            servant: req.s_servant_name,
            function: req.s_func_name,
            request_id: req.i_request_id,
            version: req.i_version,
            packet_type: req.c_packet_type,
            message_type: req.i_message_type,
            request_context: req.context,
            request_status: req.status,
            received,
            deadline,
            trace,
            response: Mutex::default(),
        }
    }

    /// The caller's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The servant (object) name called.
    pub fn servant(&self) -> &str {
        &self.servant
    }

    /// The function called.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The request id on the caller's connection.
    pub fn request_id(&self) -> i32 {
        self.request_id
    }

    /// The protocol version: 1 TARS, 2/3 TUP, 5 JSON.
    pub fn version(&self) -> i16 {
        self.version
    }

    /// Whether the caller expects no response (`cPacketType = 1`).
    pub fn is_one_way(&self) -> bool {
        self.packet_type == crate::protocol::TARSONEWAY
    }

    /// The `iMessageType` flags (hash, dyed, trace, …).
    pub fn message_type(&self) -> i32 {
        self.message_type
    }

    /// The request's `context` map.
    pub fn request_context(&self) -> &BTreeMap<String, String> {
        &self.request_context
    }

    /// The request's `status` map (framework keys: dyeing, tracing, set name, …).
    pub fn request_status(&self) -> &BTreeMap<String, String> {
        &self.request_status
    }

    /// When the request was read off the connection.
    pub fn received_at(&self) -> Instant {
        self.received
    }

    /// When the caller stops waiting (`iTimeout` after the request arrived), if it said.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline; `None` without one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The request's dye (`STATUS_DYED_KEY` with the DYED flag), if it is dyed: the calls
    /// made while serving it are dyed the same.
    pub fn dye_key(&self) -> Option<&str> {
        if self.message_type & TARSMESSAGETYPEDYED == 0 {
            return None;
        }
        self.request_status.get(STATUS_DYED_KEY).map(String::as_str)
    }

    /// Whether the request is dyed.
    pub fn is_dyed(&self) -> bool {
        self.dye_key().is_some()
    }

    /// The request's trace context at this server, if it belongs to a trace: the trace id,
    /// and this server's span.
    pub fn trace(&self) -> Option<&TraceContext> {
        self.trace.as_ref()
    }

    /// Adds a key to the response's `context` map.
    pub fn set_response_context(&self, key: impl Into<String>, value: impl Into<String>) {
        self.lock_response().context.insert(key.into(), value.into());
    }

    /// The response `context` set so far.
    pub fn response_context(&self) -> BTreeMap<String, String> {
        self.lock_response().context.clone()
    }

    /// Adds a key to the response's `status` map (as TarsGo's `current.SetResponseStatus`).
    pub fn set_response_status(&self, key: impl Into<String>, value: impl Into<String>) {
        self.lock_response().status.insert(key.into(), value.into());
    }

    /// The response `status` set so far.
    pub fn response_status(&self) -> BTreeMap<String, String> {
        self.lock_response().status.clone()
    }

    /// The response maps set by the servant: (`context`, `status`).
    pub(crate) fn take_response_maps(&self) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut r = self.lock_response();
        (std::mem::take(&mut r.context), std::mem::take(&mut r.status))
    }

    fn lock_response(&self) -> std::sync::MutexGuard<'_, ResponseMaps> {
        // A panic while holding this lock leaves maps that are still valid.
        crate::sync::lock(&self.response)
    }

    /// Sets the request maps (for tests of servants and filters).
    pub fn with_request_maps(mut self, context: BTreeMap<String, String>, status: BTreeMap<String, String>) -> Self {
        self.request_context = context;
        self.request_status = status;
        self
    }

    /// Sets the deadline (for tests).
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }
}
