//! The routing layer of a proxy: which endpoint a call goes to, and the next one when it
//! could not be sent there.
//!
//! Routing keeps, per proxy, the endpoints its [`Discover`] source last announced, a
//! [`Picker`] built for them by the proxy's [`Balance`] policy (rebuilt only when the list
//! changes), and each endpoint's [`Remote`] from the pool (its health and connection). A
//! call picks an endpoint that its health lets take calls (any endpoint when none may), and
//! hands it to the next layer ([`Attempt`]); when the request could not leave (the connect
//! failed, or the connection closed first), the call moves on to another endpoint: nothing
//! was sent, so that is safe. The first call on a new object waits for discovery's first
//! answer, within the call's deadline (the layer above).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::balance::{Balance, ConsistentHash, HashKey, ModHash, Picker};
use crate::discovery::{Discover, DiscoveryError, Endpoints, Resolution, Target};
use crate::sync::lock;

use super::error::{CallError, CallErrorKind};
use super::pool::{Pool, Remote};
use super::request::{CallResult, ClientRequest};

/// Endpoints one call may try.
const MAX_ATTEMPTS: usize = 3;

/// The layer below routing: one attempt of a call on the endpoint routing chose.
pub(crate) trait Attempt: Sync {
    /// Sends `req` to `remote` and waits for the reply. An error for which
    /// [`CallError::was_not_sent`] holds lets routing try another endpoint.
    fn attempt(
        &self,
        router: &Router,
        remote: &Arc<Remote>,
        req: &mut ClientRequest,
        at: &Whereabouts,
    ) -> impl Future<Output = CallResult> + Send;
}

/// Where a call is, for the deadline layer to act on when time runs out: the endpoint it
/// went to, and the `iTimeout` its request was sent with.
#[derive(Default)]
pub(crate) struct Whereabouts {
    remote: Mutex<Option<Arc<Remote>>>,
    /// Milliseconds, 0 until the request is sent.
    sent_with_ms: AtomicU64,
}

impl Whereabouts {
    fn at(&self, remote: &Arc<Remote>) {
        *lock(&self.remote) = Some(remote.clone());
    }

    /// The request left with `timeout` as its `iTimeout`.
    pub(crate) fn sent(&self, timeout_ms: i32) {
        self.sent_with_ms.store(timeout_ms.max(0) as u64, Ordering::Relaxed);
    }

    /// The endpoint the call was at, and the timeout it was sent with, if it was.
    pub(crate) fn last(&self) -> Option<(Arc<Remote>, Option<Duration>)> {
        let remote = lock(&self.remote).clone()?;
        let sent = self.sent_with_ms.load(Ordering::Relaxed);
        Some((remote, (sent > 0).then(|| Duration::from_millis(sent))))
    }
}

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

    /// Counts a failure against `remote`; when that takes it out, discovery may refresh early.
    pub(crate) fn failed(&self, remote: &Remote) {
        if remote.health.failure() {
            self.discovery.failed(&self.target);
        }
    }

    /// An error of this router's calls.
    pub(crate) fn error(&self, req: &ClientRequest, remote: Option<&Remote>, kind: CallErrorKind) -> CallError {
        let endpoint = remote.map(|r| r.endpoint.clone());
        CallError::new(&self.target.object, &req.packet.s_func_name, endpoint, kind)
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
    fn routes(&self, pool: &Pool) -> (RouteState, watch::Receiver<Resolution>) {
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
                    let remotes: Vec<Arc<Remote>> = endpoints
                        .active
                        .iter()
                        .map(|e| {
                            let remote = pool.remote(e);
                            remote.serves(&self.target.object);
                            remote
                        })
                        .collect();
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

    /// Picks an endpoint for `req` and hands the call to `next`, moving on to another
    /// endpoint (at most [`MAX_ATTEMPTS`]) while the request could not be sent.
    pub(crate) async fn route(
        &self,
        pool: &Pool,
        req: &mut ClientRequest,
        at: &Whereabouts,
        next: &impl Attempt,
    ) -> CallResult {
        let no_endpoint = || {
            CallErrorKind::Discovery(DiscoveryError::NoEndpoints {
                target: self.target.clone(),
            })
        };
        let routes = loop {
            let (state, mut source) = self.routes(pool);
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
            at.at(remote);
            match next.attempt(self, remote, req, at).await {
                Err(e) if e.was_not_sent() => last_error = Some(e),
                done => return done,
            }
        }
        Err(last_error.unwrap_or_else(|| self.error(req, None, no_endpoint())))
    }
}
