//! The plan of a server: from its `<server>` settings, servants, protocols and filters to the
//! endpoints to bind and what each serves. Pure: no socket is opened here, so every mistake a
//! config can hold (a servant without an adapter, an adapter without a servant, an unknown
//! protocol, two protocols on one endpoint, unusable TLS keys) is found, and tested, before
//! anything listens.
//!
//! Adapters that name the same endpoint share one listener, their servants told apart by
//! `sServantName`; the first of them gives the connection settings.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{AdapterConfig, AdapterProtocol, ServerConfig};
use crate::filter::Chain;
use crate::transport::budget::MemoryBudget;
use crate::transport::endpoint::{Endpoint, Proto};
use crate::transport::tls;

use super::access::AccessList;
use super::admission::Admission;
use super::error::ServerError;
use super::observe::ServeObserver;
use super::path::{RequestPath, Served};
use super::protocol::ServerProtocol;
use super::request::{ServerRequest, ServerResponse};
use super::servant::Servant;
use super::tars::TarsProtocol;

/// What a plan is made from.
pub(crate) struct PlanInputs<'a> {
    /// The settings, adapters included.
    pub(crate) server: &'a ServerConfig,
    /// The servants, by full object name.
    pub(crate) servants: &'a [(String, Arc<dyn Servant>)],
    /// Protocols other than TARS, by the name adapters give in `protocol=`.
    pub(crate) protocols: &'a HashMap<String, Arc<dyn ServerProtocol>>,
    /// The server filters.
    pub(crate) filters: &'a Chain<ServerRequest, ServerResponse>,
    /// The observer of each adapter, if any.
    pub(crate) observer: &'a dyn Fn(&AdapterConfig) -> Option<Arc<dyn ServeObserver>>,
    /// The memory of requests in flight, shared by every adapter.
    pub(crate) budget: &'a Arc<MemoryBudget>,
    /// TarsWeb's call chain, when the framework wing logs it.
    pub(crate) chain: Option<&'a Arc<crate::trace::chain::ChainLog>>,
    /// The HTTP servants, by full object name.
    #[cfg(feature = "http")]
    pub(crate) http_servants: &'a [(String, super::http::HttpServant)],
}

/// The endpoints to bind, and how to tell whether each adapter is alive.
pub(crate) struct ServerPlan {
    pub(crate) endpoints: Vec<EndpointPlan>,
    pub(crate) liveness: Vec<AdapterLiveness>,
}

/// One endpoint: the adapters that name it and what serves them.
pub(crate) struct EndpointPlan {
    pub(crate) endpoint: Endpoint,
    pub(crate) adapters: Vec<AdapterConfig>,
    pub(crate) serve: Serve,
    pub(crate) accept: AcceptPlan,
    /// The observer of the endpoint's connections (its first adapter's).
    pub(crate) observer: Option<Arc<dyn ServeObserver>>,
}

/// What serves an endpoint's connections.
#[derive(Clone)]
pub(crate) enum Serve {
    /// A framed protocol (TARS, or one the application registered): requests split off the
    /// stream and answered in order of completion.
    Frames(Arc<dyn ServerProtocol>),
    /// An HTTP servant, hyper serving each connection.
    #[cfg(feature = "http")]
    Http(Arc<HttpServe>),
}

impl Serve {
    /// The framed protocol, if it is one.
    pub(crate) fn protocol(&self) -> Option<&Arc<dyn ServerProtocol>> {
        match self {
            Serve::Frames(protocol) => Some(protocol),
            #[cfg(feature = "http")]
            Serve::Http(_) => None,
        }
    }
}

/// An HTTP endpoint: its adapter, hyper's settings and its connections' limits.
#[cfg(feature = "http")]
pub(crate) struct HttpServe {
    pub(crate) adapter: Arc<super::http::HttpAdapter>,
    pub(crate) hyper: Arc<hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>>,
    pub(crate) settings: super::http::HttpConnectionSettings,
}

