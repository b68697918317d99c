//! A TARS server for `TestApp.HelloServer.HelloObj` (`tests/idl/hello.tars`).
//!
//! ```text
//! cargo run --example hello_server                          # tcp -h 127.0.0.1 -p 10015
//! cargo run --example hello_server -- --config=config.conf  # a standard TARS config file
//! RUST_LOG=info cargo run --example hello_server            # a subscriber records the spans
//! ```

use tars::Application;
use tars::{Context, Status};

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

use hello::test_app::Hello;

/// The config used without `--config`: one adapter on 127.0.0.1:10015.
const DEFAULT_CONFIG: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=HelloServer
      <TestApp.HelloServer.HelloObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10015 -t 60000
        servant=TestApp.HelloServer.HelloObj
      </TestApp.HelloServer.HelloObjAdapter>
    </server>
  </application>
</tars>
";

struct HelloImp {
    /// `--log-requests`: one log line per `testHello` (to measure what logging costs).
    log_requests: bool,
}

#[tars::servant]
impl Hello for HelloImp {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        if self.log_requests {
            tracing::info!(bytes = s_req.len(), "testHello");
        }
        Ok((0, s_req))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Without RUST_LOG no subscriber is installed, so the runtime's spans cost next to nothing.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!("usage: hello_server [--config=FILE] [--log-requests]\n\nServes TestApp.HelloServer.HelloObj (on tcp -h 127.0.0.1 -p 10015 without --config); --log-requests logs a line per testHello.");
        return Ok(());
    }
    let log_requests = std::env::args().any(|a| a == "--log-requests");
    let args = std::env::args().skip(1).filter(|a| a != "--log-requests");
    let server = Application::from_arg_list(args, DEFAULT_CONFIG)?
        .servant("TestApp.HelloServer.HelloObj", HelloImp { log_requests })
        .start()
        .await?;
    println!(
        "HelloServer serving TestApp.HelloServer.HelloObj@{}",
        server.endpoint("TestApp.HelloServer.HelloObj").expect("bound")
    );
    server.run_until_signal().await;
    Ok(())
}
