//! The client's memory after a huge reply that nobody waits for: the buffer that held it is
//! given back. (Alone in its test binary: it measures this process's resident memory.)

use std::time::Duration;

use crate::mem;
use crate::support::fake::{self, Act};
use crate::support::server::hello::test_app::HelloProxy;
use tars::client::{CallOptions, Communicator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_100_mb_reply_does_not_stay_in_the_read_buffer() {
    let _turn = crate::mem::TURN.lock().await;
    // The first call times out; its 99 MB reply arrives later, for nobody.
    let fake = fake::start(|_, n| match n {
        0 => Act::AnswerLate {
            after: Duration::from_millis(400),
            padding: 99 << 20,
        },
        _ => Act::Answer,
    })
    .await;
    let comm = Communicator::new();
    let p: HelloProxy = comm
        .string_to_proxy(&format!(
            "TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p {}",
            fake.addr.port()
        ))
        .unwrap();
    let base = mem::rss_mib();
    let e = p
        .test_hello_with(&CallOptions::new().timeout(Duration::from_millis(100)), "first")
        .await
        .unwrap_err();
    assert_eq!(e.code(), -7, "{e}");
    // Replies come in order on the connection: once this one is back, the big one was read.
    let (ret, echo) = p
        .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(30)), "second")
        .await
        .unwrap()
        .value;
    assert_eq!((ret, echo.as_str()), (0, "second"));
    let after = mem::rss_mib() - base;
    eprintln!("after a discarded 99 MiB reply: +{after:.1} MiB");
    assert!(after < 40.0, "the client kept {after:.1} MiB");
}
