//! The request/response protocol an adapter speaks. [`TarsProtocol`] is TARS itself (with
//! TUP and JSON requests); an application can put any other [`ServerProtocol`] on an adapter
//! (TarsCpp's `protocol=not_tars`).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::codec::{self, DecodeError, Reader, TarsStruct};
use crate::filter::{ServerEndpoint, ServerFilter, ServerNext, ServerRequest, ServerResponse};
use crate::protocol::framework::{TARSONEWAY, TARSVERSION};
use crate::protocol::{tup, RequestPacket, ResponsePacket};
use crate::transport::budget::{Lease, MemoryBudget};
use crate::transport::frame::{self, FrameError};
use crate::{Context, Status};

use super::admission::Admission;
use super::call::{Call, Encoding};
use super::servant::Servant;

/// What to do after handling one request.
#[derive(Debug)]
pub enum Outcome {
    /// Send these bytes (a complete frame).
    Send(Bytes),
    /// Send this TARS reply, encoded where it is written: a reply ready at once goes straight
    /// into the connection's batch of replies, with no buffer of its own.
    Reply(Reply),
    /// Send nothing (one-way requests).
    Nothing,
    /// The request was not understood: close the connection.
    Close,
}

impl Outcome {
    /// The frame to send, in a buffer of its own; `None` when nothing is to be sent.
    pub fn into_frame(self) -> Option<Bytes> {
        match self {
            Outcome::Send(frame) => Some(frame),
            Outcome::Reply(reply) => Some(reply.into_frame()),
            Outcome::Nothing | Outcome::Close => None,
        }
    }
}

/// A TARS reply not yet encoded (see [`Outcome::Reply`]).
#[derive(Debug)]
pub struct Reply {
    to: ReplyTo,
    encoding: Option<Encoding>,
    response: ServerResponse,
}

impl Reply {
    /// Appends the reply's frame to `buf`.
    pub fn encode_into(self, buf: &mut BytesMut) {
        write_reply(buf, &self.to, self.encoding, self.response);
    }

    /// The reply's frame in a buffer of its own.
    pub fn into_frame(self) -> Bytes {
        encode_reply(&self.to, self.encoding, self.response)
    }
}

/// A server-side protocol: framing and request handling.
#[async_trait::async_trait]
pub trait ServerProtocol: Send + Sync + 'static {
    /// Takes one complete request off the front of `buf`, `Ok(None)` if more bytes are
    /// needed; an error closes the connection.
    fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError>;

    /// Handles one request (as returned by `split_frame`, or one UDP datagram). The
    /// connection polls the returned future once where it reads, and only spawns it as a
    /// task if it is not done then: a request answered at once costs no task, and its reply
    /// leaves with the others of the same read in one write.
    async fn handle(self: Arc<Self>, peer: SocketAddr, request: Bytes, received: Instant) -> Outcome;

    /// `Some(max)` if frames are TARS frames (a 4-byte big-endian length that counts
    /// itself) of at most `max` bytes: the connection then reads a large frame's bytes only
    /// as the server's memory budget allows. `None` for other framings.
    fn max_frame_length(&self) -> Option<usize> {
        None
    }

    /// The answer to a request the server has no room for (a UDP datagram over the
    /// adapter's in-flight cap): an overload reply, or `None` to drop it.
    fn overload_reply(&self, _request: &Bytes) -> Option<Bytes> {
        None
    }

    /// A message pushed to each connection on graceful shutdown.
    fn goodbye(&self) -> Option<Bytes> {
        None
    }
}

/// TARS on one endpoint: the servants of the adapters that name it (one, usually; several
/// share an endpoint and are told apart by `sServantName`), each with its adapter's
/// admission limits, and the application's filters.
pub(crate) struct TarsProtocol {
    servants: Vec<Served>,
    filters: Arc<[Arc<dyn ServerFilter>]>,
    max_package_length: usize,
    handle_timeout: Option<Duration>,
    /// The memory of requests in flight, shared by every adapter.
    budget: Arc<MemoryBudget>,
    /// Counts served requests for tarsstat.
    reporter: Option<Arc<crate::report::Reporter>>,
}

/// One servant on an endpoint.
pub(crate) struct Served {
    /// Shared with the replies that name it.
    pub(crate) name: Arc<str>,
    pub(crate) servant: Arc<dyn Servant>,
    pub(crate) admission: Arc<Admission>,
    /// The adapter's built-in properties, when the server reports properties.
    pub(crate) properties: Option<AdapterProperties>,
}

/// The properties TarsCpp reports per adapter (`<adapter>.queue`: requests ahead of one
/// when it arrives; `.timeoutNum`: requests answered -6; `.connectRate`, reported where
/// connections are accepted), and how long requests wait and run (`.queueTime`,
/// `.handleTime`, in ms).
pub(crate) struct AdapterProperties {
    queue: crate::report::Property,
    queue_time: crate::report::Property,
    handle_time: crate::report::Property,
    timeouts: crate::report::Property,
}

