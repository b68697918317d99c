//! What a servant method knows about the call it is serving: the caller's address, the
//! request's `context` and `status` maps, its deadline; and what it can add to the response
//! (the response `context`).
//!
//! Methods receive it as an explicit `&Context` parameter rather than through a task-local:
//! it shows in the signature which methods look at the call, it can be built in unit tests
//! without a server, and it does not silently disappear when a method spawns a task.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    response_context: Mutex<BTreeMap<String, String>>,
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
            response_context: Mutex::new(BTreeMap::new()),
        }
    }

    /// The context of `req`, taking its names and maps (the body has been handed to the call).
    pub(crate) fn from_request(peer: SocketAddr, req: crate::protocol::RequestPacket, received: Instant) -> Self {
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
            response_context: Mutex::new(BTreeMap::new()),
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
        self.packet_type == crate::protocol::framework::TARSONEWAY
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

    /// Adds a key to the response's `context` map.
    pub fn set_response_context(&self, key: impl Into<String>, value: impl Into<String>) {
        self.lock_response().insert(key.into(), value.into());
    }

    /// The response `context` set so far.
    pub fn response_context(&self) -> BTreeMap<String, String> {
        self.lock_response().clone()
    }

    pub(crate) fn take_response_context(&self) -> BTreeMap<String, String> {
        std::mem::take(&mut *self.lock_response())
    }

    fn lock_response(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        // A panic while holding this lock leaves a map that is still valid.
        self.response_context.lock().unwrap_or_else(|e| e.into_inner())
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
