//! The Rust client calling the official Node.js server, `@tars/rpc`
//! (`tests/node/mock_server.js`, serving hello.tars and interop.tars over TCP and UDP).

use std::time::Duration;

use crate::support::echo::hello::test_app::HelloProxy;
use crate::support::echo::interop::interop::EchoProxy;
use crate::support::echo::item;
use tars::client::{CallOptions, Communicator, Encoding};

use crate::support::node::start_node_server;

/// Every method shape over TARS, TUP v3 and v2 (and JSON for Hello, the one interface the
/// Node server answers JSON on): @tars/rpc answers TUP in the RequestPacket layout with the
/// result code in its status, reads TUP v2 arguments by its own type names (`List<…>`), and
/// writes the return value under the empty name. Then timeouts, many calls on one
/// connection, and UDP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_calls_node_server() {
    let node = tokio::task::spawn_blocking(start_node_server).await.unwrap();
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{}", node.tcp))
        .unwrap();
    let echo: EchoProxy = comm
        .string_to_proxy(&format!("Interop.EchoServer.EchoObj@{}", node.tcp))
        .unwrap();
    for protocol in [Encoding::Tars, Encoding::TupV3, Encoding::TupV2] {
        let (hello, echo) = (hello.with_protocol(protocol), echo.with_protocol(protocol));
        crate::support::echo::every_shape(&format!("{protocol} to @tars/rpc"), &hello, &echo).await;
        let e = echo
            .slow_with(&CallOptions::new().timeout(Duration::from_millis(200)), 2000)
            .await
            .unwrap_err();
        assert_eq!(e.code(), -7, "{protocol}: {e}");
        // A function the servant does not have: @tars/rpc's -3 (through the status map in TUP).
        let untyped = tars::client::Proxy::servant_proxy(&hello);
        let body = tars::protocol::Args::new(protocol).finish();
        let e = untyped.invoke("nope", body, &CallOptions::new()).await.unwrap_err();
        assert_eq!(e.code(), -3, "{protocol}: {e}");
    }
    let json = hello.with_protocol(Encoding::Json);
    assert_eq!(json.test().await.unwrap(), 0);
    assert_eq!(json.test_hello("json").await.unwrap(), (0, "json".to_string()));
    assert_eq!(echo.slow(10).await.unwrap(), 10);

    // Many concurrent calls on one connection.
    let mut tasks = Vec::new();
    for i in 0..300 {
        let echo = echo.clone();
        tasks.push(tokio::spawn(async move {
            let s = format!("c{i}");
            assert_eq!(echo.echo_string(&s).await.unwrap(), s);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    // UDP.
    let hello_udp: HelloProxy = comm
        .string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{}", node.udp))
        .unwrap();
    assert_eq!(hello_udp.test_hello("udp").await.unwrap(), (0, "udp".to_string()));
    let echo_udp: EchoProxy = comm
        .string_to_proxy(&format!("Interop.EchoServer.EchoObj@{}", node.udp))
        .unwrap();
    assert_eq!(echo_udp.echo_item(&item(9)).await.unwrap(), item(9));
    drop(node);
}
