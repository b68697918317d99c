//! The servant and setup the server tests share: `TestApp.HelloServer.HelloObj`, and a server
//! started on a config written inline. `testHello("sleep N")` sleeps N ms before answering,
//! to hold requests; a request context `seen-by` (set by filters) is appended to the echo.

use std::time::Duration;

use tars::application::Server;
use tars::codec::TarsEncode;
use tars::Application;
use tars::{Context, Status};

pub(crate) mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

pub(crate) const OBJ: &str = "TestApp.HelloServer.HelloObj";

pub(crate) struct SleepyHello;

#[tars::servant]
impl hello::test_app::Hello for SleepyHello {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        if let Some(ms) = s_req.strip_prefix("sleep ") {
            let ms: u64 = ms
                .trim()
                .parse()
                .map_err(|_| Status::new(1, "sleep takes milliseconds"))?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        // What server filters added to the request, for the tests of filters.
        match ctx.request_context().get("seen-by") {
            Some(seen) => Ok((0, format!("{s_req}|{seen}"))),
            None => Ok((0, s_req)),
        }
    }
}

/// The config of a server with one adapter for [`OBJ`]: `server_keys` go in `<server>`,
/// `adapter_keys` in the adapter section.
pub(crate) fn config(server_keys: &str, endpoint: &str, adapter_keys: &str) -> String {
    format!(
        "<tars><application><server>
app=TestApp
server=HelloServer
{server_keys}
<TestApp.HelloServer.HelloObjAdapter>
endpoint={endpoint}
servant={OBJ}
{adapter_keys}
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>"
    )
}

/// Starts [`SleepyHello`] on a TCP adapter on an ephemeral port.
pub(crate) async fn start(server_keys: &str, adapter_keys: &str) -> Server {
    start_on(server_keys, "tcp -h 127.0.0.1 -p 0 -t 60000", adapter_keys).await
}

/// Starts [`SleepyHello`] on `endpoint`.
pub(crate) async fn start_on(server_keys: &str, endpoint: &str, adapter_keys: &str) -> Server {
    let config = config(server_keys, endpoint, adapter_keys);
    Application::new(config.parse().unwrap())
        .servant(OBJ, SleepyHello)
        .start()
        .await
        .unwrap()
}

/// Serves `servant` alone as `obj`, on the embedded default config, with a TCP adapter on an
/// ephemeral port of 127.0.0.1.
pub(crate) async fn serve(obj: &str, servant: impl tars::server::Servant) -> Server {
    Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(obj, servant)
        .endpoint(obj, "tcp -h 127.0.0.1 -p 0 -t 60000")
        .unwrap()
        .start()
        .await
        .unwrap()
}

/// [`serve`], and a proxy to it through a communicator of its own.
#[allow(dead_code)] // Not used by every test binary that shares these helpers.
pub(crate) async fn serve_alone<P: tars::client::Proxy>(obj: &str, servant: impl tars::server::Servant) -> (Server, P) {
    let server = serve(obj, servant).await;
    let proxy = tars::client::Communicator::new()
        .string_to_proxy(&format!("{obj}@{}", server.endpoint(obj).unwrap()))
        .unwrap();
    (server, proxy)
}

/// Echoes `testHello`, and answers `testHello("fail")` with the application's code -42.
#[allow(dead_code)] // Used by the trace_otel binary.
pub(crate) struct FailsOnRequest;

#[tars::servant]
impl hello::test_app::Hello for FailsOnRequest {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        match s_req.as_str() {
            "fail" => Err(Status::new(-42, "failed on purpose")),
            _ => Ok((0, s_req)),
        }
    }
}

/// The `sBuffer` of `testHello(s)`.
pub(crate) fn hello_args(s: &str) -> tars::bytes::Bytes {
    let mut b = tars::bytes::BytesMut::new();
    s.to_string().encode(1, &mut b);
    b.freeze()
}
