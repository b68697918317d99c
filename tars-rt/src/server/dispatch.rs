//! The last layer of a request's path: the servant. It finds the servant the request names,
//! answers `tars_ping` itself, decodes the arguments for the request's encoding ([`Call`]),
//! runs the method within `handletimeout`, and turns what it returns (or a panic) into the
//! response.

use std::borrow::Cow;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::trace::chain::{Annotation, ChainLog, ChainSpan};
use crate::trace::TraceContext;
use crate::transport::budget::Lease;
use crate::Status;

use super::context::Context;

use super::call::Call;
use super::request::{ServerRequest, ServerResponse};
use super::servant::Servant;
use crate::protocol::Encoding;

/// Runs `req` on `servant` (the one it names, `None` if no servant here has that name). Not an
/// `async fn`, whose arguments the future would store twice (rust-lang/rust#62958).
#[allow(clippy::manual_async_fn)] // rust-lang/rust#62958: see above.
pub(crate) fn dispatch<'a>(
    servant: Option<&'a dyn Servant>,
    req: ServerRequest,
    encoding: Encoding,
    lease: Option<Lease>,
    trace: Option<TraceContext>,
    handle_timeout: Option<Duration>,
    chain: Option<&'a Arc<ChainLog>>,
) -> impl Future<Output = ServerResponse> + Send + 'a {
    async move {
        let Some(servant) = servant else {
            return ServerResponse::from_status(&Status::no_such_servant(&req.packet.s_servant_name));
        };
        if req.packet.s_func_name == "tars_ping" {
            return ServerResponse::default();
        }
        // Decoded where they will live: the context and the call are built in the future's
        // own slots, not returned through a function and moved (the context is large).
        let ServerRequest {
            peer,
            received,
            mut packet,
            client,
        } = req;
        let method = servant.interface().method(&packet.s_func_name);
        let function = match method {
            Some(m) => Cow::Borrowed(m.name),
            None => Cow::Owned(packet.s_func_name.clone()),
        };
        let mut call = match Call::decode(function, encoding, std::mem::take(&mut packet.s_buffer), method, lease) {
            Ok(call) => call,
            Err(status) => return ServerResponse::from_status(&status),
        };
        // TarsWeb's call chain: `sr` now, `ss` with the answer, each with the parameters the
        // trace asks for.
        let chain = chain.zip(trace.as_ref()).and_then(|(log, t)| ChainSpan::server(t, log));
        let received_ms = chain.as_ref().map(|c| {
            call.record_for_chain(
                c.wants_params(Annotation::ServerReceive),
                c.wants_params(Annotation::ServerSend),
            );
            crate::trace::chain::now_ms()
        });
        let ctx = Context::from_request(peer, packet, received, trace).with_push_sender(client);
        // A panicking method answers -99 instead of taking the connection's replies (or the
        // process) with it.
        let run = AssertUnwindSafe(servant.dispatch(&ctx, &mut call)).catch_unwind();
        let outcome = match handle_timeout {
            Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                Ok(Err(Status::unknown(format!(
                    "servant did not finish within handletimeout ({} ms)",
                    limit.as_millis()
                ))))
            }),
            None => run.await,
        };
        let (context, status) = ctx.take_response_maps();
        if let (Some(chain), Some(at)) = (&chain, received_ms) {
            let code = match &outcome {
                Ok(Ok(())) => 0,
                Ok(Err(e)) => e.code().value(),
                Err(_) => crate::status::Code::Unknown.value(),
            };
            let (servant, function) = (ctx.servant(), ctx.function());
            chain.log(
                Annotation::ServerReceive,
                at,
                servant,
                function,
                0,
                call.chain_json(true).as_deref(),
            );
            let results = call.chain_json(false);
            let now = crate::trace::chain::now_ms();
            chain.log(Annotation::ServerSend, now, servant, function, code, results.as_deref());
        }
        match outcome {
            Ok(Ok(())) => ServerResponse {
                context,
                status,
                ..ServerResponse::ok(call.into_results())
            },
            Ok(Err(error)) => ServerResponse {
                context,
                status,
                ..ServerResponse::from_status(&error)
            },
            Err(panic) => {
                let what = panic_message(&*panic);
                tracing::error!(servant = %ctx.servant(), function = %ctx.function(), panic = %what, "servant panicked");
                ServerResponse {
                    panic: Some(what.as_str().into()),
                    ..ServerResponse::from_status(&Status::unknown(format!("servant panicked: {what}")))
                }
            }
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
