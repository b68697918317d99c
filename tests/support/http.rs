//! The HTTP servants' tests: a server with a TARS object and an HTTP object (a small gateway
//! to the TARS one), and a plain HTTP client on hyper's own connection API, so a test holds
//! one connection (keep-alive, HTTP/2 streams) or opens many, over TCP or TLS.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tars::application::Server;
use tars::framework::Platform;
use tars::server::http::axum::body::Bytes as Body;
use tars::server::http::axum::extract::{Path, State};
use tars::server::http::axum::http::StatusCode as Code;
use tars::server::http::axum::routing::{get, post};
use tars::server::http::axum::{Extension, Router};
use tars::server::ServerError;
use tars::Application;
use tars::{Context, Status};

use super::server::hello::test_app::{Hello, HelloProxy};
use super::server::OBJ;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};

pub(crate) const HTTP_OBJ: &str = "TestApp.HelloServer.HttpObj";

/// A TARS servant that answers with what the request carried: its trace id, the formats
/// the trace came in, and its dye (`<trace id>|Formats(…)|<dye>`).
pub(crate) struct Mirror;

#[tars::servant]
impl Hello for Mirror {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        if let Some(ms) = s_req.strip_prefix("sleep ") {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        }
        let (trace_id, formats) = match ctx.trace() {
            Some(t) => (t.trace_id.to_string(), format!("{:?}", t.formats)),
            None => (String::new(), String::new()),
        };
        Ok((0, format!("{trace_id}|{formats}|{}", ctx.dye_key().unwrap_or(""))))
    }
}

type Backend = Arc<OnceLock<HelloProxy>>;

/// The router of the tests: the example's three routes, a slow one and a failing one.
pub(crate) fn router(backend: Backend) -> Router {
    Router::new()
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("hello {name}") }),
        )
        .route("/api/echo", post(|body: Body| async move { body }))
        .route(
            "/api/tars/{name}",
            get(|State(b): State<Backend>, Path(name): Path<String>| async move {
                let proxy = b.get().expect("set after start");
                proxy.test_hello(&name).await.map(|(_, s)| s).map_err(|e| e.to_string())
            }),
        )
        .route(
            "/slow/{ms}",
            get(|Path(ms): Path<u64>| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "slept"
            }),
        )
        .route("/fail", get(|| async { (Code::INTERNAL_SERVER_ERROR, "no") }))
        .route(
            "/whoami",
            get(|Extension(platform): Extension<Platform>| async move {
                let config = platform.config();
                let server = config.server.as_ref().expect("a server config");
                format!("{}.{}", server.app, server.server)
            }),
        )
        .with_state(backend)
}

/// The config of a server with the TARS object and the HTTP object, both on port 0.
pub(crate) fn config(server_keys: &str, http_endpoint: &str, http_keys: &str) -> String {
    format!(
        "<tars><application><server>
app=TestApp
server=HelloServer
localip=127.0.0.1
{server_keys}
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
</TestApp.HelloServer.HelloObjAdapter>
<TestApp.HelloServer.HttpObjAdapter>
endpoint={http_endpoint}
servant={HTTP_OBJ}
protocol=not_tars
{http_keys}
</TestApp.HelloServer.HttpObjAdapter>
</server></application></tars>"
    )
}

/// Starts the two objects on `config`, the gateway's proxy aimed at the TARS one.
pub(crate) async fn start(config: &str) -> Result<(Server, SocketAddr), ServerError> {
    start_with_backend(config, None).await
}

/// [`start`], the gateway's proxy aimed at `backend` (an endpoint) when given.
pub(crate) async fn start_with_backend(
    config: &str,
    backend: Option<&str>,
) -> Result<(Server, SocketAddr), ServerError> {
    let gateway = Backend::default();
    let app = Application::new(config.parse().unwrap());
    let comm = app.communicator();
    let server = app
        .servant(OBJ, Mirror)
        .http_servant(HTTP_OBJ, router(gateway.clone()))
        .start()
        .await?;
    let target = match backend {
        Some(endpoint) => endpoint.to_string(),
        None => server.endpoint(OBJ).unwrap().to_string(),
    };
    let _ = gateway.set(comm.string_to_proxy(&format!("{OBJ}@{target}")).unwrap());
    let http = server.local_addr(HTTP_OBJ).unwrap();
    Ok((server, http))
}

/// An answer, body read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// One HTTP/1.1 connection (or an HTTP/2 one), sending requests one after another.
pub(crate) enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Conn {
    /// An HTTP/1.1 connection to `addr`.
    pub(crate) async fn h1(addr: SocketAddr) -> Conn {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        Conn::h1_over(tcp).await
    }

    /// HTTP/1.1 over `io` (a TLS stream, say).
    pub(crate) async fn h1_over<IO>(io: IO) -> Conn
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http1::handshake(TokioIo::new(io)).await.unwrap();
        tokio::spawn(conn);
        Conn::H1(sender)
    }

    /// HTTP/2 with prior knowledge (h2c) over TCP, or over `io` negotiated by ALPN.
    pub(crate) async fn h2_over<IO>(io: IO) -> Conn
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io)).await.unwrap();
        tokio::spawn(conn);
        Conn::H2(sender)
    }

    /// Sends `method path` with `headers` and `body`; `Err` if the connection failed.
    pub(crate) async fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Answer, hyper::Error> {
        let uri = match self {
            Conn::H1(_) => path.to_string(),
            Conn::H2(_) => format!("http://localhost{path}"),
        };
        let mut req = Request::builder().method(method).uri(uri);
        if matches!(self, Conn::H1(_)) {
            req = req.header("host", "localhost");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
        let rsp = match self {
            Conn::H1(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
            Conn::H2(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
        };
        let (parts, body) = rsp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// `try_send`, which must succeed.
    pub(crate) async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        self.try_send(method, path, headers, body).await.unwrap()
    }

    /// `GET path`.
    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[], "").await
    }
}
