//! Proxies: [`ServantProxy`] sends calls to one object (by function name, with encoded
//! arguments); typed proxies generated from IDL wrap it with one method per IDL method.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::balance::{Balance, Candidate, EndpointHealth};
use crate::codec::{Reader, TarsDecode, TarsStruct};
use crate::discovery::Discover;
use crate::filter::{ClientEndpoint, ClientNext, ClientRequest, ClientResponse};
use crate::protocol::framework::{TARSNORMAL, TARSONEWAY, TARSVERSION};
use crate::protocol::{RequestPacket, ResponsePacket};
use crate::transport::endpoint::Endpoint;
use crate::transport::frame;

use super::communicator::Communicator;
use super::connection::Outcome;
use super::error::{CallError, CallErrorKind};

/// Options of one call.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Overrides the proxy's timeout for this call.
    pub timeout: Option<Duration>,
    /// The request's `context` map.
    pub context: BTreeMap<String, String>,
    /// The request's `status` map.
    pub status: BTreeMap<String, String>,
    /// A hash code: calls with the same code go to the same endpoint.
    pub hash: Option<u64>,
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

    /// Routes by hash code.
    pub fn hash(mut self, code: u64) -> Self {
        self.hash = Some(code);
        self
    }
}

/// A call's result with the reply's `context` and `status` maps.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// The return value and `out` parameters.
    pub value: T,
    /// The reply's `context`.
    pub context: BTreeMap<String, String>,
    /// The reply's `status`.
    pub status: BTreeMap<String, String>,
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
    pub(crate) inner: Arc<ProxyInner>,
    timeout: Duration,
}

pub(crate) struct ProxyInner {
    pub(crate) comm: Communicator,
    pub(crate) name: String,
    pub(crate) discovery: Arc<dyn Discover>,
    pub(crate) balance: Arc<dyn Balance>,
}

