//! The registry as a [`Discover`] source: tarsregistry's `QueryObj`, asked through the
//! framework's own QueryF proxy.
//!
//! - A target is looked up with `findObjectByIdInSameGroup`, or `findObjectByIdInSameSet`
//!   when the caller runs in a set, as TarsGo and TarsCpp clients do.
//! - Each watched target is refreshed in the background every refresh interval (60 s by
//!   default, `refresh-endpoint-interval`), sooner after failures ([`Discover::failed`]),
//!   and again and again (1 s, 2 s, 4 s… up to the interval) while the registry cannot be
//!   reached. Several locator endpoints fail over like any other endpoints.
//! - When the registry is down, or answers with no active endpoint, the last good list
//!   stays in use. Good lists are saved to a cache file (under `datapath`); at start, a
//!   target the registry cannot resolve is served from that file.
//! - The refresh of a target stops once no proxy watches it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::client::{CallOptions, Proxy, ServantProxy};
use crate::discovery::{Discover, DiscoveryError, Endpoints, Resolution, Target};
use crate::sync::lock;

use super::idl::{EndpointF, QueryFProxy};
use crate::transport::endpoint::{Endpoint, Proto};

/// The default refresh interval (`refresh-endpoint-interval`).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60);
/// The shortest time between two lookups of one target.
const MIN_GAP: Duration = Duration::from_secs(1);

/// Endpoints from tarsregistry. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("locator", &self.inner.query.servant_proxy())
            .field("refresh", &self.inner.refresh)
            .finish()
    }
}

struct Inner {
    query: QueryFProxy,
    refresh: Duration,
    timeout: Duration,
    cache_file: Option<PathBuf>,
    watched: Mutex<HashMap<Target, Watched>>,
    /// Last good answers, also what the cache file holds.
    known: Mutex<BTreeMap<Target, Endpoints>>,
}

struct Watched {
    tx: watch::Sender<Resolution>,
    wake: Arc<Notify>,
}

/// Builds a [`Registry`].
pub struct RegistryBuilder {
    locator: ServantProxy,
    refresh: Duration,
    timeout: Duration,
    cache_file: Option<PathBuf>,
}

impl RegistryBuilder {
    /// How often each target is looked up again (60 s by default).
    pub fn refresh_interval(mut self, every: Duration) -> Self {
        self.refresh = every.max(Duration::from_millis(10));
        self
    }

    /// The timeout of one lookup (3 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Where good answers are saved, and read from when the registry cannot be reached at
    /// start.
    pub fn cache_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache_file = Some(path.into());
        self
    }

    /// The registry.
    pub fn build(self) -> Registry {
        let known = self.cache_file.as_deref().map(load_cache).unwrap_or_default();
        Registry {
            inner: Arc::new(Inner {
                query: QueryFProxy::from_servant_proxy(self.locator),
                refresh: self.refresh,
                timeout: self.timeout,
                cache_file: self.cache_file,
                watched: Mutex::default(),
                known: Mutex::new(known),
            }),
        }
    }
}

impl Registry {
    /// A registry reached through `locator`, a proxy to `tars.tarsregistry.QueryObj`.
    pub fn builder(locator: ServantProxy) -> RegistryBuilder {
        RegistryBuilder {
            locator,
            refresh: DEFAULT_REFRESH,
            timeout: Duration::from_secs(3),
            cache_file: None,
        }
    }

    /// Asks the registry once for `target`, without watching it.
    pub async fn lookup(&self, target: &Target) -> Result<Endpoints, DiscoveryError> {
        self.inner.lookup(target).await
    }
}

impl Discover for Registry {
    fn watch(&self, target: &Target) -> watch::Receiver<Resolution> {
        let mut watched = lock(&self.inner.watched);
        if let Some(w) = watched.get(target) {
            if !w.tx.is_closed() {
                return w.tx.subscribe();
            }
        }
        let (tx, rx) = watch::channel(Resolution::Pending);
        let wake = Arc::new(Notify::new());
        watched.insert(
            target.clone(),
            Watched {
                tx: tx.clone(),
                wake: wake.clone(),
            },
        );
        tokio::spawn(keep_current(Arc::downgrade(&self.inner), target.clone(), tx, wake));
        rx
    }

    fn failed(&self, target: &Target) {
        if let Some(w) = lock(&self.inner.watched).get(target) {
            w.wake.notify_one();
        }
    }
}

