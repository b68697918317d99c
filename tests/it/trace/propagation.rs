//! What a request passes on to the calls its servant makes, without the user threading
//! anything: TARS's own trace (a chain with TarsGo keeps one trace id), the dye, the
//! deadline; in the handler's task and in tasks spawned with `tars::context::spawn`; and
//! nothing for a detached call.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::server::hello::test_app::{Hello, HelloProxy};
use tars::application::Server;
use tars::client::CallOptions;
use tars::context::Current;
use tars::trace::TraceContext;
use tars::{Context, Status};

/// What the last hop saw: the request's message type and status map.
type Seen = Arc<Mutex<Vec<(i32, std::collections::BTreeMap<String, String>)>>>;

/// The last hop: records what it received; `testHello("sleep N")` sleeps.
struct Sink(Seen);

#[tars::servant]
impl Hello for Sink {
    async fn test(&self, ctx: &Context) -> Result<i32, Status> {
        self.0
            .lock()
            .unwrap()
            .push((ctx.message_type(), ctx.request_status().clone()));
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s: String) -> Result<(i32, String), Status> {
        // The time its caller gives it, as `iTimeout` said.
        let left = ctx.remaining().map_or(-1, |d| d.as_millis() as i32);
        Ok((left, s))
    }
}

/// The middle hop: `test` calls the sink directly, from a spawned task, and detached;
/// `testHello` calls the sink's `testHello` with its own 5 s timeout.
struct Relay(HelloProxy);

#[tars::servant]
impl Hello for Relay {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        self.0.test().await?;
        let next = self.0.clone();
        tars::context::spawn(async move { next.test().await }).await.unwrap()?;
        self.0.test_with(&CallOptions::new().detached()).await?;
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, _s: String) -> Result<(i32, String), Status> {
        let slow = CallOptions::new().timeout(Duration::from_secs(5));
        let (ret, rsp) = self.0.test_hello_with(&slow, "x").await?.value;
        Ok((ret, rsp))
    }
}

async fn serve(obj: &str, servant: impl tars::server::Servant) -> (Server, HelloProxy) {
    crate::support::server::serve_alone(obj, servant).await
}

#[tokio::test]
async fn trace_and_dye_reach_every_call_of_the_handler_unless_detached() {
    let seen = Seen::default();
    let (_sink, to_sink) = serve("TestApp.Sink.HelloObj", Sink(seen.clone())).await;
    let (_relay, to_relay) = serve("TestApp.Relay.HelloObj", Relay(to_sink)).await;
    // A TARS trace opened by the caller, as TarsGo's `OpenTarsTrace` does, and a dye.
    let root = TraceContext::new_root().with_tars_trace(15);
    let tars_trace_id = root.tars_trace_id.as_deref().unwrap().to_string();
    let scope = Arc::new(Current::default().trace(root));
    let dyed = CallOptions::new().dye("user-7");
    scope.scope(to_relay.test_with(&dyed)).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    let mut span_ids = Vec::new();
    for (i, (message_type, status)) in seen.iter().enumerate().take(2) {
        // The direct call and the spawned task's call carry both.
        assert_eq!(message_type & 0x104, 0x104, "call {i}: {message_type:#x}");
        assert_eq!(status["STATUS_DYED_KEY"], "user-7");
        let (trace, span) = status["STATUS_TRACE_KEY"].split_once('|').unwrap();
        assert_eq!(trace, tars_trace_id, "one TARS trace id along the chain");
        assert_eq!(span.len(), 16);
        span_ids.push(span.to_string());
        assert!(status["traceparent"].contains(&tars_trace_id[2..]), "{status:?}");
    }
    assert_ne!(span_ids[0], span_ids[1], "each call is a span of its own");
    // A detached call inherits neither: no dye, and at most a trace of its own (a call
    // outside any request starts one when its span is recorded).
    let (message_type, status) = &seen[2];
    assert_eq!(message_type & 0x04, 0, "a detached call is not dyed");
    assert!(!status.contains_key("STATUS_DYED_KEY"));
    if let Some(key) = status.get("STATUS_TRACE_KEY") {
        assert!(
            !key.starts_with(&tars_trace_id),
            "a detached call leaves the trace: {key}"
        );
    }
}

