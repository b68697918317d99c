//! Where an object's endpoints come from, and how the client hears that they changed.
//!
//! A [`Discover`] source resolves a [`Target`] (an object name, and a set when the caller
//! runs in one) to [`Endpoints`], and keeps the answer current through a `watch` channel:
//! the client rebuilds its balancer when the list changes, and never asks the source per
//! call. Two sources come with the runtime:
//!
//! - [`StaticDiscovery`]: the endpoints written in the object string,
//!   `App.Server.Obj@tcp -h 10.0.0.1 -p 10015:tcp -h 10.0.0.2 -p 10015`;
//! - the registry (tarsregistry's `QueryObj`, the `locator` of a `<client>` config), which
//!   the framework wing provides (its `Registry`).
//!
//! Anything else (a Kubernetes watcher, a file) plugs in by implementing [`Discover`].
//!
//! This module knows endpoints and names, not connections or packets.

use std::sync::Arc;

use tokio::sync::watch;

use crate::transport::endpoint::{Endpoint, EndpointError};

/// What to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Target {
    /// The object, `App.Server.Obj`.
    pub object: String,
    /// The caller's set (`name.area.group`) when it runs in one: the registry answers with
    /// the endpoints of that set.
    pub set: Option<String>,
}

impl Target {
    /// An object outside any set.
    pub fn new(object: impl Into<String>) -> Self {
        Target {
            object: object.into(),
            set: None,
        }
    }

    /// The same object looked up from within `set`.
    pub fn in_set(mut self, set: Option<String>) -> Self {
        self.set = set;
        self
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.set {
            Some(set) => write!(f, "{} (set {set})", self.object),
            None => f.write_str(&self.object),
        }
    }
}

/// The endpoints of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoints {
    /// Those taking calls.
    pub active: Vec<Endpoint>,
    /// Those the registry lists as stopped (kept for reference; calls do not go there).
    pub inactive: Vec<Endpoint>,
}

impl Endpoints {
    /// `active` endpoints, and `inactive` ones (kept for reference).
    pub fn new(active: Vec<Endpoint>, inactive: Vec<Endpoint>) -> Self {
        Endpoints { active, inactive }
    }

    /// Active endpoints only.
    pub fn active(active: Vec<Endpoint>) -> Self {
        Endpoints {
            active,
            inactive: Vec::new(),
        }
    }
}

/// What a source knows about a target.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Not answered yet: the first call waits (within its deadline).
    Pending,
    /// The current endpoints.
    Ready(Arc<Endpoints>),
    /// The source could not resolve the target and has no earlier answer to fall back on.
    Failed(DiscoveryError),
}

/// Why no endpoint is known.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A bare object name, and no registry to ask.
    #[error("'{object}' names no endpoint (Obj@tcp -h HOST -p PORT) and the communicator has no locator")]
    NoLocator {
        /// The object.
        object: String,
    },
    /// The object string is malformed.
    #[error("invalid object '{object}': {reason}")]
    BadObject {
        /// The string given.
        object: String,
        /// What is wrong.
        reason: String,
    },
    /// An endpoint in the object string is malformed.
    #[error(transparent)]
    BadEndpoint(#[from] EndpointError),
    /// The source knows the target but lists no active endpoint.
    #[error("no active endpoint of {target}")]
    NoEndpoints {
        /// The target.
        target: Target,
    },
    /// The source could not be asked (a registry that cannot be reached), and it knew
    /// nothing of the target before.
    #[error("{target} could not be resolved: {cause}")]
    Unreachable {
        /// The target.
        target: Box<Target>,
        /// Why: the failed lookup.
        #[source]
        cause: Arc<dyn std::error::Error + Send + Sync>,
    },
}

/// A source of endpoints.
pub trait Discover: Send + Sync + 'static {
    /// Starts resolving `target` (or joins a resolution already running) and returns a
    /// receiver holding the latest [`Resolution`], [`Resolution::Pending`] until the first
    /// answer. The source keeps it current for as long as a receiver lives.
    fn watch(&self, target: &Target) -> watch::Receiver<Resolution>;

    /// A hint that calls to `target` are failing: a source that polls may refresh early.
    fn failed(&self, _target: &Target) {}
}

/// A fixed list of endpoints, for every target.
#[derive(Debug, Clone)]
pub struct StaticDiscovery {
    endpoints: Arc<Endpoints>,
}

impl StaticDiscovery {
    /// Serves `endpoints` for every target.
    pub fn new(endpoints: Vec<Endpoint>) -> Self {
        StaticDiscovery {
            endpoints: Arc::new(Endpoints::active(endpoints)),
        }
    }

    /// The endpoints of `Obj@ep:ep…`, with the object name.
    pub fn parse(object: &str) -> Result<(String, StaticDiscovery), DiscoveryError> {
        let bad = |reason: &str| DiscoveryError::BadObject {
            object: object.to_string(),
            reason: reason.to_string(),
        };
        let (name, endpoints) = object
            .split_once('@')
            .ok_or_else(|| bad("no '@' before the endpoints"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("no object name before '@'"));
        }
        Ok((name.to_string(), StaticDiscovery::new(Endpoint::parse_list(endpoints)?)))
    }
}

impl Discover for StaticDiscovery {
    fn watch(&self, _target: &Target) -> watch::Receiver<Resolution> {
        // The sender goes away at once: the list never changes.
        watch::channel(Resolution::Ready(self.endpoints.clone())).1
    }
}
