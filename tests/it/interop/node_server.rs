//! The Rust client calling the official Node.js server, `@tars/rpc`
//! (`tests/node/mock_server.js`, serving hello.tars and interop.tars over TCP and UDP).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::echo::hello::test_app::HelloProxy;
use crate::support::echo::interop::interop::{EchoProxy, Kind};
use crate::support::echo::item;
use tars::client::{CallOptions, Communicator, Encoding};

use crate::support::node::start_node_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_calls_node_server() {
    let node = tokio::task::spawn_blocking(start_node_server).await.unwrap();
    let comm = Communicator::new();

    let hello: HelloProxy = comm
        .string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{}", node.tcp))
        .unwrap();
    assert_eq!(hello.test().await.unwrap(), 0);
    assert_eq!(
        hello.test_hello("from rust").await.unwrap(),
        (0, "from rust".to_string())
    );

    let echo: EchoProxy = comm
        .string_to_proxy(&format!("Interop.EchoServer.EchoObj@{}", node.tcp))
        .unwrap();
    let (ret, sum) = echo
        .scalars(
            true,
            -128,
            -32768,
            i32::MAX,
            -9_007_199_254_740_993,
            1.5,
            -2.25,
            255,
            65535,
            u32::MAX,
        )
        .await
        .unwrap();
    assert_eq!(
        (ret, sum),
        (
            0,
            -128 - 32768 + i32::MAX as i64 - 9_007_199_254_740_993 + 255 + 65535 + u32::MAX as i64
        )
    );
    for s in ["", &"x".repeat(300), "héllo 世界"] {
        assert_eq!(echo.echo_string(s).await.unwrap(), s);
    }
    let blob: Vec<u8> = (0..1000).map(|i| i as u8).collect();
    assert_eq!(echo.echo_bytes(&blob).await.unwrap().as_ref(), &blob[..]);
    assert_eq!(echo.echo_item(&item(5)).await.unwrap(), item(5));
    let (n, ids, names) = echo
        .collections(&[item(1), item(2)], &BTreeMap::from([("g".into(), vec![1])]))
        .await
        .unwrap();
    assert_eq!(
        (n, ids, names),
        (
            2,
            vec![1, 2],
            BTreeMap::from([(1, "item-1".to_string()), (2, "item-2".to_string())])
        )
    );
    assert_eq!(echo.echo_kind(Kind::KindB).await.unwrap(), Kind::KindB);
    assert_eq!(echo.echo_kind(Kind::from_value(7)).await.unwrap(), Kind::Undeclared(7));
    echo.nothing().await.unwrap();

    // One-way, then read it back.
    echo.note_oneway("rust-note").await.unwrap();
    let start = Instant::now();
    while echo.last_note().await.unwrap().1 != "rust-note" {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the one-way note never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Error codes and timeouts.
    let e = echo.fail(-77, "custom failure").await.unwrap_err();
    assert_eq!(e.code(), -77, "{e}");
    let e = echo
        .slow_with(&CallOptions::new().timeout(Duration::from_millis(200)), 2000)
        .await
        .unwrap_err();
    assert_eq!(e.code(), -7);
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

/// The same calls over TUP v3 and v2 (and JSON for Hello, the one interface the Node server
/// answers JSON on): @tars/rpc answers TUP in the RequestPacket layout with the result code in
/// its status, reads TUP v2 arguments by its own type names (`List<…>`), and writes the return
/// value under the empty name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_calls_node_server_over_tup() {
    let node = tokio::task::spawn_blocking(start_node_server).await.unwrap();
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{}", node.tcp))
        .unwrap();
    let echo: EchoProxy = comm
        .string_to_proxy(&format!("Interop.EchoServer.EchoObj@{}", node.tcp))
        .unwrap();
    for protocol in [Encoding::TupV3, Encoding::TupV2] {
        let (hello, echo) = (hello.with_protocol(protocol), echo.with_protocol(protocol));
        crate::support::echo::every_shape(&format!("{protocol} to @tars/rpc"), &hello, &echo).await;
        let e = echo
            .slow_with(&CallOptions::new().timeout(Duration::from_millis(200)), 2000)
            .await
            .unwrap_err();
        assert_eq!(e.code(), -7);
        // A function the servant does not have: @tars/rpc's -3, through the status map.
        let untyped = tars::client::Proxy::servant_proxy(&hello);
        let body = tars::protocol::Args::new(protocol).finish();
        let e = untyped.invoke("nope", body, &CallOptions::new()).await.unwrap_err();
        assert_eq!(e.code(), -3, "{protocol}: {e}");
    }
    let hello = hello.with_protocol(Encoding::Json);
    assert_eq!(hello.test().await.unwrap(), 0);
    assert_eq!(hello.test_hello("json").await.unwrap(), (0, "json".to_string()));
    drop(node);
}
