//! A tars-rs proxy set to each protocol against TarsGo's genuine server (the `hello-server`
//! of `../shared/peers/tarsgo`, TarsGo 1.4.5+5 with tars2go's stubs): TARS, TUP v3 and JSON
//! answered, TUP v2 refused by TarsGo itself (its server decodes versions 1, 3 and 5 only),
//! the refusal arriving as a call error rather than a hang. Opt-in: skipped with a message
//! unless the peer is built.

use std::process::{Command, Stdio};

use tars::client::{Communicator, Encoding};

use super::{tarsgo_bin, wait_for_port, Peer};
use crate::support::echo::hello::test_app::HelloProxy;
use crate::support::free_port;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tarsgo_server_answers_tup_and_json_calls() {
    let Some(bin) = tarsgo_bin("hello-server") else {
        eprintln!("skipped: TarsGo's hello-server is not built (../shared/peers/tarsgo/build.sh)");
        return;
    };
    let port = free_port();
    let _peer = Peer(
        Command::new(bin)
            .args(["-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port).await;
    let hello: HelloProxy = Communicator::new()
        .string_to_proxy(&format!(
            "TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p {port} -t 60000"
        ))
        .unwrap();
    for protocol in [Encoding::Tars, Encoding::TupV3, Encoding::Json] {
        let hello = hello.with_protocol(protocol);
        let text = format!("hello over {protocol:?}, \u{4f60}\u{597d}");
        assert_eq!(
            hello.test_hello(&text).await.unwrap(),
            (0, text.clone()),
            "{protocol:?}"
        );
        assert_eq!(hello.test().await.unwrap(), 0, "{protocol:?}");
    }
    let refused = hello.with_protocol(Encoding::TupV2).test_hello("v2").await.unwrap_err();
    assert!(
        refused.to_string().contains("error version: 2"),
        "TarsGo's own words: {refused}"
    );
}