/// How an endpoint accepts and keeps connections.
#[derive(Clone)]
pub(crate) struct AcceptPlan {
    pub(crate) access: AccessList,
    pub(crate) max_conns: usize,
    pub(crate) backlog: u32,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) frame_timeout: Option<Duration>,
    pub(crate) write_stall: Option<Duration>,
    pub(crate) max_in_flight: usize,
    pub(crate) no_delay: bool,
    pub(crate) recv_buffer: Option<u32>,
    pub(crate) send_buffer: Option<u32>,
    /// For `ssl` endpoints.
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Whether an adapter is alive, as its heartbeat to tarsnode says: an adapter whose handlers
/// are all stuck (a zombie) is left out of it, so that tarsnode restarts the server.
#[derive(Clone)]
pub struct AdapterLiveness {
    name: String,
    is_zombie: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl AdapterLiveness {
    /// An adapter called `name` that is a zombie while `is_zombie` says so.
    pub(crate) fn new(name: impl Into<String>, is_zombie: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        AdapterLiveness {
            name: name.into(),
            is_zombie: Arc::new(is_zombie),
        }
    }

    /// The adapter's section name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether every handler of the adapter is busy and none started for `zombietimeout`.
    pub fn is_zombie(&self) -> bool {
        (self.is_zombie)()
    }
}

impl std::fmt::Debug for AdapterLiveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterLiveness").field("name", &self.name).finish()
    }
}

/// Plans the server.
pub(crate) fn plan(inputs: &PlanInputs<'_>) -> Result<ServerPlan, ServerError> {
    let server = inputs.server;
    #[cfg(feature = "http")]
    let http_names = inputs.http_servants.iter().map(|(name, _)| name);
    #[cfg(not(feature = "http"))]
    let http_names = std::iter::empty::<&String>();
    for name in inputs.servants.iter().map(|(name, _)| name).chain(http_names) {
        if !server.adapters.iter().any(|a| &a.servant == name) {
            return Err(ServerError::NoAdapter { servant: name.clone() });
        }
    }
    // On port 0 ("any free port"), TARS adapters share one listener; any other adapter gets
    // a port of its own.
    #[cfg(feature = "http")]
    let tars_only = |a: &AdapterConfig| {
        a.protocol == AdapterProtocol::Tars && !inputs.http_servants.iter().any(|(n, _)| *n == a.servant)
    };
    #[cfg(not(feature = "http"))]
    let tars_only = |a: &AdapterConfig| a.protocol == AdapterProtocol::Tars;
    let mut groups: Vec<Vec<&AdapterConfig>> = Vec::new();
    for adapter in &server.adapters {
        let same = |a: &&AdapterConfig| {
            let (x, y) = (&a.endpoint, &adapter.endpoint);
            (x.proto, &x.host, x.port) == (y.proto, &y.host, y.port)
                && (x.port != 0 || (tars_only(a) && tars_only(adapter)))
        };
        match groups.iter_mut().find(|g| g.first().is_some_and(same)) {
            Some(group) => group.push(adapter),
            None => groups.push(vec![adapter]),
        }
    }
    let mut endpoints = Vec::new();
    let mut liveness = Vec::new();
    for group in groups {
        let first = group[0];
        let observers: Vec<_> = group.iter().map(|a| (inputs.observer)(a)).collect();
        #[cfg(feature = "http")]
        if let Some(serve) = http_endpoint(inputs, &group, &observers)? {
            let admission = serve.adapter.admission().clone();
            liveness.push(AdapterLiveness::new(first.name.clone(), {
                let zombie_after = server.zombie_timeout;
                move || admission.is_zombie(zombie_after)
            }));
            endpoints.push(EndpointPlan {
                endpoint: first.endpoint.clone(),
                adapters: vec![first.clone()],
                accept: accept_plan(server, first, Some(HTTP_ALPN))?,
                serve: Serve::Http(Arc::new(serve)),
                observer: observers.into_iter().next().flatten(),
            });
            continue;
        }
        let protocol: Arc<dyn ServerProtocol> = if group.iter().all(|a| a.protocol == AdapterProtocol::Tars) {
            let mut servants = Vec::new();
            for (a, observer) in group.iter().zip(&observers) {
                let servant = inputs
                    .servants
                    .iter()
                    .find(|(n, _)| *n == a.servant)
                    .map(|(_, s)| s.clone())
                    .ok_or_else(|| ServerError::UnknownServant {
                        adapter: a.name.clone(),
                        servant: a.servant.clone(),
                    })?;
                let admission = Arc::new(Admission::new(a.threads, a.queue_cap, a.queue_timeout));
                let (zombie_check, zombie_after) = (admission.clone(), server.zombie_timeout);
                liveness.push(AdapterLiveness::new(a.name.clone(), move || {
                    zombie_check.is_zombie(zombie_after)
                }));
                servants.push(Served {
                    name: a.servant.as_str().into(),
                    servant,
                    admission,
                    observer: observer.clone(),
                });
            }
            let handle_timeout = nonzero(server.handle_timeout);
            let path = RequestPath::new(servants, inputs.filters.clone(), handle_timeout, inputs.chain.cloned());
            Arc::new(TarsProtocol::new(
                path,
                server.max_package_length,
                inputs.budget.clone(),
            ))
        } else if let ([only], AdapterProtocol::Named(name)) = (&group[..], &first.protocol) {
            liveness.push(AdapterLiveness::new(only.name.clone(), || false));
            inputs
                .protocols
                .get(name)
                .cloned()
                .ok_or_else(|| ServerError::UnknownProtocol {
                    adapter: only.name.clone(),
                    protocol: name.clone(),
                })?
        } else {
            return Err(ServerError::SharedEndpoint {
                endpoint: first.endpoint.to_string(),
                adapters: group.iter().map(|a| a.name.clone()).collect(),
            });
        };
        endpoints.push(EndpointPlan {
            endpoint: first.endpoint.clone(),
            adapters: group.iter().map(|a| (*a).clone()).collect(),
            accept: accept_plan(server, first, None)?,
            serve: Serve::Frames(protocol),
            observer: observers.into_iter().next().flatten(),
        });
    }
    Ok(ServerPlan { endpoints, liveness })
}