/// Looks `target` up again and again while someone watches it.
async fn keep_current(inner: Weak<Inner>, target: Target, tx: watch::Sender<Resolution>, wake: Arc<Notify>) {
    let mut failures: u32 = 0;
    loop {
        let Some(registry) = inner.upgrade() else {
            return;
        };
        let asked = Instant::now();
        let wait = match registry.lookup(&target).await {
            // An empty answer after a good one is taken for a registry glitch, as TarsGo does.
            Ok(endpoints) if endpoints.active.is_empty() && matches!(&*tx.borrow(), Resolution::Ready(_)) => {
                tracing::warn!(%target, "the registry lists no active endpoint; keeping the last good endpoints");
                registry.refresh
            }
            Ok(endpoints) => {
                failures = 0;
                registry.remember(&target, &endpoints);
                let changed = !matches!(&*tx.borrow(), Resolution::Ready(now) if **now == endpoints);
                if changed {
                    tracing::info!(%target, active = endpoints.active.len(), "endpoints from the registry");
                    tx.send_replace(Resolution::Ready(Arc::new(endpoints)));
                }
                registry.refresh
            }
            Err(e) => {
                failures += 1;
                let known = matches!(&*tx.borrow(), Resolution::Ready(_));
                if known {
                    tracing::warn!(%target, error = %e, "registry lookup failed; keeping the last good endpoints");
                } else if let Some(cached) = lock(&registry.known).get(&target).cloned() {
                    tracing::warn!(%target, error = %e, "registry unreachable; using the endpoints saved in the cache file");
                    tx.send_replace(Resolution::Ready(Arc::new(cached)));
                } else {
                    tracing::warn!(%target, error = %e, "registry lookup failed");
                    tx.send_replace(Resolution::Failed(e));
                }
                retry_after(failures, registry.refresh)
            }
        };
        drop(registry);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {
                // Asked to look again: not more often than MIN_GAP.
                tokio::time::sleep_until(asked + MIN_GAP).await;
            }
            _ = tx.closed() => {
                if let Some(registry) = inner.upgrade() {
                    let mut watched = lock(&registry.watched);
                    if watched.get(&target).is_some_and(|w| w.tx.is_closed()) {
                        watched.remove(&target);
                    }
                }
                return;
            }
        }
    }
}

/// How long to wait before asking again after `failures` failed lookups in a row: from
/// [`MIN_GAP`], doubling with each failure, never longer than the refresh period.
fn retry_after(failures: u32, refresh: Duration) -> Duration {
    let doublings = failures.clamp(1, 7) - 1;
    (MIN_GAP * 2u32.pow(doublings)).min(refresh)
}

impl Inner {
    async fn lookup(&self, target: &Target) -> Result<Endpoints, DiscoveryError> {
        let opts = CallOptions::new().timeout(self.timeout);
        let result = match &target.set {
            Some(set) => {
                self.query
                    .find_object_by_id_in_same_set_with(&opts, &target.object, set)
                    .await
            }
            None => {
                self.query
                    .find_object_by_id_in_same_group_with(&opts, &target.object)
                    .await
            }
        };
        let (_ret, active, inactive) = result
            .map_err(|e| DiscoveryError::Unreachable {
                target: Box::new(target.clone()),
                cause: Arc::new(e),
            })?
            .value;
        Ok(Endpoints {
            active: active.iter().filter_map(endpoint_of).collect(),
            inactive: inactive.iter().filter_map(endpoint_of).collect(),
        })
    }

    /// Keeps a good answer, and saves every good answer to the cache file when one changed.
    fn remember(&self, target: &Target, endpoints: &Endpoints) {
        let snapshot = {
            let mut known = lock(&self.known);
            if known.get(target) == Some(endpoints) {
                return;
            }
            known.insert(target.clone(), endpoints.clone());
            known.clone()
        };
        if let Some(path) = self.cache_file.clone() {
            let save = move || {
                if let Err(e) = save_cache(&path, &snapshot) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot save the endpoint cache");
                }
            };
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(save)),
                Err(_) => save(),
            }
        }
    }
}

