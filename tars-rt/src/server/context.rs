//! The call being served, as a servant method sees it.
//!
//! [`Context`] is the caller's address, the request's `context` and `status` maps, its
//! deadline, its dye and trace, the connection it came on (to push to it later); and what the
//! method adds to the response (its `context` and `status` maps). Methods receive it as an
//! explicit `&Context` parameter: it shows in the signature which methods look at the call,
//! and it can be built in unit tests without a server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::protocol::STATUS_DYED_KEY;
use crate::protocol::TARSMESSAGETYPEDYED;
use crate::trace::TraceContext;

use super::push::PushSender;

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
    push: Option<PushSender>,
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
            push: None,
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
            push: None,
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

    /// Pushes to the caller's connection, now or later, from any task (see
    /// [`crate::server::push`]): keep it to send the caller messages after this request has
    /// been answered. `None` when the request came another way than a connection (a context
    /// built in a test).
    pub fn push_sender(&self) -> Option<PushSender> {
        self.push.clone()
    }

    /// Sets the connection the request came on (the server does; tests of servants may).
    pub fn with_push_sender(mut self, push: Option<PushSender>) -> Self {
        self.push = push;
        self
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