/// How the endpoint of `first` (the first adapter naming it) accepts connections; `alpn`:
/// the protocols a TLS handshake offers.
fn accept_plan(
    server: &ServerConfig,
    first: &AdapterConfig,
    alpn: Option<&[&[u8]]>,
) -> Result<AcceptPlan, ServerError> {
    let tls = match first.endpoint.proto {
        Proto::Ssl => {
            // The adapter's own keys, else the server's.
            let mut tls = first.tls.clone();
            let base = &server.tls;
            tls.cert = tls.cert.or_else(|| base.cert.clone());
            tls.key = tls.key.or_else(|| base.key.clone());
            tls.ca = tls.ca.or_else(|| base.ca.clone());
            tls.verify_client |= base.verify_client;
            let mut config = tls::server_config(&tls).map_err(|source| ServerError::Tls {
                adapter: first.name.clone(),
                source,
            })?;
            if let Some(alpn) = alpn {
                Arc::make_mut(&mut config).alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            }
            Some(tokio_rustls::TlsAcceptor::from(config))
        }
        _ => None,
    };
    let buffer = |size: usize| (size > 0).then(|| u32::try_from(size).unwrap_or(u32::MAX));
    Ok(AcceptPlan {
        access: AccessList::new(first),
        max_conns: first.max_conns,
        backlog: first.backlog,
        idle_timeout: nonzero(Duration::from_millis(first.endpoint.timeout_ms)),
        frame_timeout: nonzero(server.read_timeout),
        write_stall: nonzero(server.write_timeout),
        max_in_flight: first.max_in_flight,
        no_delay: server.tcp_no_delay,
        recv_buffer: buffer(server.tcp_read_buffer),
        send_buffer: buffer(server.tcp_write_buffer),
        tls,
    })
}

