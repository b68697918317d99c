//! A push server: `TestApp.PushServer.PushObj` (`tests/idl/push.tars`). Clients call
//! `connect`; from then on the server pushes a tick (a counter, as text) every 100 ms to every
//! connected client, until the client calls `disconnect` or its connection closes.
//!
//! ```text
//! cargo run --example push_server                          # tcp -h 127.0.0.1 -p 10016
//! cargo run --example push_server -- --config=config.conf  # a standard TARS config file
//! cargo run --example push_client                          # in another terminal
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tars::server::{ConnectionHooks, PushError, PushSender};
use tars::Application;
use tars::{Context, Status};

mod push {
    tars::include_tars!("tests/idl/push.tars");
}

const OBJ: &str = "TestApp.PushServer.PushObj";

/// The config used without `--config`: one adapter on 127.0.0.1:10016.
const DEFAULT_CONFIG: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=PushServer
      <TestApp.PushServer.PushObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10016 -t 60000
        servant=TestApp.PushServer.PushObj
      </TestApp.PushServer.PushObjAdapter>
    </server>
  </application>
</tars>
";

/// The connected clients, by connection id, with the name each gave.
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<BTreeMap<u64, (String, PushSender)>>>);

#[tars::servant(hooks)]
impl push::test_app::Push for Clients {
    async fn connect(&self, ctx: &Context, name: String) -> Result<(i32, String), Status> {
        let client = ctx
            .push_sender()
            .ok_or_else(|| Status::new(1, "connect over a connection"))?;
        println!("{name} connected from {} (connection {})", client.peer(), client.id());
        let welcome = format!("welcome {name}: a tick every 100 ms");
        self.0.lock().unwrap().insert(client.id(), (name, client));
        Ok((0, welcome))
    }

    async fn disconnect(&self, ctx: &Context) -> Result<i32, Status> {
        if let Some(client) = ctx.push_sender() {
            self.0.lock().unwrap().remove(&client.id());
        }
        Ok(0)
    }
}

impl ConnectionHooks for Clients {
    fn on_close(&self, client: &PushSender) {
        if let Some((name, _)) = self.0.lock().unwrap().remove(&client.id()) {
            println!("{name} left ({})", client.peer());
        }
    }
}

impl Clients {
    /// Pushes `message` to every client; a client that is not reading misses it.
    fn tick(&self, message: &str) {
        let clients: Vec<(String, PushSender)> = self.0.lock().unwrap().values().cloned().collect();
        for (name, client) in clients {
            match client.push(message.to_string()) {
                Ok(()) => {}
                Err(PushError::Closed { .. }) => {
                    self.0.lock().unwrap().remove(&client.id());
                }
                Err(e) => eprintln!("{name}: {e}"),
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!("usage: push_server [--config=FILE]\n\nServes {OBJ} (on tcp -h 127.0.0.1 -p 10016 without --config) and pushes a tick every 100 ms to every client that called connect.");
        return Ok(());
    }
    let clients = Clients::default();
    let server = Application::from_args_or(DEFAULT_CONFIG)?
        .servant(OBJ, clients.clone())
        .start()
        .await?;
    println!("PushServer serving {OBJ}@{}", server.endpoint(OBJ).expect("bound"));
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        for n in 1u64.. {
            every.tick().await;
            clients.tick(&format!("tick {n}"));
        }
    });
    server.run_until_signal().await;
    Ok(())
}