impl AdapterProperties {
    pub(crate) fn new(reporter: &Arc<crate::report::Reporter>, adapter: &str) -> Self {
        use crate::report::Policy::{Avg, Max, Sum};
        AdapterProperties {
            queue: reporter.property(&format!("{adapter}.queue"), &[Avg]),
            queue_time: reporter.property(&format!("{adapter}.queueTime"), &[Avg, Max]),
            handle_time: reporter.property(&format!("{adapter}.handleTime"), &[Avg, Max]),
            timeouts: reporter.property(&format!("{adapter}.timeoutNum"), &[Sum]),
        }
    }

    fn admitted(&self, queued: usize, received: Instant, refused: Option<&Status>) {
        self.queue.report(queued as i64);
        self.queue_time.report(received.elapsed().as_millis() as i64);
        if refused.is_some_and(|s| s.code() == crate::status::Code::QueueTimeout) {
            self.timeouts.report(1);
        }
    }

    fn handled(&self, started: Instant, code: i32) {
        self.handle_time.report(started.elapsed().as_millis() as i64);
        if code == crate::status::Code::QueueTimeout.value() {
            self.timeouts.report(1);
        }
    }
}

impl TarsProtocol {
    pub(crate) fn new(
        servants: Vec<Served>,
        filters: Arc<[Arc<dyn ServerFilter>]>,
        max_package_length: usize,
        handle_timeout: Option<Duration>,
        budget: Arc<MemoryBudget>,
        reporter: Option<Arc<crate::report::Reporter>>,
    ) -> Self {
        TarsProtocol {
            servants,
            filters,
            max_package_length,
            handle_timeout,
            budget,
            reporter,
        }
    }

    /// The servant called `name`.
    fn served(&self, name: &str) -> Option<&Served> {
        self.servants.iter().find(|s| &*s.name == name)
    }

    /// Answers -9 to a request the memory budget cannot hold, reading only its header
    /// fields (never its maps or body). An unreadable header closes the connection.
    fn refuse(&self, peer: SocketAddr, request: &Bytes) -> Outcome {
        let Some((to, one_way)) = ReplyTo::peek(request) else {
            tracing::warn!(%peer, "undecodable request packet; closing the connection");
            return Outcome::Close;
        };
        tracing::warn!(
            %peer,
            request_bytes = request.len(),
            budget = self.budget.limit(),
            "request refused: the server's request memory is full (maxrequestmemory)"
        );
        if one_way {
            return Outcome::Nothing;
        }
        let status = Status::overload(format!(
            "server overloaded: requests in flight hold its request memory ({} bytes, maxrequestmemory)",
            self.budget.limit()
        ));
        let encoding = Encoding::from_version(to.version);
        Outcome::Send(encode_reply(&to, encoding, ServerResponse::from_status(&status)))
    }
}

/// Header fields of the request that the reply echoes, kept before filters see the packet.
/// The names are shared with the servant and its interface when they are known (no copy).
#[derive(Debug)]
struct ReplyTo {
    version: i16,
    request_id: i32,
    message_type: i32,
    servant: Arc<str>,
    function: Cow<'static, str>,
}

impl ReplyTo {
    /// Reads the header fields (tags 1 to 6) of a request packet without decoding the rest;
    /// also says whether the request is one-way.
    fn peek(request: &Bytes) -> Option<(ReplyTo, bool)> {
        let mut r = Reader::from_bytes(request);
        let version = r.read_field::<i16>(1).ok()??;
        let packet_type = r.read_field::<i8>(2).ok()?.unwrap_or(0);
        let message_type = r.read_field::<i32>(3).ok()?.unwrap_or(0);
        let request_id = r.read_field::<i32>(4).ok()??;
        let servant = r.read_field::<String>(5).ok()?.unwrap_or_default();
        let function = r.read_field::<String>(6).ok()?.unwrap_or_default();
        let to = ReplyTo {
            version,
            request_id,
            message_type,
            servant: servant.into(),
            function: Cow::Owned(function),
        };
        Some((to, packet_type == TARSONEWAY))
    }
}