/// What TLS offers on an HTTP endpoint: HTTP/2, then HTTP/1.1.
#[cfg(feature = "http")]
const HTTP_ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// The names an HTTP adapter's `protocol` may have: `http`, TarsWeb's `not_tars`, or none.
#[cfg(feature = "http")]
fn speaks_http(protocol: &AdapterProtocol) -> bool {
    match protocol {
        AdapterProtocol::Tars => true,
        AdapterProtocol::Named(name) => name == "http" || name == "not_tars",
    }
}

/// The HTTP endpoint of `group`, if its adapter serves an HTTP servant; an error if it does
/// and cannot (shared with other adapters, over UDP, with another protocol), or says
/// `protocol=http` with no HTTP servant to serve.
#[cfg(feature = "http")]
fn http_endpoint(
    inputs: &PlanInputs<'_>,
    group: &[&AdapterConfig],
    observers: &[Option<Arc<dyn ServeObserver>>],
) -> Result<Option<HttpServe>, ServerError> {
    let servant_of = |a: &AdapterConfig| inputs.http_servants.iter().find(|(n, _)| *n == a.servant);
    let Some((first, (_, servant))) = group.iter().find_map(|a| servant_of(a).map(|s| (*a, s))) else {
        return Ok(None);
    };
    if group.len() > 1 {
        return Err(ServerError::SharedEndpoint {
            endpoint: first.endpoint.to_string(),
            adapters: group.iter().map(|a| a.name.clone()).collect(),
        });
    }
    let refuse = |reason: String| ServerError::HttpAdapter {
        adapter: first.name.clone(),
        reason,
    };
    if first.endpoint.proto == Proto::Udp {
        return Err(refuse("HTTP is served over tcp or ssl endpoints, not udp".into()));
    }
    if !speaks_http(&first.protocol) {
        return Err(refuse(format!(
            "its protocol is '{}'; an HTTP servant's adapter says protocol=http (or not_tars)",
            first.protocol
        )));
    }
    let admission = Arc::new(Admission::new(first.threads, first.queue_cap, first.queue_timeout));
    let server = inputs.server;
    let adapter = super::http::HttpAdapter::new(servant, admission, observers[0].clone(), server.max_package_length);
    let settings = super::http::HttpConnectionSettings {
        idle_timeout: nonzero(Duration::from_millis(first.endpoint.timeout_ms)),
        write_stall: nonzero(server.write_timeout),
    };
    Ok(Some(HttpServe {
        adapter: Arc::new(adapter),
        hyper: Arc::new(settings.builder()),
        settings,
    }))
}

fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::idl::InterfaceDesc;
    use crate::server::Context;
    use crate::Status;

    struct Nothing;

    static NOTHING: InterfaceDesc = InterfaceDesc {
        module: "Test",
        name: "Nothing",
        methods: &[],
    };

    #[async_trait::async_trait]
    impl Servant for Nothing {
        fn interface(&self) -> &'static InterfaceDesc {
            &NOTHING
        }

        async fn dispatch(&self, _: &Context, _: &mut super::super::Call) -> Result<(), Status> {
            Ok(())
        }
    }

    fn server(adapters: &str) -> ServerConfig {
        let text = format!("<tars><application><server>\napp=A\nserver=S\n{adapters}\n</server></application></tars>");
        text.parse::<Config>().unwrap().server.unwrap()
    }

    fn adapter(name: &str, endpoint: &str, extra: &str) -> String {
        format!("<{name}>\nendpoint={endpoint}\nservant=A.S.{name}\n{extra}\n</{name}>")
    }

    fn plan_of(server: &ServerConfig, servants: &[&str], protocols: &[&str]) -> Result<ServerPlan, ServerError> {
        let servants: Vec<(String, Arc<dyn Servant>)> = servants
            .iter()
            .map(|n| (format!("A.S.{n}"), Arc::new(Nothing) as Arc<dyn Servant>))
            .collect();
        let protocols: HashMap<String, Arc<dyn ServerProtocol>> = protocols
            .iter()
            .map(|n| (n.to_string(), Arc::new(Shout) as Arc<dyn ServerProtocol>))
            .collect();
        plan(&PlanInputs {
            server,
            servants: &servants,
            protocols: &protocols,
            filters: &Chain::default(),
            observer: &|_| None,
            budget: &MemoryBudget::new(0, false),
            chain: None,
            #[cfg(feature = "http")]
            http_servants: &[],
        })
    }

    struct Shout;

    impl ServerProtocol for Shout {
        fn split_frame(
            &self,
            _: &mut bytes::BytesMut,
        ) -> Result<Option<bytes::Bytes>, crate::transport::frame::FrameError> {
            Ok(None)
        }

        fn handle(
            self: Arc<Self>,
            _: &crate::server::PushSender,
            _: bytes::Bytes,
            _: tokio::time::Instant,
        ) -> crate::filter::BoxFuture<'static, super::super::Handled> {
            Box::pin(std::future::ready(super::super::Handled::Nothing))
        }
    }

    #[test]
    fn adapters_on_one_endpoint_share_a_listener_and_each_has_its_liveness() {
        let cfg = server(
            &[
                adapter("One", "tcp -h 127.0.0.1 -p 7001", ""),
                adapter("Two", "tcp -h 127.0.0.1 -p 7001", "threads=2"),
                adapter("Three", "udp -h 127.0.0.1 -p 7001", ""),
                adapter("Line", "tcp -h 127.0.0.1 -p 7002", "protocol=line"),
            ]
            .join("\n"),
        );
        let p = plan_of(&cfg, &["One", "Two", "Three", "Line"], &["line"]).unwrap();
        let endpoints: Vec<(String, usize)> = p
            .endpoints
            .iter()
            .map(|e| (e.endpoint.to_string(), e.adapters.len()))
            .collect();
        assert_eq!(
            endpoints,
            [
                ("tcp -h 127.0.0.1 -p 7001 -t 3000".to_string(), 2),
                ("udp -h 127.0.0.1 -p 7001 -t 3000".to_string(), 1),
                ("tcp -h 127.0.0.1 -p 7002 -t 3000".to_string(), 1),
            ]
        );
        let names: Vec<&str> = p.liveness.iter().map(AdapterLiveness::name).collect();
        assert_eq!(names, ["One", "Two", "Three", "Line"]);
        assert!(p.liveness.iter().all(|l| !l.is_zombie()));
    }

    #[test]
    fn every_start_up_mistake_is_found_before_anything_listens() {
        let one = server(&adapter("One", "tcp -h 127.0.0.1 -p 7001", ""));
        let e = plan_of(&one, &["One", "Lost"], &[]).err().unwrap();
        assert!(
            matches!(&e, ServerError::NoAdapter { servant } if servant == "A.S.Lost"),
            "{e}"
        );
        let e = plan_of(&one, &[], &[]).err().unwrap();
        assert!(
            matches!(&e, ServerError::UnknownServant { adapter, .. } if adapter == "One"),
            "{e}"
        );
        let line = server(&adapter("Line", "tcp -h 127.0.0.1 -p 7002", "protocol=line"));
        let e = plan_of(&line, &[], &[]).err().unwrap();
        assert!(
            matches!(&e, ServerError::UnknownProtocol { protocol, .. } if protocol == "line"),
            "{e}"
        );
        let mixed = server(
            &[
                adapter("One", "tcp -h 127.0.0.1 -p 7001", ""),
                adapter("Line", "tcp -h 127.0.0.1 -p 7001", "protocol=line"),
            ]
            .join("\n"),
        );
        let e = plan_of(&mixed, &["One"], &["line"]).err().unwrap();
        assert!(
            matches!(&e, ServerError::SharedEndpoint { adapters, .. } if adapters.len() == 2),
            "{e}"
        );
        let ssl = server(&adapter("Safe", "ssl -h 127.0.0.1 -p 7003", ""));
        let e = plan_of(&ssl, &["Safe"], &[]).err().unwrap();
        assert!(
            matches!(&e, ServerError::Tls { adapter, .. } if adapter == "Safe"),
            "{e}"
        );
    }
}
