//! The deadline and routing layers of a proxy.
//!
//! Routing keeps, per proxy, the endpoints its [`Discover`] source last announced, a
//! [`Picker`] built for them by the proxy's [`Balance`] policy (rebuilt only when the list
//! changes), and each endpoint's [`Remote`] from the pool (its health and connection). A
//! call picks an endpoint that its health lets take calls (any endpoint when none may),
//! moves on to the next one when the connect fails (nothing was sent, so that is safe), and
//! sends on the endpoint's connection.
//!
//! The deadline bounds all of it: the first call on a new object waits for the first answer
//! of discovery, the dial and the reply within the call's one deadline, and the time that
//! is left when the request goes out is what `iTimeout` tells the server. A call that runs
//! out of time counts against its endpoint's health.

use crate::sync::lock;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::watch;

use crate::balance::{Balance, ConsistentHash, HashKey, ModHash, Picker};
use crate::codec::TarsStruct;
use crate::discovery::{Discover, DiscoveryError, Endpoints, Resolution, Target};
use crate::filter::{ClientRequest, ClientResponse};
use crate::protocol::RequestPacket;
use crate::transport::endpoint::Endpoint;
use crate::transport::frame;

use super::communicator::Communicator;
use super::connection::{Connection, Outcome};
use super::error::{CallError, CallErrorKind, ConnectionError};
use super::pool::Remote;

/// How a call failed on a connection: before its request left (it may go elsewhere), or
/// after (it may not: the server may have run it).
enum Failed {
    Unsent(CallError),
    Sent(CallError),
}

use Failed::{Sent, Unsent};

/// Connect attempts of one call, on different endpoints.
const MAX_ATTEMPTS: usize = 3;

/// The endpoints of one proxy and how to choose among them.
pub(crate) struct Router {
    pub(crate) target: Target,
    discovery: Arc<dyn Discover>,
    balance: Arc<dyn Balance>,
    /// Subscribed on the first call (a proxy may be made outside the runtime).
    state: OnceLock<Mutex<Watching>>,
}

struct Watching {
    source: watch::Receiver<Resolution>,
    routes: RouteState,
}

#[derive(Clone)]
enum RouteState {
    Pending,
    Ready(Arc<Routes>),
    Failed(DiscoveryError),
}

/// One endpoint list, ready for calls.
struct Routes {
    /// The list discovery announced, which the pickers index.
    endpoints: Arc<Endpoints>,
    remotes: Vec<Arc<Remote>>,
    picker: Box<dyn Picker>,
    mod_hash: OnceLock<Box<dyn Picker>>,
    consistent: OnceLock<Box<dyn Picker>>,
}

impl Routes {
    fn pick(&self, hash: Option<HashKey>, usable: &dyn Fn(usize) -> bool) -> Option<usize> {
        let endpoints = &self.endpoints.active;
        let picker = match hash {
            None => &self.picker,
            Some(HashKey::Mod(_)) => self.mod_hash.get_or_init(|| ModHash.build(endpoints)),
            Some(HashKey::Consistent(_)) => self.consistent.get_or_init(|| ConsistentHash.build(endpoints)),
        };
        picker.pick(hash, usable)
    }
}

/// Endpoints already tried by a call.
#[derive(Default)]
struct Tried {
    indices: [usize; MAX_ATTEMPTS],
    len: usize,
}

impl Tried {
    fn contains(&self, i: usize) -> bool {
        self.indices[..self.len].contains(&i)
    }

    fn add(&mut self, i: usize) {
        if self.len < MAX_ATTEMPTS {
            self.indices[self.len] = i;
            self.len += 1;
        }
    }
}

impl Router {
    pub(crate) fn new(target: Target, discovery: Arc<dyn Discover>, balance: Arc<dyn Balance>) -> Self {
        Router {
            target,
            discovery,
            balance,
            state: OnceLock::new(),
        }
    }

    /// A router for `target` on the same discovery source, with `balance`.
    pub(crate) fn rebuilt(&self, target: Target, balance: Arc<dyn Balance>) -> Router {
        Router::new(target, self.discovery.clone(), balance)
    }