impl std::fmt::Debug for ServantProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServantProxy")
            .field("name", &self.inner.name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ServantProxy {
    pub(crate) fn new(inner: ProxyInner, timeout: Duration) -> Self {
        ServantProxy {
            inner: Arc::new(inner),
            timeout,
        }
    }

    /// The object name.
    pub fn name(&self) -> &str {
        &self.inner.name
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

    /// Calls `function` with encoded arguments and returns the reply packet (the server's
    /// return code already checked).
    pub async fn invoke(&self, function: &str, body: Bytes, opts: &CallOptions) -> Result<ResponsePacket, CallError> {
        let timeout = opts.timeout.unwrap_or(self.timeout);
        let (rsp, endpoint) = self.send(function, body, opts, timeout, false).await;
        let rsp = rsp?;
        if rsp.i_ret != 0 {
            let kind = CallErrorKind::Server {
                code: rsp.i_ret,
                message: rsp.s_result_desc.clone(),
            };
            return Err(CallError::new(&self.inner.name, function, endpoint, kind));
        }
        Ok(rsp)
    }

    /// Sends `function` one-way: returns once the request is queued on a connection.
    pub async fn invoke_one_way(&self, function: &str, body: Bytes, opts: &CallOptions) -> Result<(), CallError> {
        let timeout = opts.timeout.unwrap_or(self.timeout);
        self.send(function, body, opts, timeout, true).await.0.map(|_| ())
    }

    /// Sends through the filter chain; also returns the endpoint the call went to.
    async fn send(
        &self,
        function: &str,
        body: Bytes,
        opts: &CallOptions,
        timeout: Duration,
        one_way: bool,
    ) -> (Result<ResponsePacket, CallError>, Option<String>) {
        let packet = RequestPacket {
            i_version: TARSVERSION,
            c_packet_type: if one_way { TARSONEWAY } else { TARSNORMAL },
            i_message_type: 0,
            i_request_id: 0,
            s_servant_name: self.inner.name.clone(),
            s_func_name: function.to_string(),
            s_buffer: body,
            i_timeout: timeout.as_millis().min(i32::MAX as u128) as i32,
            context: opts.context.clone(),
            status: opts.status.clone(),
        };
        let req = ClientRequest {
            packet,
            timeout,
            one_way,
        };
        let transport = Transport {
            proxy: self,
            hash: opts.hash,
            deadline: Instant::now() + timeout,
            used: Default::default(),
        };
        let filters = self.inner.comm.filters();
        let result = tokio::time::timeout(timeout, ClientNext::new(&filters, &transport).run(req)).await;
        let endpoint = transport.used.lock().unwrap_or_else(|e| e.into_inner()).take();
        match result {
            Ok(r) => (r, endpoint),
            Err(_) => (
                Err(CallError::new(
                    &self.inner.name,
                    function,
                    endpoint.clone(),
                    CallErrorKind::Timeout,
                )),
                endpoint,
            ),
        }
    }

    /// Decodes field `tag` of a reply (the return value is tag 0, `out` parameters their
    /// position); a missing field is a client decode error (-12).
    pub fn reply_field<T: TarsDecode>(&self, function: &str, rsp: &ResponsePacket, tag: u8) -> Result<T, CallError> {
        let err =
            |e: crate::codec::DecodeError| CallError::new(&self.inner.name, function, None, CallErrorKind::Decode(e));
        match Reader::from_bytes(&rsp.s_buffer).read_field::<T>(tag) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(err(crate::codec::DecodeError::Custom(format!(
                "the reply has no field with tag {tag}"
            )))),
            Err(e) => Err(err(e)),
        }
    }
}

/// The end of the client filter chain: picks an endpoint, sends, waits.
struct Transport<'a> {
    proxy: &'a ServantProxy,
    hash: Option<u64>,
    deadline: Instant,
    /// The endpoint the call was sent to, for error messages.
    used: std::sync::Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl ClientEndpoint for Transport<'_> {
    async fn send(&self, mut req: ClientRequest) -> Result<ClientResponse, CallError> {
        let p = &self.proxy.inner;
        let func = req.packet.s_func_name.clone();
        let fail = |ep: Option<&Endpoint>, kind| CallError::new(&p.name, &func, ep.map(|e| e.to_string()), kind);
        let endpoints = p
            .discovery
            .endpoints(&p.name)
            .await
            .map_err(|e| fail(None, CallErrorKind::NoEndpoint(e)))?;
        if endpoints.is_empty() {
            return Err(fail(
                None,
                CallErrorKind::NoEndpoint(format!("no endpoint is known for {}", p.name)),
            ));
        }
        let health: Vec<Arc<EndpointHealth>> = endpoints.iter().map(|e| p.comm.health(e)).collect();
        let mut last_error = None;
        // A failed connect is safe to retry elsewhere: nothing was sent.
        for _ in 0..endpoints.len() {
            let candidates: Vec<Candidate<'_>> = endpoints
                .iter()
                .zip(&health)
                .map(|(endpoint, health)| Candidate { endpoint, health })
                .collect();
            let Some(i) = p.balance.pick(&candidates, self.hash) else {
                break;
            };
            let ep = &endpoints[i];
            let conn = match p.comm.connection(ep, self.deadline).await {
                Ok(c) => c,
                Err(e) => {
                    health[i].failure();
                    last_error = Some(fail(Some(ep), CallErrorKind::Connect(Arc::new(e))));
                    continue;
                }
            };
            *self.used.lock().unwrap_or_else(|e| e.into_inner()) = Some(ep.to_string());
            let id = p.comm.next_request_id();
            req.packet.i_request_id = id;
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            req.packet.i_timeout = remaining.as_millis().clamp(1, i32::MAX as u128) as i32;
            let mut buf = BytesMut::with_capacity(64 + req.packet.s_buffer.len());
            frame::encode_frame(&mut buf, |b| req.packet.encode_fields(b));
            if req.one_way {
                conn.send(buf.freeze())
                    .await
                    .map_err(|e| fail(Some(ep), CallErrorKind::Send(e)))?;
                return Ok(ClientResponse::default());
            }
            let pending = conn.register(id);
            if let Err(e) = conn.send(buf.freeze()).await {
                health[i].failure();
                return Err(fail(Some(ep), CallErrorKind::Send(e)));
            }
            let mut pending = pending;
            return match tokio::time::timeout_at(self.deadline.into(), &mut pending.rx).await {
                Ok(Ok(Outcome::Reply(rsp))) => {
                    health[i].success();
                    Ok(rsp)
                }
                Ok(Ok(Outcome::Closed(reason))) => {
                    health[i].failure();
                    Err(fail(Some(ep), CallErrorKind::Send(reason)))
                }
                Ok(Err(_)) => Err(fail(
                    Some(ep),
                    CallErrorKind::Send("connection dropped the call".into()),
                )),
                Err(_) => {
                    // A timeout counts against the endpoint, and may show the connection
                    // is stuck half-way through a reply.
                    health[i].failure();
                    conn.call_timed_out(req.timeout);
                    Err(fail(Some(ep), CallErrorKind::Timeout))
                }
            };
        }
        Err(last_error.unwrap_or_else(|| fail(None, CallErrorKind::NoEndpoint("no endpoint could be used".into()))))
    }
}
