//! A trace that enters a tars-rs server over HTTP reaches the official Node.js server
//! (`@tars/rpc`) in the TARS call the handler makes: same trace id, and the dye.

use crate::support::http::{config, start_with_backend, Conn};
use crate::support::node::start_node_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_trace_headers_continue_into_the_tars_call_to_node() {
    let node = tokio::task::spawn_blocking(start_node_server).await.unwrap();
    let (server, addr) = start_with_backend(&config("", "tcp -h 127.0.0.1 -p 0 -t 60000", ""), Some(&node.tcp))
        .await
        .unwrap();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut c = Conn::h1(addr).await;
    for header in [
        ("traceparent", format!("00-{trace}-00f067aa0ba902b7-01")),
        ("b3", format!("{trace}-00f067aa0ba902b7-1")),
        ("x-b3-traceid", trace.to_string()),
    ] {
        let mut headers = vec![(header.0, header.1.as_str()), ("x-tars-dye", "user42")];
        if header.0 == "x-b3-traceid" {
            headers.push(("x-b3-spanid", "00f067aa0ba902b7"));
        }
        let a = c.send("GET", "/api/tars/__describe__", &headers, "").await;
        assert_eq!(a.status.as_u16(), 200, "{}", a.body);
        let seen: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        // The call continues the trace in the format it came in.
        let carried = match header.0 {
            "traceparent" => seen["status"]["traceparent"].as_str().and_then(|t| t.split('-').nth(1)),
            _ => seen["status"]["x-b3-traceid"].as_str(),
        };
        assert_eq!(carried, Some(trace), "{header:?}: {seen}");
        assert_eq!(seen["status"]["STATUS_DYED_KEY"], "user42", "{seen}");
        let dyed = seen["iMessageType"].as_i64().unwrap() & i64::from(tars::protocol::TARSMESSAGETYPEDYED);
        assert_ne!(dyed, 0, "{seen}");
    }
    server.shutdown().await;
}