    /// The balancing policy.
    pub(crate) fn balance(&self) -> Arc<dyn Balance> {
        self.balance.clone()
    }

    fn watching(&self) -> &Mutex<Watching> {
        self.state.get_or_init(|| {
            Mutex::new(Watching {
                source: self.discovery.watch(&self.target),
                routes: RouteState::Pending,
            })
        })
    }

    /// The current routes, rebuilt first if discovery announced a change.
    fn routes(&self, comm: &Communicator) -> (RouteState, watch::Receiver<Resolution>) {
        let mut w = lock(self.watching());
        if w.source.has_changed().unwrap_or(false) || matches!(w.routes, RouteState::Pending) {
            let resolution = w.source.borrow_and_update().clone();
            match resolution {
                Resolution::Pending => {}
                Resolution::Failed(e) => {
                    // A failure after a good answer keeps the good answer.
                    if !matches!(w.routes, RouteState::Ready(_)) {
                        w.routes = RouteState::Failed(e);
                    }
                }
                Resolution::Ready(endpoints) => {
                    let remotes: Vec<Arc<Remote>> = endpoints.active.iter().map(|e| comm.remote(e)).collect();
                    w.routes = if remotes.is_empty() {
                        RouteState::Failed(DiscoveryError::NoEndpoints {
                            target: self.target.clone(),
                        })
                    } else {
                        RouteState::Ready(Arc::new(Routes {
                            picker: self.balance.build(&endpoints.active),
                            endpoints,
                            remotes,
                            mod_hash: OnceLock::new(),
                            consistent: OnceLock::new(),
                        }))
                    };
                }
            }
        }
        (w.routes.clone(), w.source.clone())
    }

    /// Sends `req` and waits for its reply, all within `req.deadline`.
    pub(crate) async fn call(&self, comm: &Communicator, mut req: ClientRequest) -> Result<ClientResponse, CallError> {
        let deadline = req.deadline;
        let mut at: Option<(Arc<Remote>, Option<Arc<Connection>>)> = None;
        match tokio::time::timeout_at(deadline.into(), self.route(comm, &mut req, &mut at)).await {
            Ok(result) => result,
            Err(_) => {
                let endpoint = at.as_ref().map(|(remote, _)| remote.endpoint.clone());
                if let Some((remote, conn)) = at {
                    if remote.health.failure() {
                        self.discovery.failed(&self.target);
                    }
                    // How long the call waited on the connection: what was left of its
                    // deadline when it was sent (written into the packet then; 0 if never).
                    if let (Some(conn), true) = (conn, req.packet.i_timeout > 0) {
                        conn.call_timed_out(Duration::from_millis(req.packet.i_timeout as u64));
                    }
                }
                Err(self.error(&req, endpoint, CallErrorKind::Timeout))
            }
        }
    }

    fn error(&self, req: &ClientRequest, endpoint: Option<Arc<Endpoint>>, kind: CallErrorKind) -> CallError {
        CallError::new(&self.target.object, &req.packet.s_func_name, endpoint, kind)
    }