#[async_trait::async_trait]
impl ServerProtocol for TarsProtocol {
    fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        frame::decode_frame(buf, self.max_package_length)
    }

    async fn handle(self: Arc<Self>, peer: SocketAddr, request: Bytes, received: Instant) -> Outcome {
        let this = &*self;
        // What the request takes once decoded is drawn from the server's memory budget (its
        // bytes already are, by the connection); what does not fit is refused with -9.
        let Some(lease) = self.budget.try_lease(0) else {
            return self.refuse(peer, &request);
        };
        let packet = match RequestPacket::decode_fields(&mut Reader::from_bytes(&request).with_allowance(&lease)) {
            Ok(p) => p,
            Err(e) if matches!(e.root(), DecodeError::MemoryLimit { .. }) => return self.refuse(peer, &request),
            Err(e) => {
                tracing::warn!(%peer, error = %e, "undecodable request packet; closing the connection");
                return Outcome::Close;
            }
        };
        let one_way = packet.c_packet_type == TARSONEWAY;
        let called = this.served(&packet.s_servant_name);
        let method = called.and_then(|s| s.servant.interface().method(&packet.s_func_name));
        let reply_to = ReplyTo {
            version: packet.i_version,
            request_id: packet.i_request_id,
            message_type: packet.i_message_type,
            servant: match called {
                Some(s) => s.name.clone(),
                None => packet.s_servant_name.as_str().into(),
            },
            function: match method {
                Some(m) => Cow::Borrowed(m.name),
                None => Cow::Owned(packet.s_func_name.clone()),
            },
        };
        let encoding = Encoding::from_version(packet.i_version);
        // The request's span, and what the calls its servant makes inherit (trace, dye,
        // deadline), around the filters and the servant alike.
        let (current, span) = super::scope::enter(&packet, peer, received);
        let response = match encoding {
            None => ServerResponse::from_status(&Status::decode_error(format!(
                "unsupported protocol version {} (served: 1 TARS, 2 and 3 TUP, 5 JSON)",
                packet.i_version
            ))),
            Some(encoding) => {
                let deadline =
                    (packet.i_timeout > 0).then(|| received + Duration::from_millis(packet.i_timeout as u64));
                // The admission limits of the servant called (of the endpoint's first servant
                // for a name it does not serve: the request is answered -4 after the filters).
                let served = called.unwrap_or(&self.servants[0]);
                let (admission, properties) = (&served.admission, served.properties.as_ref());
                let trace = current.trace.clone();
                let serve = async {
                    let ahead = properties.map(|_| admission.admitted());
                    let admitted = admission.admit(received, deadline).await;
                    if let (Some(p), Some(ahead)) = (properties, ahead) {
                        p.admitted(ahead, received, admitted.as_ref().err());
                    }
                    match admitted {
                        Err(status) => ServerResponse::from_status(&status),
                        Ok(_permit) => {
                            let started = properties.map(|_| Instant::now());
                            let endpoint = Dispatch {
                                protocol: this,
                                encoding,
                                lease: std::sync::Mutex::new(Some(lease)),
                                trace,
                            };
                            let req = ServerRequest { peer, received, packet };
                            // Without filters, straight to the servant (the chain's dyn call
                            // would box the servant's future once more).
                            let rsp = if self.filters.is_empty() {
                                endpoint.respond(req).await
                            } else {
                                ServerNext::new(&self.filters, &endpoint).run(req).await
                            };
                            if let (Some(p), Some(started)) = (properties, started) {
                                p.handled(started, rsp.code);
                            }
                            rsp
                        }
                    }
                };
                // Boxed so the wrappers move a pointer, not the (large) future.
                current.scope(Box::pin(serve).instrument(span.clone())).await
            }
        };
        crate::trace::record_code(&span, response.code);
        if let Some(reporter) = &self.reporter {
            reporter.served(&reply_to.function, one_way, response.code, received.elapsed());
        }
        if one_way {
            return Outcome::Nothing;
        }
        Outcome::Reply(Reply {
            to: reply_to,
            encoding,
            response,
        })
    }

    fn max_frame_length(&self) -> Option<usize> {
        Some(self.max_package_length)
    }

    fn overload_reply(&self, request: &Bytes) -> Option<Bytes> {
        let (to, one_way) = ReplyTo::peek(request)?;
        if one_way {
            return None;
        }
        let status = Status::overload("server overloaded: too many requests in flight on this adapter (maxinflight)");
        let encoding = Encoding::from_version(to.version);
        Some(encode_reply(&to, encoding, ServerResponse::from_status(&status)))
    }

    fn goodbye(&self) -> Option<Bytes> {
        let push = ResponsePacket {
            i_version: TARSVERSION,
            i_request_id: 0,
            s_result_desc: "_reconnect_".into(),
            ..ResponsePacket::default()
        };
        let mut buf = BytesMut::new();
        frame::encode_frame(&mut buf, |b| push.encode_fields(b));
        Some(buf.freeze())
    }
}

/// The end of the filter chain: the servant.
struct Dispatch<'a> {
    protocol: &'a TarsProtocol,
    encoding: Encoding,
    /// The request's memory, handed on to its arguments (taken once, by the servant call).
    lease: std::sync::Mutex<Option<Lease>>,
    /// The request's trace context at this server.
    trace: Option<crate::trace::TraceContext>,
}

