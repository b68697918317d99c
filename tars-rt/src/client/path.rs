//! The path of a call through the client, built once per communicator. Its layers, in the
//! order a call goes down them, each with one job:
//!
//! 1. **proxy** ([`ServantProxy`](super::ServantProxy)): encodes the arguments and builds a
//!    [`ClientRequest`] with one deadline: the call's timeout, and at most what is left of the
//!    request being served (its `parent`);
//! 2. **per-call filters** ([`CommunicatorBuilder::filter`](super::CommunicatorBuilder::filter)),
//!    outermost first: they may read or change the request (its deadline too), answer it, or
//!    look at the reply;
//! 3. **scope** (`super::scope`): the parent's dye and trace go into the request's `status`,
//!    and the call gets its `tracing` span; **stat**: when the call ends, the communicator's
//!    [`CallObserver`] hears how and how long (the framework wing counts it for tarsstat);
//! 4. **deadline**: everything below runs within the request's deadline; a call that runs
//!    out of time fails with -7, counts against its endpoint, and lets go of a connection
//!    whose reply stopped half-way;
//! 5. **routing** (`super::routing`): discovery's endpoints, the balancer, endpoint health,
//!    and another endpoint when the request could not be sent;
//! 6. **per-attempt filters**
//!    ([`CommunicatorBuilder::attempt_filter`](super::CommunicatorBuilder::attempt_filter)):
//!    once per endpoint tried, with the endpoint in `req.endpoint`;
//! 7. **connection** (`super::pool`, `super::connection`): the endpoint's one multiplexed
//!    connection, dialled once for all callers; the request id, `iTimeout` (what is left of
//!    the deadline, written once, as the request leaves), the frame, and the reply.
//!
//! With no filters, each layer calls the next directly: nothing is boxed per call.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tracing::Instrument;

use crate::codec::TarsStruct;
use crate::filter::{BoxFuture, Chain, End};
use crate::protocol::RequestPacket;
use crate::transport::frame;

use crate::trace::chain::{Annotation, ChainLog};

use super::connection::Delivered;
use super::error::{CallErrorKind, ConnectionError};
use super::observe::{CallObserver, EndedCall};
use super::pool::{Pool, Remote};
use super::request::{CallResult, ClientRequest, ClientResponse};
use super::routing::{Attempt, Router, Whereabouts};

/// One communicator's call path (see the module docs). Proxies share it.
pub(crate) struct CallPath {
    /// The connections, shared by every communicator made from the same one.
    pub(crate) pool: Arc<Pool>,
    per_call: Chain<ClientRequest, CallResult>,
    per_attempt: Chain<ClientRequest, CallResult>,
    observer: Option<Arc<dyn CallObserver>>,
    /// TarsWeb's call chain, when the framework wing logs it.
    chain: Option<Arc<ChainLog>>,
}

impl CallPath {
    pub(crate) fn new(
        pool: Arc<Pool>,
        per_call: Chain<ClientRequest, CallResult>,
        per_attempt: Chain<ClientRequest, CallResult>,
        observer: Option<Arc<dyn CallObserver>>,
        chain: Option<Arc<ChainLog>>,
    ) -> Self {
        CallPath {
            pool,
            per_call,
            per_attempt,
            observer,
            chain,
        }
    }

    /// Runs `req` down the path from the per-call filters (layer 2) on.
    pub(crate) async fn call(&self, router: &Router, req: ClientRequest) -> CallResult {
        if self.per_call.is_empty() {
            self.scoped(router, req).await
        } else {
            self.per_call.run(req, &Scoped { path: self, router }).await
        }
    }

    /// Layer 3: the call's scope, span and stat.
    async fn scoped(&self, router: &Router, mut req: ClientRequest) -> CallResult {
        let (span, chain) = super::scope::enter(
            &mut req.packet,
            req.dye.take(),
            req.parent.as_deref(),
            self.chain.as_ref(),
        );
        // TarsWeb's call chain: `cs` as the call leaves, `cr` when it is answered (one-way
        // calls write none, as in TarsGo).
        let chain = chain.filter(|_| !req.one_way);
        if let Some(chain) = &chain {
            chain.log_call(
                Annotation::ClientSend,
                &req.packet.s_servant_name,
                &req.packet.s_func_name,
                0,
                &req.packet.s_buffer,
            );
        }
        let started = self.observer.is_some().then(tokio::time::Instant::now);
        #[cfg(feature = "opentelemetry")]
        let measured = crate::trace::otel::metrics::Timed::call(&req.packet);
        let result = self.within_deadline(router, &mut req).instrument(span.clone()).await;
        if let Some(chain) = &chain {
            let (code, body) = match &result {
                Ok(rsp) => (rsp.packet.i_ret, &rsp.packet.s_buffer[..]),
                Err(e) => (e.code().value(), &[][..]),
            };
            let packet = &req.packet;
            chain.log_call(
                Annotation::ClientReceive,
                &packet.s_servant_name,
                &packet.s_func_name,
                code,
                body,
            );
        }
        #[cfg(feature = "opentelemetry")]
        if let Some(measured) = measured {
            match &result {
                Ok(rsp) => measured.end_call(rsp.packet.i_ret, rsp.endpoint.as_ref().map(|e| e.host.as_str())),
                Err(e) => measured.end_call(e.code().value(), None),
            }
        }
        if !span.is_disabled() {
            let code = match &result {
                Ok(rsp) => {
                    if let Some(ep) = &rsp.endpoint {
                        span.record("server.address", ep.host.as_str());
                        span.record("server.port", ep.port);
                    }
                    rsp.packet.i_ret
                }
                Err(e) => e.code().value(),
            };
            crate::trace::record_code(&span, code);
        }
        if let (Some(observer), Some(started)) = (&self.observer, started) {
            observer.call_ended(&EndedCall {
                object: &router.target.object,
                function: &req.packet.s_func_name,
                result: &result,
                elapsed: started.elapsed(),
            });
        }
        result
    }