    async fn route(
        &self,
        comm: &Communicator,
        req: &mut ClientRequest,
        at: &mut Option<(Arc<Remote>, Option<Arc<Connection>>)>,
    ) -> Result<ClientResponse, CallError> {
        let no_endpoint = || {
            CallErrorKind::Discovery(DiscoveryError::NoEndpoints {
                target: self.target.clone(),
            })
        };
        let routes = loop {
            let (state, mut source) = self.routes(comm);
            match state {
                RouteState::Ready(routes) => break routes,
                RouteState::Failed(e) => return Err(self.error(req, None, CallErrorKind::Discovery(e))),
                // The first call on a new object waits for discovery's first answer.
                RouteState::Pending => {
                    if source.changed().await.is_err() {
                        return Err(self.error(req, None, no_endpoint()));
                    }
                }
            }
        };
        let mut tried = Tried::default();
        let mut last_error = None;
        for _ in 0..routes.remotes.len().min(MAX_ATTEMPTS) {
            let healthy = |i: usize| !tried.contains(i) && routes.remotes[i].health.is_available();
            let untried = |i: usize| !tried.contains(i);
            // When every endpoint is out, one is tried anyway rather than none; and a hash
            // call whose endpoint cannot be reached moves on like any other call (a hash
            // ring keeps one endpoint per host, so it may have no other to offer).
            let Some(i) = routes
                .pick(req.hash, &healthy)
                .or_else(|| routes.pick(req.hash, &untried))
                .or_else(|| routes.picker.pick(None, &healthy))
                .or_else(|| routes.picker.pick(None, &untried))
            else {
                break;
            };
            tried.add(i);
            let remote = &routes.remotes[i];
            *at = Some((remote.clone(), None));
            let conn = match remote.connection().await {
                Ok(c) => c,
                Err(e) => {
                    if remote.health.failure() {
                        self.discovery.failed(&self.target);
                    }
                    last_error = Some(self.error(req, Some(remote.endpoint.clone()), CallErrorKind::Connect(e)));
                    continue;
                }
            };
            *at = Some((remote.clone(), Some(conn.clone())));
            match self.exchange(comm, remote, &conn, req).await {
                // The connection died before the request left: nothing was sent, so the call
                // moves on like after a failed connect.
                Err(Unsent(e)) => {
                    if remote.health.failure() {
                        self.discovery.failed(&self.target);
                    }
                    last_error = Some(e);
                }
                Ok(rsp) => return Ok(rsp),
                Err(Sent(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| self.error(req, None, no_endpoint())))
    }

    /// Sends the request on `conn` and waits for the reply.
    async fn exchange(
        &self,
        comm: &Communicator,
        remote: &Arc<Remote>,
        conn: &Connection,
        req: &mut ClientRequest,
    ) -> Result<ClientResponse, Failed> {
        let fail = |kind| {
            Sent(CallError::new(
                &self.target.object,
                &req.packet.s_func_name,
                Some(remote.endpoint.clone()),
                kind,
            ))
        };
        let unsent = |e| {
            Unsent(CallError::new(
                &self.target.object,
                &req.packet.s_func_name,
                Some(remote.endpoint.clone()),
                CallErrorKind::Connection(e),
            ))
        };
        if !conn.is_usable() {
            return Err(unsent(ConnectionError::Closed));
        }
        let id = comm.next_request_id();
        req.packet.i_request_id = id;
        // The server learns what is left of the deadline, written once, as the request leaves.
        let remaining = req.deadline.saturating_duration_since(Instant::now());
        req.packet.i_timeout = remaining.as_millis().clamp(1, i32::MAX as u128) as i32;
        let frame = encode_request(&req.packet);
        let endpoint = Some(remote.endpoint.clone());
        if req.one_way {
            conn.send(frame).await.map_err(unsent)?;
            return Ok(ClientResponse {
                packet: Default::default(),
                endpoint,
            });
        }
        let mut pending = conn.register(id);
        conn.send(frame).await.map_err(unsent)?;
        match (&mut pending.rx).await {
            Ok(Outcome::Reply(packet)) => {
                remote.health.success();
                Ok(ClientResponse { packet, endpoint })
            }
            Ok(Outcome::Undecodable(e)) => {
                remote.health.success();
                Err(fail(CallErrorKind::Decode(e)))
            }
            Ok(Outcome::Closed(e)) => {
                if remote.health.failure() {
                    self.discovery.failed(&self.target);
                }
                Err(fail(CallErrorKind::Connection(e)))
            }
            Err(_) => Err(fail(CallErrorKind::Connection(ConnectionError::Closed))),
        }
    }
}

/// The request's frame: built in a scratch buffer and copied out at its exact size (one
/// allocation) when small, encoded in place (no copy) when the body is large.
fn encode_request(packet: &RequestPacket) -> Bytes {
    const EXACT_UP_TO: usize = 16 * 1024;
    if packet.s_buffer.len() <= EXACT_UP_TO {
        crate::codec::encode_exact(|b| frame::encode_frame(b, |b| packet.encode_fields(b)))
    } else {
        let names = packet.s_servant_name.len() + packet.s_func_name.len();
        let mut buf = BytesMut::with_capacity(256 + names + packet.s_buffer.len());
        frame::encode_frame(&mut buf, |b| packet.encode_fields(b));
        buf.freeze()
    }
}