#[tokio::test]
async fn a_call_made_while_serving_waits_no_longer_than_the_request_caller() {
    let (_sink, to_sink) = serve("TestApp.Sink.HelloObj", Sink(Seen::default())).await;
    let (_relay, to_relay) = serve("TestApp.Relay.HelloObj", Relay(to_sink)).await;
    // The relay asks the sink with a 5 s timeout; its own caller gives it 800 ms, and the
    // sink is told what is left of that (iTimeout).
    let (left, _) = to_relay
        .test_hello_with(&CallOptions::new().timeout(Duration::from_millis(800)), "x")
        .await
        .unwrap()
        .value;
    assert!((1..=800).contains(&left), "the sink was given {left} ms");
    // Outside any request, a call's own timeout stands.
    let started = Instant::now();
    let (left, _) = to_relay
        .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(10)), "x")
        .await
        .unwrap()
        .value;
    assert!(left > 5000 - 1000 && left <= 5000, "{left}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// The status the relay's calls carry for a request to it that carried `status` (sent raw,
/// with `message_type`, so that nothing but the test's keys comes in).
async fn carried_for(status: &[(&str, &str)], message_type: i32) -> (i32, std::collections::BTreeMap<String, String>) {
    let seen = Seen::default();
    let (_sink, to_sink) = serve("TestApp.Sink.HelloObj", Sink(seen.clone())).await;
    let (relay, _) = serve("TestApp.Relay.HelloObj", Relay(to_sink)).await;
    let addr = relay.local_addr("TestApp.Relay.HelloObj").unwrap();
    let mut conn = crate::support::raw::Conn::connect(addr).await;
    let mut req = crate::support::raw::request(1, "TestApp.Relay.HelloObj", "test", Default::default());
    req.i_message_type = message_type;
    req.status = status.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(conn.call(&req).await.i_ret, 0);
    let first = seen.lock().unwrap()[0].clone();
    first
}

#[tokio::test]
async fn a_trace_continues_in_the_formats_it_came_in_and_no_other() {
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    // Zipkin's B3 (as TarsGo's zipkin plugin writes it): B3 only, with a new span.
    let (message_type, status) = carried_for(
        &[
            ("x-b3-traceid", trace),
            ("x-b3-spanid", "00f067aa0ba902b7"),
            ("x-b3-sampled", "1"),
        ],
        0,
    )
    .await;
    assert_eq!(status["x-b3-traceid"], trace);
    assert_ne!(status["x-b3-spanid"], "00f067aa0ba902b7");
    assert_eq!(status["x-b3-sampled"], "1");
    assert!(
        !status.contains_key("traceparent") && !status.contains_key("STATUS_TRACE_KEY"),
        "{status:?}"
    );
    assert_eq!(message_type & 0x100, 0);
    // W3C: traceparent only.
    let (message_type, status) = carried_for(&[("traceparent", &format!("00-{trace}-00f067aa0ba902b7-01"))], 0).await;
    assert_eq!(status["traceparent"].split('-').nth(1), Some(trace));
    assert!(status.keys().all(|k| k == "traceparent"), "{status:?}");
    assert_eq!(message_type & 0x100, 0);
    // TARS's own key (with its flag): that key only.
    let key = format!("f-{trace}|030019ac000010796162bc5900000021");
    let (message_type, status) = carried_for(&[("STATUS_TRACE_KEY", &key)], 0x100).await;
    assert!(status["STATUS_TRACE_KEY"].starts_with(&format!("f-{trace}|")));
    assert!(status.keys().all(|k| k == "STATUS_TRACE_KEY"), "{status:?}");
    assert_eq!(message_type & 0x100, 0x100);
    // Two formats in, the same two out.
    let (_, status) = carried_for(
        &[
            ("traceparent", &format!("00-{trace}-00f067aa0ba902b7-01")),
            ("b3", &format!("{trace}-00f067aa0ba902b7-1")),
        ],
        0,
    )
    .await;
    let mut keys: Vec<&str> = status.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["traceparent", "x-b3-sampled", "x-b3-spanid", "x-b3-traceid"]);
}
