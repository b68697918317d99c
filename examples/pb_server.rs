//! A protobuf servant over TARS: `TestApp.PbServer.GreeterObj` serves the `Greeter` service
//! of `examples/proto/helloworld.proto` (TarsGo's example), wire-compatible with TarsGo's
//! `protoc-gen-go-tarsrpc` servants and proxies.
//!
//! ```text
//! cargo run --example pb_server                          # tcp -h 127.0.0.1 -p 10019
//! cargo run --example pb_server -- --config=FILE         # a standard TARS config file
//! cargo run --example pb_client                          # hello tars
//! ```

use tars::Application;
use tars::{Context, Status};

mod pb {
    tars::include_proto!("examples/proto/helloworld.proto");
}

use pb::helloworld::{Greeter, HelloReply, HelloRequest};

/// The config used without `--config`: one adapter on 127.0.0.1:10019.
const DEFAULT_CONFIG: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=PbServer
      <TestApp.PbServer.GreeterObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10019 -t 60000
        servant=TestApp.PbServer.GreeterObj
      </TestApp.PbServer.GreeterObjAdapter>
    </server>
  </application>
</tars>
";

struct GreeterImp;

#[tars::servant]
impl Greeter for GreeterImp {
    async fn say_hello(&self, _ctx: &Context, req: HelloRequest) -> Result<HelloReply, Status> {
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!("usage: pb_server [--config=FILE]\n\nServes TestApp.PbServer.GreeterObj (helloworld.Greeter over TARS; tcp -h 127.0.0.1 -p 10019 without --config).");
        return Ok(());
    }
    let server = Application::from_args_or(DEFAULT_CONFIG)?
        .servant("TestApp.PbServer.GreeterObj", GreeterImp)
        .start()
        .await?;
    println!(
        "PbServer serving TestApp.PbServer.GreeterObj@{}",
        server
            .endpoint("TestApp.PbServer.GreeterObj")
            .ok_or("GreeterObj is not bound")?
    );
    server.run_until_signal().await;
    Ok(())
}