/// An endpoint the registry returned, as the client dials it. `istcp`: 0 UDP, 1 TCP, 2 TLS.
pub fn endpoint_of(e: &EndpointF) -> Option<Endpoint> {
    let transport = match e.istcp {
        0 => Proto::Udp,
        1 => Proto::Tcp,
        2 => Proto::Ssl,
        other => {
            tracing::warn!(host = %e.host, port = e.port, istcp = other, "registry endpoint with an unknown transport skipped");
            return None;
        }
    };
    let port = u16::try_from(e.port).ok()?;
    let mut endpoint = Endpoint::tcp(e.host.clone(), port);
    endpoint.proto = transport;
    endpoint.timeout_ms = u64::try_from(e.timeout).unwrap_or(0);
    endpoint.grid = e.grid;
    endpoint.qos = e.qos;
    endpoint.weight = e.weight;
    endpoint.weight_type = e.weight_type;
    endpoint.auth_type = e.auth_type;
    Some(endpoint)
}

/// The cache file: a JSON object with one entry per target.
fn save_cache(path: &std::path::Path, known: &BTreeMap<Target, Endpoints>) -> std::io::Result<()> {
    use serde_json::{json, Value};
    let list = |eps: &[Endpoint]| Value::Array(eps.iter().map(|e| Value::String(e.to_string())).collect());
    let targets: Vec<Value> = known
        .iter()
        .map(|(t, e)| {
            json!({
                "object": t.object,
                "set": t.set,
                "active": list(&e.active),
                "inactive": list(&e.inactive),
            })
        })
        .collect();
    let text = serde_json::to_vec_pretty(&json!({ "tars-rs endpoint cache": 1, "targets": targets }))
        .map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Written aside and renamed, so a crash never leaves half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

fn load_cache(path: &std::path::Path) -> BTreeMap<Target, Endpoints> {
    let parse = || -> Option<BTreeMap<Target, Endpoints>> {
        let text = std::fs::read(path).ok()?;
        let doc: serde_json::Value = serde_json::from_slice(&text).ok()?;
        let endpoints = |v: &serde_json::Value| -> Option<Vec<Endpoint>> {
            v.as_array()?.iter().map(|e| e.as_str()?.parse().ok()).collect()
        };
        let mut known = BTreeMap::new();
        for t in doc.get("targets")?.as_array()? {
            let target = Target {
                object: t.get("object")?.as_str()?.to_string(),
                set: t.get("set").and_then(|s| s.as_str()).map(String::from),
            };
            let eps = Endpoints {
                active: endpoints(t.get("active")?)?,
                inactive: endpoints(t.get("inactive")?)?,
            };
            known.insert(target, eps);
        }
        Some(known)
    };
    match parse() {
        Some(known) => known,
        None => {
            if path.exists() {
                tracing::warn!(path = %path.display(), "unreadable endpoint cache ignored");
            }
            BTreeMap::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_lookups_back_off_from_one_second_to_the_refresh_period() {
        let minute = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=9).map(|n| retry_after(n, minute).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(retry_after(3, Duration::from_secs(3)), Duration::from_secs(3));
    }

    #[test]
    fn the_cache_file_round_trips() {
        let dir = std::env::temp_dir().join(format!("tars-rs-cache-{}", std::process::id()));
        let path = dir.join("App.Server.tarsdat");
        let mut known = BTreeMap::new();
        let mut udp = Endpoint::udp("10.0.0.2", 7);
        udp.weight = 3;
        known.insert(
            Target::new("A.B.C").in_set(Some("s.a.1".into())),
            Endpoints {
                active: vec![Endpoint::tcp("10.0.0.1", 5), udp],
                inactive: vec![Endpoint::tcp("10.0.0.3", 6)],
            },
        );
        save_cache(&path, &known).unwrap();
        assert_eq!(load_cache(&path), known);
        std::fs::write(&path, "{not json").unwrap();
        assert!(load_cache(&path).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn registry_endpoints_keep_their_transport_and_weight() {
        let f = EndpointF {
            host: "10.1.1.1".into(),
            port: 10015,
            timeout: 60000,
            istcp: 0,
            weight: 80,
            weight_type: 1,
            ..EndpointF::default()
        };
        let e = endpoint_of(&f).unwrap();
        assert_eq!(
            (e.proto, e.port, e.weight, e.weight_type, e.timeout_ms),
            (Proto::Udp, 10015, 80, 1, 60000)
        );
        assert!(endpoint_of(&EndpointF { istcp: 9, ..f.clone() }).is_none());
        assert!(endpoint_of(&EndpointF { port: 70000, ..f }).is_none());
    }
}
