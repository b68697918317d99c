//! A TARS load generator: `C` concurrent callers over `K` connections call `testHello` with a
//! `B`-byte string for `D` seconds, then print QPS and latency percentiles.
//!
//! ```text
//! cargo run --release --example hello_server &
//! cargo run --release --example load -- --addr 127.0.0.1:10015 -c 64 -k 1 -b 128 -d 10
//! ```
//!
//! By default it speaks TARS on raw sockets (a multiplexed connection per `K`, requests
//! matched by `iRequestId`), so it measures the server alone. With `--client` the callers use
//! the tars-rs client instead (one `Communicator`, hence one connection, per `K`), which
//! measures client and server together and works against any TARS server:
//!
//! ```text
//! cargo run --release --example load -- --client --addr 127.0.0.1:10015 -c 64 -k 1 -b 128 -d 10
//! ```
//!
//! `--stat 'tars.tarsstat.StatObj@tcp -h HOST -p PORT'` makes the client count every call
//! for tarsstat, to measure what stat reporting costs.
//!
//! With `RUST_LOG` set (say `RUST_LOG=info`), the client side records the runtime's spans
//! through a `tracing_subscriber::fmt` subscriber writing to stderr, to measure what tracing
//! costs; without it no subscriber is installed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tars::bytes::{Bytes, BytesMut};
use tars::codec::{self, TarsEncode, TarsStruct};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

struct Args {
    client: bool,
    addr: String,
    servant: String,
    callers: usize,
    connections: usize,
    payload: usize,
    seconds: u64,
    /// `--stat OBJ`: the client reports every call to tarsstat at OBJ.
    stat: Option<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        client: false,
        addr: "127.0.0.1:10015".into(),
        servant: "TestApp.HelloServer.HelloObj".into(),
        callers: 64,
        connections: 1,
        payload: 128,
        seconds: 10,
        stat: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--client" => a.client = true,
            "--addr" => a.addr = value(),
            "--servant" => a.servant = value(),
            "-c" => a.callers = value().parse().expect("-c N"),
            "-k" => a.connections = value().parse().expect("-k N"),
            "-b" => a.payload = value().parse().expect("-b BYTES"),
            "-d" => a.seconds = value().parse().expect("-d SECONDS"),
            "--stat" => a.stat = Some(value()),
            other => panic!("unknown flag {other}; flags: --client --addr HOST:PORT --servant OBJ -c CALLERS -k CONNECTIONS -b BYTES -d SECONDS --stat OBJ"),
        }
    }
    a
}

type Pending = Arc<Mutex<HashMap<i32, oneshot::Sender<ResponsePacket>>>>;

struct Connection {
    outgoing: mpsc::Sender<Bytes>,
    pending: Pending,
}

