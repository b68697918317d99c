//! `TestApp.PushServer.PushObj` (`tests/idl/push.tars`): a servant that keeps the connection
//! of every client that called `connect`, and hears of every connection opened and closed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tars::server::{ConnectionHooks, PushSender};
use tars::{Context, Status};

pub(crate) mod push_idl {
    tars::include_tars!("tests/idl/push.tars");
}

pub(crate) const PUSH_OBJ: &str = "TestApp.PushServer.PushObj";

/// What the servant saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// The clients that called `connect`, by connection id.
    pub registered: BTreeMap<u64, (String, PushSender)>,
    /// Connection ids, in the order the hooks heard them.
    pub opened: Vec<u64>,
    pub closed: Vec<u64>,
}

#[derive(Clone, Default)]
pub(crate) struct PushImp {
    pub seen: Arc<Mutex<Seen>>,
}

impl PushImp {
    /// The senders of the registered clients.
    pub(crate) fn clients(&self) -> Vec<PushSender> {
        self.seen
            .lock()
            .unwrap()
            .registered
            .values()
            .map(|(_, s)| s.clone())
            .collect()
    }
}

#[tars::servant(hooks)]
impl push_idl::test_app::Push for PushImp {
    async fn connect(&self, ctx: &Context, name: String) -> Result<(i32, String), Status> {
        let client = ctx.push_sender().ok_or_else(|| Status::new(1, "no connection"))?;
        let welcome = format!("{name} is client {}", client.id());
        self.seen.lock().unwrap().registered.insert(client.id(), (name, client));
        Ok((0, welcome))
    }

    async fn disconnect(&self, ctx: &Context) -> Result<i32, Status> {
        if let Some(client) = ctx.push_sender() {
            self.seen.lock().unwrap().registered.remove(&client.id());
        }
        Ok(0)
    }
}

impl ConnectionHooks for PushImp {
    fn on_connect(&self, client: &PushSender) {
        self.seen.lock().unwrap().opened.push(client.id());
    }

    fn on_close(&self, client: &PushSender) {
        let mut seen = self.seen.lock().unwrap();
        seen.closed.push(client.id());
        seen.registered.remove(&client.id());
    }
}

/// The config of a push server with one adapter for [`PUSH_OBJ`] on `endpoint`.
pub(crate) fn config(server_keys: &str, endpoint: &str) -> String {
    format!(
        "<tars><application><server>
app=TestApp
server=PushServer
{server_keys}
<TestApp.PushServer.PushObjAdapter>
endpoint={endpoint}
servant={PUSH_OBJ}
</TestApp.PushServer.PushObjAdapter>
</server></application></tars>"
    )
}
