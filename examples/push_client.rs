//! A push client: calls `connect` on `TestApp.PushServer.PushObj` (see `push_server`) and
//! prints what the server pushes. When the server goes away (`_reconnect_`) or the connection
//! drops, it connects again, and goes on printing.
//!
//! ```text
//! cargo run --example push_client                       # tcp -h 127.0.0.1 -p 10016
//! cargo run --example push_client -- OBJECT --count 10  # stop after 10 pushes
//! ```

use std::time::Duration;

use tars::client::{Communicator, Proxy, PushEvent};

mod push {
    tars::include_tars!("tests/idl/push.tars");
}

use push::test_app::PushProxy;

const DEFAULT_OBJ: &str = "TestApp.PushServer.PushObj@tcp -h 127.0.0.1 -p 10016 -t 3000";
const USAGE: &str = "usage: push_client [OBJECT] [--name NAME] [--count N]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut object, mut name, mut count) = (None, "rust".to_string(), None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--name" => name = value("--name")?,
            "--count" => {
                let n = value("--count")?;
                count = Some(
                    n.parse::<u64>()
                        .map_err(|_| format!("--count takes a number, not '{n}'\n{USAGE}"))?,
                );
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'\n{USAGE}").into()),
            obj if object.is_none() => object = Some(obj.to_string()),
            extra => return Err(format!("unexpected argument '{extra}'\n{USAGE}").into()),
        }
    }
    let comm = Communicator::new();
    let proxy: PushProxy = comm.string_to_proxy(object.as_deref().unwrap_or(DEFAULT_OBJ))?;
    // Subscribe first: pushes may follow the reply to `connect` at once.
    let mut pushes = proxy.on_push();
    connect(&proxy, &name).await;
    let mut received = 0u64;
    while let Some(event) = pushes.recv().await {
        match event {
            PushEvent::Message(m) => {
                println!("{}", String::from_utf8_lossy(&m.payload));
                received += 1;
                if count.is_some_and(|n| received >= n) {
                    break;
                }
            }
            PushEvent::Disconnected { endpoint, reason } => {
                println!("disconnected from {endpoint}: {reason}; connecting again");
                connect(&proxy, &name).await;
            }
            _ => {}
        }
    }
    proxy.disconnect().await?;
    Ok(())
}

/// Calls `connect` until it succeeds (the server may be restarting).
async fn connect(proxy: &PushProxy, name: &str) {
    loop {
        match proxy.connect(name).await {
            Ok((_, welcome)) => {
                println!("{welcome}");
                return;
            }
            Err(e) => {
                eprintln!("connect failed: {e}; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