    /// Layer 4: the deadline around routing and everything below it.
    async fn within_deadline(&self, router: &Router, req: &mut ClientRequest) -> CallResult {
        let at = Whereabouts::default();
        let deadline = req.deadline;
        match tokio::time::timeout_at(deadline, router.route(&self.pool, req, &at, self)).await {
            Ok(result) => result,
            Err(_) => {
                let last = at.last();
                if let Some((remote, sent_with)) = &last {
                    router.failed(remote);
                    if let Some(timeout) = sent_with {
                        remote.call_timed_out(*timeout);
                    }
                }
                Err(router.error(req, last.as_ref().map(|(r, _)| &**r), CallErrorKind::Timeout))
            }
        }
    }

    /// Layer 7: the request on `remote`'s connection, and its reply.
    async fn exchange(
        &self,
        router: &Router,
        remote: &Arc<Remote>,
        req: &mut ClientRequest,
        at: &Whereabouts,
    ) -> CallResult {
        if let Some(hub) = &req.push_to {
            remote.pushes.add(hub);
        }
        let conn = match remote.connection().await {
            Ok(c) => c,
            Err(e) => {
                router.failed(remote);
                return Err(router.error(req, Some(remote), CallErrorKind::Connect(e)));
            }
        };
        let unsent = |req: &ClientRequest, e| {
            router.failed(remote);
            router.error(req, Some(remote), CallErrorKind::Connection(e))
        };
        if !conn.is_usable() {
            return Err(unsent(req, ConnectionError::Closed));
        }
        let id = conn.next_request_id();
        req.packet.i_request_id = id;
        // SkyWalking's context names the address the call went to, known only now.
        if !req.packet.status.is_empty() {
            crate::trace::set_sw8_address(&mut req.packet.status, || remote.endpoint.address());
        }
        // The server learns what is left of the deadline, written once, as the request leaves.
        let remaining = req.deadline.saturating_duration_since(tokio::time::Instant::now());
        req.packet.i_timeout = remaining.as_millis().clamp(1, i32::MAX as u128) as i32;
        let frame = encode_request(&req.packet);
        let endpoint = Some(remote.endpoint.clone());
        if req.one_way {
            conn.send(frame).await.map_err(|e| unsent(req, e))?;
            return Ok(ClientResponse::new(Default::default(), endpoint));
        }
        let mut pending = conn.register(id);
        conn.send(frame).await.map_err(|e| unsent(req, e))?;
        at.sent(req.packet.i_timeout);
        match (&mut pending.rx).await {
            Ok(Delivered::Reply(packet)) => {
                remote.health.success();
                Ok(ClientResponse::new(packet, endpoint))
            }
            Ok(Delivered::Undecodable(e)) => {
                remote.health.success();
                Err(router.error(req, Some(remote), CallErrorKind::Decode(e)))
            }
            Ok(Delivered::Closed(e)) => {
                router.failed(remote);
                Err(router.error(req, Some(remote), CallErrorKind::Connection(e)))
            }
            // The connection hands every registered call an outcome before it goes; a call
            // that gets none was lost with it.
            Err(_) => Err(router.error(
                req,
                Some(remote),
                CallErrorKind::Connection(ConnectionError::ClosedByPeer),
            )),
        }
    }
}

/// Layer 6, then 7: the per-attempt filters around the connection.
impl Attempt for CallPath {
    async fn attempt(
        &self,
        router: &Router,
        remote: &Arc<Remote>,
        req: &mut ClientRequest,
        at: &Whereabouts,
    ) -> CallResult {
        if self.per_attempt.is_empty() {
            return self.exchange(router, remote, req, at).await;
        }
        // The filters take the request; routing keeps its own for another attempt.
        let mut attempt = req.clone();
        attempt.endpoint = Some(remote.endpoint.clone());
        let end = Connected {
            path: self,
            router,
            remote,
            at,
        };
        self.per_attempt.run(attempt, &end).await
    }
}

/// The end of the per-call filters: layer 3 on.
struct Scoped<'a> {
    path: &'a CallPath,
    router: &'a Router,
}

impl End<ClientRequest, CallResult> for Scoped<'_> {
    fn run(&self, req: ClientRequest) -> BoxFuture<'_, CallResult> {
        Box::pin(self.path.scoped(self.router, req))
    }
}

/// The end of the per-attempt filters: the connection.
struct Connected<'a> {
    path: &'a CallPath,
    router: &'a Router,
    remote: &'a Arc<Remote>,
    at: &'a Whereabouts,
}

impl End<ClientRequest, CallResult> for Connected<'_> {
    fn run(&self, mut req: ClientRequest) -> BoxFuture<'_, CallResult> {
        Box::pin(async move { self.path.exchange(self.router, self.remote, &mut req, self.at).await })
    }
}

/// The request's frame: built in a scratch buffer and copied out at its exact size (one
/// allocation) when small, encoded in place (no copy) when the body is large.
fn encode_request(packet: &RequestPacket) -> Bytes {
    const EXACT_UP_TO: usize = 16 * 1024;
    if packet.s_buffer.len() <= EXACT_UP_TO {
        crate::codec::encode_exact(|b| frame::encode_frame(b, |b| packet.encode_fields(b)))
    } else {
        let names = packet.s_servant_name.len() + packet.s_func_name.len();
        let mut buf = BytesMut::with_capacity(256 + names + packet.s_buffer.len());
        frame::encode_frame(&mut buf, |b| packet.encode_fields(b));
        buf.freeze()
    }
}
