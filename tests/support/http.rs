//! A plain HTTP client for the HTTP servants' tests: hyper's own connection API, so a test
//! holds one connection (keep-alive, HTTP/2 streams) or opens many, over TCP or TLS.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};

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
