//! A tarsregistry double built with tars-rs from the framework's QueryF IDL: it answers
//! `findObjectByIdInSameGroup`/`findObjectByIdInSameSet` from a table the test edits, and
//! records what it was asked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use super::framework::idl::{EndpointF, GetMasterSlaveLock, QueryF};
use tars::application::Server;
use tars::Application;
use tars::{Context, Status};

pub(crate) const QUERY_OBJ: &str = "tars.tarsregistry.QueryObj";

/// The registry's table: object (and set, for set lookups) → active endpoints.
#[derive(Default)]
pub(crate) struct Table {
    pub objects: HashMap<String, Vec<EndpointF>>,
    pub sets: HashMap<(String, String), Vec<EndpointF>>,
    /// Every lookup: (method, object, set).
    pub asked: Vec<(String, String, Option<String>)>,
}

#[derive(Clone, Default)]
pub(crate) struct RegistryDouble {
    pub table: Arc<Mutex<Table>>,
}

impl RegistryDouble {
    pub(crate) fn set(&self, object: &str, servers: &[SocketAddr]) {
        let eps = servers.iter().map(|a| endpoint_f(*a)).collect();
        self.table.lock().unwrap().objects.insert(object.into(), eps);
    }

    pub(crate) fn set_in(&self, object: &str, set: &str, servers: &[SocketAddr]) {
        let eps = servers.iter().map(|a| endpoint_f(*a)).collect();
        self.table.lock().unwrap().sets.insert((object.into(), set.into()), eps);
    }

    pub(crate) fn asked(&self) -> Vec<(String, String, Option<String>)> {
        self.table.lock().unwrap().asked.clone()
    }

    /// Serves the double on an ephemeral port.
    pub(crate) async fn start(&self) -> Server {
        self.start_on("tcp -h 127.0.0.1 -p 0 -t 60000").await
    }

    pub(crate) async fn start_on(&self, endpoint: &str) -> Server {
        Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
            .servant(QUERY_OBJ, self.clone())
            .endpoint(QUERY_OBJ, endpoint)
            .unwrap()
            .start()
            .await
            .unwrap()
    }
}

/// What tarsregistry returns for a TCP server at `addr`.
pub(crate) fn endpoint_f(addr: SocketAddr) -> EndpointF {
    EndpointF {
        host: addr.ip().to_string(),
        port: addr.port() as i32,
        timeout: 60000,
        istcp: 1,
        ..EndpointF::default()
    }
}

/// The locator string of a registry served at `server`.
pub(crate) fn locator(server: &Server) -> String {
    format!("{QUERY_OBJ}@{}", server.endpoint(QUERY_OBJ).unwrap())
}

#[tars::servant]
impl QueryF for RegistryDouble {
    async fn find_object_by_id(&self, _ctx: &Context, id: String) -> Result<Vec<EndpointF>, Status> {
        let t = self.table.lock().unwrap();
        Ok(t.objects.get(&id).cloned().unwrap_or_default())
    }

    async fn find_object_by_id4_any(
        &self,
        ctx: &Context,
        id: String,
    ) -> Result<(i32, Vec<EndpointF>, Vec<EndpointF>), Status> {
        self.find_object_by_id_in_same_group(ctx, id).await
    }

    async fn find_object_by_id4_all(
        &self,
        ctx: &Context,
        id: String,
    ) -> Result<(i32, Vec<EndpointF>, Vec<EndpointF>), Status> {
        self.find_object_by_id_in_same_group(ctx, id).await
    }

    async fn find_object_by_id_in_same_group(
        &self,
        _ctx: &Context,
        id: String,
    ) -> Result<(i32, Vec<EndpointF>, Vec<EndpointF>), Status> {
        let mut t = self.table.lock().unwrap();
        t.asked.push(("findObjectByIdInSameGroup".into(), id.clone(), None));
        Ok((0, t.objects.get(&id).cloned().unwrap_or_default(), Vec::new()))
    }

    async fn find_object_by_id_in_same_station(
        &self,
        ctx: &Context,
        id: String,
        _station: String,
    ) -> Result<(i32, Vec<EndpointF>, Vec<EndpointF>), Status> {
        self.find_object_by_id_in_same_group(ctx, id).await
    }

    async fn find_object_by_id_in_same_set(
        &self,
        _ctx: &Context,
        id: String,
        set_id: String,
    ) -> Result<(i32, Vec<EndpointF>, Vec<EndpointF>), Status> {
        let mut t = self.table.lock().unwrap();
        t.asked
            .push(("findObjectByIdInSameSet".into(), id.clone(), Some(set_id.clone())));
        Ok((0, t.sets.get(&(id, set_id)).cloned().unwrap_or_default(), Vec::new()))
    }

    async fn register_change(
        &self,
        _ctx: &Context,
        _timestamp: std::collections::BTreeMap<String, String>,
        _name: String,
    ) -> Result<i32, Status> {
        Ok(0)
    }

    async fn register_query(&self, _ctx: &Context, _id: String, _name: String) -> Result<i32, Status> {
        Ok(0)
    }

    async fn get_locker(&self, _ctx: &Context, _req: GetMasterSlaveLock) -> Result<i32, Status> {
        Ok(0)
    }
}
