//! One HTTP request's path through an HTTP adapter: in-flight count and admission, scope and
//! span, body limit, the router (which records the route it matched), stat.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

use crate::context::Current;
use crate::server::admission::{Admission, Admit};
use crate::server::in_flight::InFlight;
use crate::server::observe::ServeObserver;
use crate::trace::TraceContext;

use super::{headers, HttpExchange, HttpServant, UNMATCHED_ROUTE};

/// What an HTTP adapter serves its requests with.
pub(crate) struct HttpAdapter {
    /// The servant's router, each route wrapped to record its pattern in the response.
    router: Router,
    exception: Arc<dyn Fn(StatusCode) -> bool + Send + Sync>,
    /// Puts the servant's extensions into a request.
    extend: Option<super::Extend>,
    admission: Arc<Admission>,
    observer: Option<Arc<dyn ServeObserver>>,
    /// The largest request body (`maxPackageLength`).
    max_body: usize,
}

impl HttpAdapter {
    pub(crate) fn new(
        servant: &HttpServant,
        admission: Arc<Admission>,
        observer: Option<Arc<dyn ServeObserver>>,
        max_body: usize,
    ) -> Self {
        HttpAdapter {
            router: servant.router.clone().layer(RecordRouteLayer),
            exception: servant.exception.clone(),
            extend: servant.extend.clone(),
            admission,
            observer,
            max_body,
        }
    }

    /// The adapter's admission (its zombie state goes into the heartbeat).
    pub(crate) fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    /// Answers `req`, which came from `peer` to `local` on a connection of this adapter.
    pub(crate) async fn handle(
        self: Arc<Self>,
        mut req: Request<hyper::body::Incoming>,
        peer: SocketAddr,
        local: SocketAddr,
        in_flight: Arc<InFlight>,
    ) -> Response {
        let received = Instant::now();
        let _in_flight = in_flight.enter();
        let asked = Asked {
            method: req.method().clone(),
            client: self
                .observer
                .as_ref()
                .map(|_| headers::client_address(req.headers(), peer)),
        };
        // Layer 1: admission.
        let ahead = self.observer.as_ref().map(|_| self.admission.admitted());
        let admitted = match self.admission.admit(received, None) {
            Admit::Done(answer) => answer,
            Admit::Wait(waiting) => waiting.await,
        };
        if let (Some(observer), Some(ahead)) = (&self.observer, ahead) {
            observer.admitted(ahead, received.elapsed(), admitted.as_ref().err());
        }
        let _permit = match admitted {
            Ok(permit) => permit,
            Err(refused) => {
                let rsp = plain(StatusCode::SERVICE_UNAVAILABLE, refused.message().to_string());
                self.record(&asked, &tracing::Span::none(), &rsp, local, received);
                return rsp;
            }
        };
        // Layer 2: the scope and span.
        let (incoming, dye) = headers::incoming_context(req.headers());
        let here = incoming.as_ref().map(TraceContext::child);
        let span = crate::trace::http_server_span(
            req.method().as_str(),
            req.uri().path(),
            protocol_version(req.version()),
            headers::requested_host(&req),
            peer,
            local.port(),
            incoming.as_ref().map(|c| c.span_id),
            dye.as_deref(),
        );
        #[cfg(feature = "opentelemetry")]
        let here = crate::trace::otel::server_span_context(&span, incoming.as_ref(), here);
        crate::trace::record_context(&span, here.as_ref());
        // As TarsGo's HTTP handler: Go's `r.URL.Scheme` (empty but for absolute URIs) and
        // `r.Proto`.
        #[cfg(feature = "opentelemetry")]
        let measured = crate::trace::otel::metrics::Timed::http_request(
            req.method().as_str(),
            req.uri().path(),
            req.uri().scheme_str().unwrap_or_default(),
            &format!("{:?}", req.version()),
        );
        // A request with no trace and no dye passes nothing on: it runs in no scope.
        let current = (here.is_some() || dye.is_some()).then(|| {
            Arc::new(Current {
                deadline: None,
                dye,
                trace: here,
            })
        });
        // Layer 3: the body limit. A declared length over it is refused before any byte of
        // the body is read; an undeclared one stops at the limit (axum's extractors answer
        // 413 then).
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let rsp = if declared.is_some_and(|n| n > self.max_body as u64) {
            plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than this server's limit of {} bytes", self.max_body),
            )
        } else {
            // Layer 4: the router.
            let extensions = req.extensions_mut();
            extensions.insert(ConnectInfo(peer));
            if let Some(extend) = &self.extend {
                extend(extensions);
            }
            let req = req.map(|body| Body::new(http_body_util::Limited::new(body, self.max_body)));
            let routed = self.router.clone().oneshot(req).instrument(span.clone());
            let answered = match current {
                Some(current) => current.scope(routed).await,
                None => routed.await,
            };
            match answered {
                Ok(rsp) => rsp,
                Err(never) => match never {},
            }
        };
        // Layer 5: stat.
        self.record(&asked, &span, &rsp, local, received);
        #[cfg(feature = "opentelemetry")]
        if let Some(measured) = measured {
            measured.end(i64::from(rsp.status().as_u16()));
        }
        rsp
    }

    fn record(&self, asked: &Asked, span: &tracing::Span, rsp: &Response, local: SocketAddr, received: Instant) {
        let route = rsp
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
        let status = rsp.status();
        crate::trace::record_http_outcome(span, asked.method.as_str(), route, status.as_u16());
        if let (Some(observer), Some(client)) = (&self.observer, &asked.client) {
            observer.http_answered(&HttpExchange {
                route,
                client,
                local_port: local.port(),
                status: status.as_u16(),
                exception: (self.exception)(status),
                elapsed: received.elapsed(),
            });
        }
    }
}

/// What stat and the span need of a request once its body has gone to the router.
struct Asked {
    method: axum::http::Method,
    /// The client's address, when an observer counts the request.
    client: Option<String>,
}

/// `network.protocol.version` of a request.
fn protocol_version(version: axum::http::Version) -> &'static str {
    use axum::http::Version;
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut rsp = Response::new(Body::from(text));
    *rsp.status_mut() = status;
    rsp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    rsp
}

/// Wraps each route of a router to put the route's pattern into its response (the router
/// knows it only while it routes).
#[derive(Clone, Copy)]
struct RecordRouteLayer;

impl<S> Layer<S> for RecordRouteLayer {
    type Service = RecordRoute<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RecordRoute(inner)
    }
}

#[derive(Clone)]
struct RecordRoute<S>(S);

impl<S> Service<Request> for RecordRoute<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteRecorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let route = req.extensions().get::<MatchedPath>().cloned();
        RouteRecorded {
            inner: self.0.call(req),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// A route's response future, which adds the route's pattern to the response.
    struct RouteRecorded<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
    }
}

impl<F> std::future::Future for RouteRecorded<F>
where
    F: std::future::Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut rsp) = std::task::ready!(this.inner.poll(cx));
        if let Some(route) = this.route.take() {
            rsp.extensions_mut().insert(route);
        }
        Poll::Ready(Ok(rsp))
    }
}
