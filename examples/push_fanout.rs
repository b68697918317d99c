//! Measures push fan-out: a push server and `N` clients (each with its own communicator,
//! hence its own connection) in this process; each round, the server pushes one `B`-byte
//! message to every client, and the round ends when every client has read it. Prints the
//! fan-out time per round (median, p99, max) and pushes per second.
//!
//! ```text
//! cargo run --release --example push_fanout -- --clients 1000 --rounds 200 --bytes 64
//! ```
//!
//! Both ends share the process (and its CPUs): the time is what it takes the server to write
//! `N` pushes and the clients to read them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tars::bytes::Bytes;
use tars::client::{Communicator, Proxy, PushEvent};
use tars::server::PushSender;
use tars::Application;
use tars::{Context, Status};

mod push {
    tars::include_tars!("tests/idl/push.tars");
}

const OBJ: &str = "TestApp.PushServer.PushObj";
const USAGE: &str = "usage: push_fanout [--clients N] [--rounds R] [--bytes B]";

/// The clients that called `connect`.
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<BTreeMap<u64, PushSender>>>);

#[tars::servant]
impl push::test_app::Push for Clients {
    async fn connect(&self, ctx: &Context, _name: String) -> Result<(i32, String), Status> {
        let client = ctx.push_sender().ok_or_else(|| Status::new(1, "no connection"))?;
        self.0.lock().unwrap().insert(client.id(), client);
        Ok((0, String::new()))
    }

    async fn disconnect(&self, ctx: &Context) -> Result<i32, Status> {
        if let Some(c) = ctx.push_sender() {
            self.0.lock().unwrap().remove(&c.id());
        }
        Ok(0)
    }
}

fn parse_args() -> Result<Option<(usize, usize, usize)>, String> {
    let (mut clients, mut rounds, mut bytes) = (1000, 200, 64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<usize, String> {
            let v = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            v.parse()
                .map_err(|_| format!("{flag} takes a number, not '{v}'\n{USAGE}"))
        };
        match arg.as_str() {
            "--clients" => clients = number("--clients")?,
            "--rounds" => rounds = number("--rounds")?,
            "--bytes" => bytes = number("--bytes")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    if clients == 0 || rounds == 0 {
        return Err(format!("--clients and --rounds must be at least 1\n{USAGE}"));
    }
    Ok(Some((clients, rounds, bytes)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some((n, rounds, bytes)) = parse_args()? else {
        return Ok(());
    };
    let config = format!(
        "<tars><application><server>
app=TestApp
server=PushServer
<TestApp.PushServer.PushObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 600000
servant={OBJ}
maxconns={}
</TestApp.PushServer.PushObjAdapter>
</server></application></tars>",
        n + 16
    );
    let clients = Clients::default();
    let server = Application::new(config.parse()?)
        .servant(OBJ, clients.clone())
        .start()
        .await?;
    let object = format!("{OBJ}@{}", server.endpoints(OBJ));

    // Each client reads its stream on a task of its own and counts what it got.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut keep = Vec::with_capacity(n);
    for i in 0..n {
        let comm = Communicator::new();
        let proxy: push::test_app::PushProxy = comm.string_to_proxy(&object)?;
        let mut stream = proxy.on_push();
        proxy.connect(&format!("client-{i}")).await?;
        let done = done_tx.clone();
        tokio::spawn(async move {
            while let Some(event) = stream.recv().await {
                if let PushEvent::Message(_) = event {
                    let _ = done.send(());
                }
            }
        });
        keep.push((comm, proxy));
    }
    let senders: Vec<PushSender> = clients.0.lock().unwrap().values().cloned().collect();
    assert_eq!(senders.len(), n, "every client registered");
    let message = Bytes::from(vec![b'x'; bytes]);

    let mut times = Vec::with_capacity(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        let t0 = Instant::now();
        for s in &senders {
            s.push_when_ready(message.clone()).await?;
        }
        for _ in 0..n {
            done_rx.recv().await.ok_or("a client stopped")?;
        }
        times.push(t0.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "push fan-out to {n} clients, {bytes}-byte messages, {rounds} rounds: median {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} pushes/s",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
        (n * rounds) as f64 / total.as_secs_f64()
    );
    server.shutdown().await;
    Ok(())
}
