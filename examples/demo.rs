//! The tars-rs demo: `cargo run --example demo`.
//!
//! A TARS server and a TARS client in one process, no config file: the server serves
//! `TestApp.HelloServer.HelloObj` (from `tests/idl/hello.tars`) on a free local port, and
//! the client calls it the way a Go, C++ or Node service would.

use std::time::Duration;

use tars::client::{CallOptions, Communicator};
use tars::Application;
use tars::{Context, Status};

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

use hello::test_app::{Hello, HelloProxy};

struct HelloImp;

#[tars::servant]
impl Hello for HelloImp {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        ctx.set_response_context("served-by", "tars-rs");
        Ok((0, format!("hello, {s_req}")))
    }
}

const OBJ: &str = "TestApp.HelloServer.HelloObj";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!("usage: demo [--config=FILE]\n\nStarts TestApp.HelloServer.HelloObj on an ephemeral port, calls it, and stops.");
        return Ok(());
    }
    let server = Application::from_args()?
        .servant(OBJ, HelloImp)
        .endpoint(OBJ, "tcp -h 127.0.0.1 -p 0 -t 60000")?
        .start()
        .await?;
    let endpoint = server.endpoint(OBJ).expect("bound");
    println!("server: serving {OBJ}@{endpoint}");

    let comm = Communicator::new();
    let proxy: HelloProxy = comm.string_to_proxy(&format!("{OBJ}@{endpoint}"))?;
    println!("client: test() = {}", proxy.test().await?);
    let (ret, s_rsp) = proxy.test_hello("world").await?;
    println!("client: testHello(\"world\") = ({ret}, {s_rsp:?})");
    let opts = CallOptions::new()
        .timeout(Duration::from_millis(500))
        .context("trace", "demo-1");
    let reply = proxy.test_hello_with(&opts, "with options").await?;
    println!("client: reply context = {:?}", reply.context);

    server.shutdown().await;
    println!("server: stopped");
    Ok(())
}