#[async_trait::async_trait]
impl ServerEndpoint for Dispatch<'_> {
    async fn serve(&self, req: ServerRequest) -> ServerResponse {
        self.respond(req).await
    }
}

impl Dispatch<'_> {
    async fn respond(&self, req: ServerRequest) -> ServerResponse {
        let p = self.protocol;
        let ServerRequest {
            peer,
            received,
            mut packet,
        } = req;
        let Some(served) = p.served(&packet.s_servant_name) else {
            return ServerResponse::from_status(&Status::no_such_servant(&packet.s_servant_name));
        };
        if packet.s_func_name == "tars_ping" {
            return ServerResponse::default();
        }
        let method = served.servant.interface().method(&packet.s_func_name);
        let body = std::mem::take(&mut packet.s_buffer);
        let lease = crate::sync::lock(&self.lease).take();
        let function = match method {
            Some(m) => Cow::Borrowed(m.name),
            None => Cow::Owned(packet.s_func_name.clone()),
        };
        let mut call = match Call::decode(function, self.encoding, body, method, lease) {
            Ok(c) => c,
            Err(status) => return ServerResponse::from_status(&status),
        };
        let ctx = Context::from_request(peer, packet, received, self.trace.clone());
        // Through the `dyn Servant` itself: `Arc<dyn Servant>` is a servant too, and calling
        // the Arc's implementation would box the future twice.
        let servant: &dyn Servant = &*served.servant;
        // A panicking method answers -99 instead of taking the connection's replies (or the
        // process) with it.
        let run = AssertUnwindSafe(servant.dispatch(&ctx, &mut call)).catch_unwind();
        let outcome = match p.handle_timeout {
            Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                Ok(Err(Status::unknown(format!(
                    "servant did not finish within handletimeout ({} ms)",
                    limit.as_millis()
                ))))
            }),
            None => run.await,
        };
        let (context, status) = ctx.take_response_maps();
        match outcome {
            Ok(Ok(())) => ServerResponse {
                body: call.into_results(),
                context,
                status,
                ..ServerResponse::default()
            },
            Ok(Err(error)) => ServerResponse {
                context,
                status,
                ..ServerResponse::from_status(&error)
            },
            Err(panic) => {
                let what = panic_message(&*panic);
                tracing::error!(servant = %ctx.servant(), function = %ctx.function(), panic = %what, "servant panicked");
                ServerResponse::from_status(&Status::unknown(format!("servant panicked: {what}")))
            }
        }
    }
}

/// Encodes the reply in the layout the request's version calls for: a ResponsePacket for
/// TARS and JSON (and for versions no one serves), a RequestPacket for TUP.
fn encode_reply(to: &ReplyTo, encoding: Option<Encoding>, r: ServerResponse) -> Bytes {
    if r.body.len() <= ENCODE_EXACT_UP_TO {
        codec::encode_exact(|buf| write_reply(buf, to, encoding, r))
    } else {
        let mut buf = BytesMut::with_capacity(256 + r.body.len());
        write_reply(&mut buf, to, encoding, r);
        buf.freeze()
    }
}

/// Replies up to this body size are built in a scratch buffer and copied out at their exact
/// size (one allocation); larger ones are encoded in place (no copy).
const ENCODE_EXACT_UP_TO: usize = 16 * 1024;

fn write_reply(buf: &mut BytesMut, to: &ReplyTo, encoding: Option<Encoding>, r: ServerResponse) {
    match encoding {
        Some(Encoding::TupV2 | Encoding::TupV3) => {
            let mut status = r.status;
            if r.code != 0 {
                status.insert(tup::STATUS_RESULT_CODE.into(), r.code.to_string());
            }
            if !r.message.is_empty() {
                status.insert(tup::STATUS_RESULT_DESC.into(), r.message);
            }
            let body = if r.body.is_empty() {
                let version = if encoding == Some(Encoding::TupV2) {
                    tup::Version::V2
                } else {
                    tup::Version::V3
                };
                tup::UniAttribute::new(version).encode()
            } else {
                r.body
            };
            let packet = RequestPacket {
                i_version: to.version,
                c_packet_type: 0,
                i_message_type: to.message_type,
                i_request_id: to.request_id,
                s_servant_name: to.servant.to_string(),
                s_func_name: to.function.to_string(),
                s_buffer: body,
                i_timeout: 0,
                context: r.context,
                status,
            };
            frame::encode_frame(buf, |b| packet.encode_fields(b));
        }
        _ => {
            let packet = ResponsePacket {
                i_version: to.version,
                c_packet_type: 0,
                i_request_id: to.request_id,
                i_message_type: to.message_type,
                i_ret: r.code,
                s_buffer: r.body,
                status: r.status,
                s_result_desc: r.message,
                context: r.context,
            };
            frame::encode_frame(buf, |b| packet.encode_fields(b));
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
