//! A TARS load generator: `C` concurrent callers over `K` connections call `testHello` with a
//! `B`-byte string for `D` seconds, then print QPS and latency percentiles.
//!
//! ```text
//! cargo run --release --example hello_server &
//! cargo run --release --example load -- --addr 127.0.0.1:10015 -c 64 -k 1 -b 128 -d 10
//! ```
//!
//! By default it speaks TARS on raw sockets, so it measures the server alone: each of the `K`
//! connections keeps its share of the `C` requests in flight (one task per connection, the
//! requests a patched template written in batches, replies matched by `iRequestId`), lean
//! enough to load a server at close to a million requests a second on one core. With `--client` the callers use
//! the tars-rs client instead (one `Communicator`, hence one connection, per `K`), which
//! measures client and server together and works against any TARS server:
//!
//! ```text
//! cargo run --release --example load -- --client --addr 127.0.0.1:10015 -c 64 -k 1 -b 128 -d 10
//! ```
//!
//! `--stat 'tars.tarsstat.StatObj@tcp -h HOST -p PORT'` makes the client count every call
//! for tarsstat, to measure what stat reporting costs. `--protocol tup|tup2|json` makes the
//! client's calls speak TUP v3, TUP v2 or JSON instead of TARS (against a server that answers
//! them, such as `hello_server`), to measure what each encoding costs.
//!
//! `--pb` sends protobuf `SayHello` requests instead (raw mode; `examples/pb_server`, or any
//! TarsGo protobuf servant of `helloworld.proto`), to compare the cost of a protobuf call with
//! the same call on a TARS IDL interface:
//!
//! ```text
//! cargo run --release --example pb_server &
//! cargo run --release --example load -- --pb --addr 127.0.0.1:10019 --servant TestApp.PbServer.GreeterObj
//! ```
//!
//! `--http PATH` loads an HTTP server instead, as wrk and oha do: `K` keep-alive HTTP/1.1
//! connections, each with one `GET PATH` in flight at a time (`-c` is ignored):
//!
//! ```text
//! cargo run --release --example http_server &
//! cargo run --release --example load -- --http /hello/world --addr 127.0.0.1:10017 -k 16 -d 10
//! ```
//!
//! With `RUST_LOG` set (say `RUST_LOG=info`), the client side records the runtime's spans
//! through a `tracing_subscriber::fmt` subscriber writing to stderr, to measure what tracing
//! costs; without it no subscriber is installed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tars::bytes::BytesMut;
use tars::codec::{self, TarsEncode, TarsStruct};
use tars::protocol::RequestPacket;
use tars::transport::frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    /// `--http PATH`: load an HTTP server with `GET PATH`.
    http: Option<String>,
    /// `--pb`: protobuf `SayHello` requests (raw mode).
    pb: bool,
    /// `--protocol P`: the client's calls speak P (TARS by default).
    protocol: tars::client::Encoding,
    /// `--trace FORMAT`: requests (raw mode) or calls (`--client`) belong to a trace in
    /// FORMAT (`w3c`, `tars`, `b3`, `sw8`), to measure what continuing it costs.
    trace: Option<String>,
}

/// The status keys (and message type) of a request in a trace of `format`.
fn trace_status(format: &str) -> Result<(std::collections::BTreeMap<String, String>, i32), String> {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let keys: &[(&str, String)] = &match format {
        "w3c" => vec![("traceparent", format!("00-{TRACE}-00f067aa0ba902b7-01"))],
        "tars" => vec![("STATUS_TRACE_KEY", format!("0-{TRACE}|00f067aa0ba902b7"))],
        "b3" => vec![
            ("x-b3-traceid", TRACE.to_string()),
            ("x-b3-spanid", "00f067aa0ba902b7".to_string()),
            ("x-b3-sampled", "1".to_string()),
        ],
        // go2sky's sw8 for the same trace id.
        "sw8" => vec![(
            "sw8",
            "1-NGJmOTJmMzU3N2IzNGRhNmEzY2U5MjlkMGUwZTQ3MzY=-c2VnLTE=-3-c3Zj-aW5zdA==-L2Zyb250-MTAuMC4wLjE6ODA="
                .to_string(),
        )],
        other => return Err(format!("--trace takes w3c, tars, b3 or sw8, not '{other}'\n{USAGE}")),
    };
    let status = keys.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let message_type = if format == "tars" {
        tars::protocol::TARSMESSAGETYPETRACE
    } else {
        0
    };
    Ok((status, message_type))
}

const USAGE: &str = "usage: load [--client | --http PATH | --pb] [--addr HOST:PORT] [--servant OBJ] [-c CALLERS] [-k CONNECTIONS] [-b BYTES] [-d SECONDS] [--stat OBJ] [--protocol tars|tup|tup2|json] [--trace w3c|tars|b3|sw8]";