async fn connect(addr: &str) -> Connection {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let pending: Pending = Arc::default();
    let (tx, mut rx) = mpsc::channel::<Bytes>(4096);
    tokio::spawn(async move {
        let mut batch = BytesMut::new();
        while let Some(first) = rx.recv().await {
            batch.extend_from_slice(&first);
            while let Ok(more) = rx.try_recv() {
                batch.extend_from_slice(&more);
            }
            if wr.write_all(&batch).await.is_err() {
                return;
            }
            batch.clear();
        }
    });
    let p = pending.clone();
    tokio::spawn(async move {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        loop {
            while let Ok(Some(f)) = frame::decode_frame(&mut buf, 64 << 20) {
                let rsp: ResponsePacket = codec::from_bytes(&f).expect("response");
                if let Some(tx) = p.lock().unwrap().remove(&rsp.i_request_id) {
                    let _ = tx.send(rsp);
                }
            }
            if buf.capacity() - buf.len() < 16 * 1024 {
                buf.reserve(64 * 1024);
            }
            match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    Connection { outgoing: tx, pending }
}

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

/// Callers through the tars-rs client.
async fn run_client(
    args: &Args,
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicI32>,
) -> Vec<tokio::task::JoinHandle<Vec<u32>>> {
    let (host, port) = args.addr.rsplit_once(':').expect("--addr HOST:PORT");
    let obj = format!("{}@tcp -h {host} -p {port} -t 60000", args.servant);
    let communicator = || {
        let config = tars::config::ClientConfig {
            stat: args.stat.clone(),
            ..Default::default()
        };
        tars::client::Communicator::from_config(&config)
    };
    let proxies: Vec<hello::test_app::HelloProxy> = (0..args.connections)
        .map(|_| communicator().string_to_proxy(&obj).expect("proxy"))
        .collect();
    let payload = "x".repeat(args.payload);
    (0..args.callers)
        .map(|c| {
            let (proxy, stop, errors, payload) = (
                proxies[c % proxies.len()].clone(),
                stop.clone(),
                errors.clone(),
                payload.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(1 << 16);
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match proxy.test_hello(&payload).await {
                        Ok(_) => latencies.push(t.elapsed().as_micros() as u32),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                latencies
            })
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if args.client {
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicI32::new(0));
        let started = Instant::now();
        let callers = run_client(&args, stop.clone(), errors.clone()).await;
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for c in callers {
            all.extend(c.await.unwrap());
        }
        report(
            &args,
            "tars-rs client",
            all,
            started.elapsed().as_secs_f64(),
            errors.load(Ordering::Relaxed),
        );
        return;
    }
    let payload = "x".repeat(args.payload);
    let mut body = BytesMut::new();
    payload.encode(1, &mut body);
    let body = body.freeze();
    let mut conns = Vec::new();
    for _ in 0..args.connections {
        conns.push(Arc::new(connect(&args.addr).await));
    }
    let next_id = Arc::new(AtomicI32::new(1));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicI32::new(0));
    let mut callers = Vec::new();
    let started = Instant::now();
    for c in 0..args.callers {
        let conn = conns[c % conns.len()].clone();
        let (next_id, stop, errors, body, servant) = (
            next_id.clone(),
            stop.clone(),
            errors.clone(),
            body.clone(),
            args.servant.clone(),
        );
        callers.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            while !stop.load(Ordering::Relaxed) {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let req = RequestPacket {
                    i_version: 1,
                    i_request_id: id,
                    s_servant_name: servant.clone(),
                    s_func_name: "testHello".into(),
                    s_buffer: body.clone(),
                    i_timeout: 3000,
                    ..RequestPacket::default()
                };
                let mut out = BytesMut::with_capacity(64 + body.len());
                frame::encode_frame(&mut out, |b| req.encode_fields(b));
                let (tx, rx) = oneshot::channel();
                conn.pending.lock().unwrap().insert(id, tx);
                let t = Instant::now();
                if conn.outgoing.send(out.freeze()).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return latencies;
                }
                match tokio::time::timeout(Duration::from_secs(5), rx).await {
                    Ok(Ok(rsp)) if rsp.i_ret == 0 => latencies.push(t.elapsed().as_micros() as u32),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<u32> = Vec::new();
    for c in callers {
        all.extend(c.await.unwrap());
    }
    report(
        &args,
        "raw sockets",
        all,
        started.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed),
    );
}

fn report(args: &Args, how: &str, mut all: Vec<u32>, elapsed: f64, errors: i32) {
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{how}: C={} K={} B={} D={}s: {} calls, {:.0} QPS, p50 {} us, p99 {} us, p999 {} us, errors {}",
        args.callers,
        args.connections,
        args.payload,
        args.seconds,
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        errors
    );
    // The same figures in limit-loader's format, for scripts (bench/compare.sh).
    println!(
        "RESULT impl={} qps={:.0} p50_us={} p99_us={} p999_us={} errors={}",
        if how.contains("client") {
            "tars-rs-client"
        } else {
            "load-raw"
        },
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        errors
    );
}
