//! Where an object's endpoints come from. [`Discover`] is the seam: a proxy asks it for the
//! current endpoints of an object. [`StaticDiscovery`] serves the endpoints written in the
//! object string (`Obj@tcp -h .. -p ..:udp -h ..`); a registry-backed source plugs in here.
//!
//! This module knows endpoints, not connections or packets.

use std::sync::Arc;

use crate::transport::endpoint::Endpoint;

/// A source of endpoints for objects.
#[async_trait::async_trait]
pub trait Discover: Send + Sync + 'static {
    /// The endpoints serving `object` now (shared, as it is asked on every call). An empty
    /// list means none is known.
    async fn endpoints(&self, object: &str) -> Result<Arc<[Endpoint]>, String>;
}

/// A fixed list of endpoints.
#[derive(Debug, Clone)]
pub struct StaticDiscovery {
    endpoints: Arc<[Endpoint]>,
}

impl StaticDiscovery {
    /// Serves `endpoints` for every object.
    pub fn new(endpoints: Vec<Endpoint>) -> Self {
        StaticDiscovery {
            endpoints: endpoints.into(),
        }
    }
}

#[async_trait::async_trait]
impl Discover for StaticDiscovery {
    async fn endpoints(&self, _object: &str) -> Result<Arc<[Endpoint]>, String> {
        Ok(self.endpoints.clone())
    }
}