/// The arguments, or `Err(message)` for a bad one (`Ok(None)`: `--help` was answered).
fn parse_args() -> Result<Option<Args>, String> {
    let mut a = Args {
        client: false,
        addr: "127.0.0.1:10015".into(),
        servant: "TestApp.HelloServer.HelloObj".into(),
        callers: 64,
        connections: 1,
        payload: 128,
        seconds: 10,
        stat: None,
        http: None,
        pb: false,
        protocol: tars::client::Encoding::Tars,
        trace: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{flag} takes a number, not '{v}'\n{USAGE}"))
        }
        match flag.as_str() {
            "--client" => a.client = true,
            "--addr" => a.addr = value()?,
            "--servant" => a.servant = value()?,
            "-c" => a.callers = number(&flag, value()?)?,
            "-k" => a.connections = number(&flag, value()?)?,
            "-b" => a.payload = number(&flag, value()?)?,
            "-d" => a.seconds = number(&flag, value()?)?,
            "--stat" => a.stat = Some(value()?),
            "--http" => a.http = Some(value()?),
            "--pb" => a.pb = true,
            "--protocol" => a.protocol = value()?.parse().map_err(|e| format!("--protocol: {e}\n{USAGE}"))?,
            "--trace" => {
                let format = value()?;
                trace_status(&format)?;
                a.trace = Some(format);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown option '{other}'\n{USAGE}")),
        }
    }
    if a.callers == 0 || a.connections == 0 {
        return Err(format!("-c and -k take at least 1\n{USAGE}"));
    }
    if a.protocol != tars::client::Encoding::Tars && !a.client {
        return Err(format!("--protocol is for --client\n{USAGE}"));
    }
    if !a.addr.contains(':') {
        return Err(format!("--addr takes HOST:PORT, not '{}'\n{USAGE}", a.addr));
    }
    Ok(Some(a))
}

/// One raw connection keeping `window` requests in flight for `seconds`: requests are a
/// template frame with the request id patched in, written in batches; replies are matched by
/// id. Returns the latencies (µs) and the errors.
async fn raw_connection(addr: String, template: Arc<Template>, window: usize, seconds: u64) -> (Vec<u32>, i32) {
    let stream = TcpStream::connect(&addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let mut sent: HashMap<i32, Instant> = HashMap::with_capacity(window * 2);
    let (mut latencies, mut errors) = (Vec::with_capacity(1 << 20), 0);
    let (mut out, mut buf) = (BytesMut::new(), BytesMut::with_capacity(64 * 1024));
    let mut next_id: i32 = 1;
    let end = Instant::now() + Duration::from_secs(seconds);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        out.clear();
        while sent.len() < window {
            template.write(&mut out, next_id);
            sent.insert(next_id, now);
            next_id = next_id.wrapping_add(1).max(1);
        }
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            errors += 1;
            break;
        }
        if buf.capacity() - buf.len() < 16 * 1024 {
            buf.reserve(64 * 1024);
        }
        match tokio::time::timeout_at(end.into(), rd.read_buf(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                errors += 1;
                break;
            }
            Ok(Ok(_)) => {}
            Err(_) => break,
        }
        let now = Instant::now();
        while let Ok(Some(f)) = frame::decode_frame(&mut buf, 64 << 20) {
            // ResponsePacket: iRequestId is tag 3, iRet tag 5.
            let mut r = codec::Reader::new(&f);
            let id = r.read_field::<i32>(3).ok().flatten();
            let ret = r.read_field::<i32>(5).ok().flatten().unwrap_or(0);
            match id.and_then(|id| sent.remove(&id)) {
                Some(at) if ret == 0 => latencies.push(now.duration_since(at).as_micros() as u32),
                _ => errors += 1,
            }
        }
    }
    (latencies, errors)
}

/// One keep-alive HTTP/1.1 connection sending `GET path` one at a time for `seconds`: a
/// response is its head up to the blank line and a `content-length` body (what the servers
/// measured send). Returns the latencies (µs) of 200 answers and the errors.
async fn http_connection(addr: String, path: String, seconds: u64) -> (Vec<u32>, i32) {
    let stream = TcpStream::connect(&addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    let (mut latencies, mut errors) = (Vec::with_capacity(1 << 20), 0);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        let sent = Instant::now();
        if wr.write_all(request.as_bytes()).await.is_err() {
            errors += 1;
            break;
        }
        let answer = loop {
            if let Some(answer) = take_http_response(&mut buf) {
                break Some(answer);
            }
            match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break None,
                Ok(_) => {}
            }
        };
        match answer {
            Some(200) => latencies.push(sent.elapsed().as_micros() as u32),
            Some(_) => errors += 1,
            None => {
                errors += 1;
                break;
            }
        }
    }
    (latencies, errors)
}

/// Takes one complete response off `buf`: its status, or `None` if more bytes are needed.
fn take_http_response(buf: &mut BytesMut) -> Option<u16> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let status: u16 = head.get(9..12)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    if buf.len() < head_end + length {
        return None;
    }
    let _ = buf.split_to(head_end + length);
    Some(status)
}

/// A `testHello` request frame whose request id is patched per request.
struct Template {
    frame: Vec<u8>,
    /// Where the 4 bytes of the id are.
    id_at: usize,
}

