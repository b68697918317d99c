//! The official Node.js client, `@tars/rpc` (tests/node/rpc_client.js), calling a Rust
//! server: hello.tars and interop.tars over TCP, TUP, JSON and UDP, plus error codes,
//! one-way calls and client timeouts.

use tars::application::Server;
use tars::Application;

const HELLO: &str = "TestApp.HelloServer.HelloObj";
const ECHO: &str = "TestApp.HelloServer.EchoObj";
const HELLO_UDP: &str = "TestApp.HelloServer.HelloUdpObj";

async fn start() -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(HELLO, crate::support::echo::HelloImp)
        .endpoint(HELLO, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .servant(ECHO, crate::support::echo::EchoImp::default())
        .endpoint(ECHO, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .servant(HELLO_UDP, crate::support::echo::HelloImp)
        .endpoint(HELLO_UDP, "udp -h 127.0.0.1 -p 0")
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// Runs a suite of the Node client and fails with every check that did not pass.
async fn run_suite(
    suite: &str,
    obj: &str,
    server: &Server,
    servant: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let ep = server.endpoint(servant).unwrap();
    let target = format!("{obj}@{ep}");
    let (suite, target) = (suite.to_string(), target.clone());
    let out = tokio::task::spawn_blocking(move || crate::support::node::run("rpc_client.js", &[&suite, &target]))
        .await
        .unwrap();
    let verdicts: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad output ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let failures: Vec<String> = verdicts
        .iter()
        .filter(|(_, v)| v["ok"] != true)
        .map(|(k, v)| format!("{k}: {}", v))
        .collect();
    assert!(!verdicts.is_empty(), "the suite ran no check");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    verdicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_calls_rust_server() {
    let server = start().await;
    run_suite("hello", HELLO, &server, HELLO).await;
    run_suite("echo", "TestApp.HelloServer.EchoObj", &server, ECHO).await;
    run_suite("tup", HELLO, &server, HELLO).await;
    run_suite("json", HELLO, &server, HELLO).await;
    run_suite("udp", HELLO_UDP, &server, HELLO_UDP).await;
    let errors = run_suite("errors", HELLO, &server, HELLO).await;
    assert_eq!(errors["unknown_servant"]["detail"]["code"], -4);
    assert_eq!(errors["unknown_function"]["detail"]["code"], -3);
    server.shutdown().await;
}
