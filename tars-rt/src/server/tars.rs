//! TARS on an endpoint: [`TarsProtocol`] frames requests, decodes each packet within the
//! server's memory budget, runs it down the endpoint's [`RequestPath`], and encodes the reply
//! in the layout the request's version calls for (TARS 1, TUP 2 and 3, JSON 5).

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::codec::{DecodeError, Reader, TarsStruct};
use crate::filter::BoxFuture;
use crate::protocol::{RequestPacket, ResponsePacket};
use crate::protocol::{TARSONEWAY, TARSVERSION};
use crate::transport::budget::MemoryBudget;
use crate::transport::frame::{self, FrameError};
use crate::Status;

use super::path::{Incoming, RequestPath};
use super::protocol::{Handled, ServerProtocol};
use super::push::PushSender;
use super::reply::{encode_reply, ReplyTo, TarsReply};
use super::request::{ServerRequest, ServerResponse};
use crate::protocol::Encoding;

/// TARS on one endpoint.
pub(crate) struct TarsProtocol {
    path: RequestPath,
    max_package_length: usize,
    /// The memory of requests in flight, shared by every adapter.
    budget: Arc<MemoryBudget>,
}

impl TarsProtocol {
    pub(crate) fn new(path: RequestPath, max_package_length: usize, budget: Arc<MemoryBudget>) -> Self {
        TarsProtocol {
            path,
            max_package_length,
            budget,
        }
    }

    /// Answers -9 to a request the memory budget cannot hold, reading only its header
    /// fields (never its maps or body). An unreadable header closes the connection.
    fn refuse(&self, peer: SocketAddr, request: &Bytes) -> Handled {
        let Some((to, one_way)) = ReplyTo::peek(request) else {
            tracing::warn!(%peer, "undecodable request packet; closing the connection");
            return Handled::Close;
        };
        tracing::warn!(
            %peer,
            request_bytes = request.len(),
            budget = self.budget.limit(),
            "request refused: the server's request memory is full (maxrequestmemory)"
        );
        if one_way {
            return Handled::Nothing;
        }
        let status = Status::overload(format!(
            "server overloaded: requests in flight hold its request memory ({} bytes, maxrequestmemory)",
            self.budget.limit()
        ));
        let encoding = Encoding::from_version(to.version);
        Handled::Send(encode_reply(&to, encoding, ServerResponse::from_status(&status)))
    }

    /// Decodes a request and runs it down the path; what can be answered without the path (a
    /// request the memory cannot hold, an undecodable packet) is answered at once. The future
    /// captures only the four arguments: what it decodes is built in its own slots.
    #[allow(clippy::manual_async_fn)] // rust-lang/rust#62958: an async fn stores its arguments twice.
    fn handle_request(
        self: Arc<Self>,
        client: PushSender,
        request: Bytes,
        received: Instant,
    ) -> impl Future<Output = Handled> + Send + 'static {
        async move {
            let peer = client.peer();
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
                    return Handled::Close;
                }
            };
            let one_way = packet.c_packet_type == TARSONEWAY;
            let called = self.path.served(&packet.s_servant_name);
            let method = called.and_then(|s| s.servant.interface().method(&packet.s_func_name));
            // The names the reply echoes, shared with the servant and its interface when known.
            let to = ReplyTo {
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
            let response = match encoding {
                None => ServerResponse::from_status(&Status::decode_error(format!(
                    "unsupported protocol version {} (served: 1 TARS, 2 and 3 TUP, 5 JSON)",
                    to.version
                ))),
                Some(encoding) => {
                    let request = ServerRequest {
                        peer,
                        received,
                        packet,
                        client: Some(client),
                    };
                    let incoming = Incoming {
                        request,
                        encoding,
                        lease: Some(lease),
                    };
                    self.path.serve(called, incoming).await
                }
            };
            if let Some(observer) = &self.path.admitting(called).observer {
                observer.answered(&to.function, one_way, response.code, received.elapsed());
                if let Some(what) = &response.panic {
                    observer.panicked(&to.servant, &to.function, what);
                }
            }
            if one_way {
                return Handled::Nothing;
            }
            Handled::Reply(TarsReply { to, encoding, response })
        }
    }
}

impl ServerProtocol for TarsProtocol {
    fn split_frame(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        frame::decode_frame(buf, self.max_package_length)
    }

    fn handle(self: Arc<Self>, client: &PushSender, request: Bytes, received: Instant) -> BoxFuture<'static, Handled> {
        Box::pin(self.handle_request(client.clone(), request, received))
    }

    fn connected(&self, client: &PushSender) {
        for hooks in self.path.connection_hooks() {
            hooks.on_connect(client);
        }
    }

    fn disconnected(&self, client: &PushSender) {
        for hooks in self.path.connection_hooks() {
            hooks.on_close(client);
        }
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