impl Template {
    /// `testHello(sReq)` with a `payload`-byte string.
    fn new(servant: &str, payload: usize, trace: Option<&str>) -> Template {
        let mut body = BytesMut::new();
        "x".repeat(payload).encode(1, &mut body);
        let (status, message_type) = trace.map(|f| trace_status(f).expect("checked")).unwrap_or_default();
        Template::of(servant, "testHello", body.freeze(), status, message_type)
    }

    /// Protobuf `SayHello(HelloRequest{name})` with a `payload`-byte name: field 1, length
    /// delimited, as Go's `proto.Marshal` writes it.
    fn protobuf(servant: &str, payload: usize) -> Template {
        let mut body = vec![0x0a];
        let mut len = payload;
        while len >= 0x80 {
            body.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        body.push(len as u8);
        body.extend(std::iter::repeat_n(b'x', payload));
        Template::of(servant, "SayHello", body.into(), Default::default(), 0)
    }

    fn of(
        servant: &str,
        function: &str,
        body: tars::bytes::Bytes,
        status: std::collections::BTreeMap<String, String>,
        message_type: i32,
    ) -> Template {
        let encode = |id: i32| {
            let req = RequestPacket {
                i_version: 1,
                i_message_type: message_type,
                i_request_id: id,
                s_servant_name: servant.into(),
                s_func_name: function.into(),
                s_buffer: body.clone(),
                i_timeout: 3000,
                status: status.clone(),
                ..RequestPacket::default()
            };
            let mut out = BytesMut::new();
            frame::encode_frame(&mut out, |b| req.encode_fields(b));
            out.to_vec()
        };
        // Ids this large are written in 4 bytes; the byte that differs is the id's last.
        let (a, b) = (encode(i32::MAX), encode(i32::MAX - 1));
        let last = (0..a.len()).find(|&i| a[i] != b[i]).expect("the id is in the frame");
        Template {
            frame: a,
            id_at: last - 3,
        }
    }

    fn write(&self, out: &mut BytesMut, id: i32) {
        let start = out.len();
        out.extend_from_slice(&self.frame);
        out[start + self.id_at..start + self.id_at + 4].copy_from_slice(&id.to_be_bytes());
    }
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
        let mut config = tars::config::ClientConfig::default();
        config.stat = args.stat.clone();
        tars::client::Communicator::from_config(&config)
    };
    let proxies: Vec<hello::test_app::HelloProxy> = (0..args.connections)
        .map(|_| {
            let proxy: hello::test_app::HelloProxy = communicator().string_to_proxy(&obj).expect("proxy");
            proxy.with_protocol(args.protocol)
        })
        .collect();
    let payload = "x".repeat(args.payload);
    // Calls made within a trace continue it, as a servant's calls do.
    let within = args.trace.as_deref().map(|f| {
        let (status, message_type) = trace_status(f).expect("checked");
        let trace = tars::trace::extract(&tars::trace::Carrier::new(&status, message_type));
        Arc::new(tars::context::Current::default().trace(trace.expect("a trace in that format")))
    });
    (0..args.callers)
        .map(|c| {
            let (proxy, stop, errors, payload) = (
                proxies[c % proxies.len()].clone(),
                stop.clone(),
                errors.clone(),
                payload.clone(),
            );
            let calls = async move {
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
            };
            match within.clone() {
                Some(current) => tokio::spawn(current.scope(calls)),
                None => tokio::spawn(calls),
            }
        })
        .collect()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => return std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if let Some(path) = &args.http {
        let started = Instant::now();
        let conns: Vec<_> = (0..args.connections)
            .map(|_| tokio::spawn(http_connection(args.addr.clone(), path.clone(), args.seconds)))
            .collect();
        let (all, errors) = gather(conns).await;
        report(&args, "http", all, started.elapsed().as_secs_f64(), errors);
        return std::process::ExitCode::SUCCESS;
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
        return std::process::ExitCode::SUCCESS;
    }
    // Raw sockets: the callers are spread over the connections as their in-flight windows.
    let template = Arc::new(if args.pb {
        Template::protobuf(&args.servant, args.payload)
    } else {
        Template::new(&args.servant, args.payload, args.trace.as_deref())
    });
    let started = Instant::now();
    let conns: Vec<_> = (0..args.connections)
        .map(|k| {
            let window = args.callers / args.connections + usize::from(k < args.callers % args.connections);
            tokio::spawn(raw_connection(
                args.addr.clone(),
                template.clone(),
                window.max(1),
                args.seconds,
            ))
        })
        .collect();
    let (all, errors) = gather(conns).await;
    report(&args, "raw sockets", all, started.elapsed().as_secs_f64(), errors);
    std::process::ExitCode::SUCCESS
}

/// The latencies and errors of every connection's task, together.
async fn gather(conns: Vec<tokio::task::JoinHandle<(Vec<u32>, i32)>>) -> (Vec<u32>, i32) {
    let (mut all, mut errors) = (Vec::new(), 0);
    for c in conns {
        let (latencies, e) = c.await.expect("a load task panicked");
        all.extend(latencies);
        errors += e;
    }
    (all, errors)
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
        } else if how == "http" {
            "load-http"
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
