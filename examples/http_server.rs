//! A server with a TARS object and an HTTP object side by side: `TestApp.HelloServer.HelloObj`
//! (TARS, `tests/idl/hello.tars`) and `TestApp.HelloServer.HttpObj` (HTTP, an axum router),
//! the second a small HTTP-to-TARS gateway to the first.
//!
//! ```text
//! cargo run --example http_server                          # TARS on 10015, HTTP on 10017
//! cargo run --example http_server -- --config=FILE         # a standard TARS config file
//! curl http://127.0.0.1:10017/hello/world                  # hello world
//! curl -d 'some bytes' http://127.0.0.1:10017/api/echo     # some bytes
//! curl http://127.0.0.1:10017/api/tars/world               # world, through testHello
//! cargo run --example http_server -- --plain-axum 127.0.0.1:10018  # the router alone
//! ```
//!
//! `--plain-axum ADDR` serves the same router with `axum::serve` and nothing of TARS (no
//! admission, span, stat or context), to measure what the TARS layer costs (`bench/http.sh`).

use std::sync::{Arc, OnceLock};

use tars::server::http::axum::extract::{Path, State};
use tars::server::http::axum::http::StatusCode;
use tars::server::http::axum::routing::{get, post};
use tars::server::http::axum::Router;
use tars::Application;
use tars::{Context, Status};

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

use hello::test_app::{Hello, HelloProxy};

/// The config used without `--config`: the TARS object on 127.0.0.1:10015, the HTTP object
/// on 127.0.0.1:10017 (`protocol=http`; TarsWeb writes `not_tars`, which works too).
const DEFAULT_CONFIG: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=HelloServer
      <TestApp.HelloServer.HelloObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10015 -t 60000
        servant=TestApp.HelloServer.HelloObj
      </TestApp.HelloServer.HelloObjAdapter>
      <TestApp.HelloServer.HttpObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10017 -t 60000
        servant=TestApp.HelloServer.HttpObj
        protocol=http
      </TestApp.HelloServer.HttpObjAdapter>
    </server>
  </application>
</tars>
";

struct HelloImp;

#[tars::servant]
impl Hello for HelloImp {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        Ok((0, s_req))
    }
}

/// The gateway's proxy to the TARS object, set once the server has bound it.
type Backend = Arc<OnceLock<HelloProxy>>;

async fn hello(Path(name): Path<String>) -> String {
    format!("hello {name}")
}

async fn echo(body: tars::server::http::axum::body::Bytes) -> tars::server::http::axum::body::Bytes {
    body
}

/// `testHello` on the TARS object: the call continues this request's trace and dye.
async fn through_tars(
    State(backend): State<Backend>,
    Path(name): Path<String>,
) -> Result<String, (StatusCode, String)> {
    let proxy = backend
        .get()
        .ok_or((StatusCode::SERVICE_UNAVAILABLE, "starting".to_string()))?;
    match proxy.test_hello(&name).await {
        Ok((_, answer)) => Ok(answer),
        Err(e) => Err((StatusCode::BAD_GATEWAY, e.to_string())),
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
        println!(
            "usage: http_server [--config=FILE | --plain-axum HOST:PORT]\n\nServes TestApp.HelloServer.HelloObj (TARS) and TestApp.HelloServer.HttpObj (HTTP:\nGET /hello/{{name}}, POST /api/echo, GET /api/tars/{{name}}); without --config on\n127.0.0.1:10015 and 127.0.0.1:10017."
        );
        return Ok(());
    }
    let backend = Backend::default();
    let router = Router::new()
        .route("/hello/{name}", get(hello))
        .route("/api/echo", post(echo))
        .route("/api/tars/{name}", get(through_tars))
        .with_state(backend.clone());
    let mut args = std::env::args().skip(1);
    if let Some(flag) = args.next().filter(|a| a == "--plain-axum") {
        let addr = args.next().ok_or(format!("{flag} needs HOST:PORT"))?;
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("plain axum serving at http://{}", listener.local_addr()?);
        axum::serve(listener, router).await?;
        return Ok(());
    }
    let app = Application::from_args_or(DEFAULT_CONFIG)?;
    let communicator = app.communicator();
    let server = app
        .servant("TestApp.HelloServer.HelloObj", HelloImp)
        .http_servant("TestApp.HelloServer.HttpObj", router)
        .start()
        .await?;
    let tars_endpoint = server
        .endpoint("TestApp.HelloServer.HelloObj")
        .ok_or("HelloObj is not bound")?;
    let proxy: HelloProxy = communicator.string_to_proxy(&format!("TestApp.HelloServer.HelloObj@{tars_endpoint}"))?;
    let _ = backend.set(proxy);
    println!("HelloServer serving TestApp.HelloServer.HelloObj@{tars_endpoint}");
    let http = server
        .local_addr("TestApp.HelloServer.HttpObj")
        .ok_or("HttpObj is not bound")?;
    println!("HelloServer serving TestApp.HelloServer.HttpObj at http://{http}");
    server.run_until_signal().await;
    Ok(())
}
