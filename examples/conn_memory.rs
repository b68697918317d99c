//! What idle connections cost in memory: the RSS of `hello_server` holding `--server-conns`
//! idle connections (10,000 by default), and the RSS of a client (this process) holding
//! `--client-conns` connections (1,000 by default), one per endpoint. With `--http`, the
//! server is the `http_server` example and each of its idle connections is an HTTP/1.1
//! keep-alive connection that has answered one `GET /hello/x`.
//!
//! ```text
//! cargo build --release --examples
//! ulimit -n 20000; target/release/examples/conn_memory
//! ```
//!
//! The server is the `hello_server` example started beside this binary on a config of its
//! own (listening on 0.0.0.0, so the client can reach it as 1,000 different endpoints:
//! 127.0.0.1 … 127.0.3.250 on one port). Figures are read from `/proc/<pid>/status`
//! (`VmRSS`) once every connection is established and the process has settled. Linux only.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tars::client::Communicator;

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

const OBJ: &str = "TestApp.HelloServer.HelloObj";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut server_conns, mut client_conns, mut http) = (10_000usize, 1_000usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || -> Result<usize, Box<dyn std::error::Error>> {
            Ok(args.next().ok_or(format!("{flag} needs a value"))?.parse()?)
        };
        match flag.as_str() {
            "--server-conns" => server_conns = value()?,
            "--client-conns" => client_conns = value()?,
            "--http" => http = true,
            "-h" | "--help" => {
                println!("usage: conn_memory [--server-conns N] [--client-conns N] [--http]");
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown option '{other}'; usage: conn_memory [--server-conns N] [--client-conns N] [--http]"
                )
                .into())
            }
        }
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let server = Server::start(port, http)?;
    let base = rss_kib(server.child.id())?;

    // Server: N idle connections (opened, never used; over HTTP, used once).
    let mut idle = Vec::with_capacity(server_conns);
    for _ in 0..server_conns {
        let mut conn = TcpStream::connect(("127.0.0.1", port))?;
        if http {
            get_hello(&mut conn)?;
        }
        idle.push(conn);
    }
    server.wait_for_fds(server_conns)?;
    let held = settled_rss(server.child.id())?;
    println!(
        "RESULT case={} conns={server_conns} rss_before_kib={base} rss_kib={held} per_conn_bytes={}",
        if http { "http_idle" } else { "server_idle" },
        (held.saturating_sub(base)) * 1024 / server_conns.max(1) as u64
    );
    drop(idle);
    if http {
        server.stop();
        return Ok(());
    }

    // Client: one connection per endpoint, each used once so it is open.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let me = std::process::id();
    let before = rss_kib(me)?;
    let held = runtime.block_on(async {
        let comm = Communicator::new();
        let mut proxies = Vec::with_capacity(client_conns);
        for i in 0..client_conns {
            // 127.0.0.1 … : a different endpoint each, hence a connection each.
            let host = format!("127.0.{}.{}", i / 250, i % 250 + 1);
            let proxy: hello::test_app::HelloProxy =
                comm.string_to_proxy(&format!("{OBJ}@tcp -h {host} -p {port} -t 600000"))?;
            proxies.push(proxy);
        }
        for chunk in proxies.chunks(100) {
            let calls = chunk.iter().map(|p| {
                let p = p.clone();
                async move { p.test_hello("hello").await }
            });
            for r in join_all(calls).await {
                r?;
            }
        }
        Ok::<_, Box<dyn std::error::Error>>((comm, proxies))
    })?;
    let after = settled_rss(me)?;
    println!(
        "RESULT case=client conns={client_conns} rss_before_kib={before} rss_kib={after} per_conn_bytes={}",
        (after.saturating_sub(before)) * 1024 / client_conns.max(1) as u64
    );
    drop(held);
    server.stop();
    Ok(())
}

/// `GET /hello/x` on `conn`, keeping it open (keep-alive) once answered.
fn get_hello(conn: &mut TcpStream) -> std::io::Result<()> {
    use std::io::{Read, Write};
    conn.write_all(b"GET /hello/x HTTP/1.1\r\nhost: x\r\n\r\n")?;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.ends_with(b"hello x") {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

/// Runs the futures concurrently and returns their outputs in order.
async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a call task panicked"));
    }
    out
}

struct Server {
    child: Child,
    fds_at_start: usize,
}

impl Server {
    fn start(port: u16, http: bool) -> Result<Server, Box<dyn std::error::Error>> {
        let exe = std::env::current_exe()?;
        let bin = exe.with_file_name(if http { "http_server" } else { "hello_server" });
        if !bin.exists() {
            return Err(format!("{} is not built: cargo build --release --examples", bin.display()).into());
        }
        let conf = std::env::temp_dir().join(format!("tars-rs-conn-memory-{}.conf", std::process::id()));
        std::fs::write(
            &conf,
            format!(
                "<tars><application><server>
app=TestApp
server=HelloServer
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 0.0.0.0 -p {tars_port} -t 600000
servant={OBJ}
maxconns=100000
</TestApp.HelloServer.HelloObjAdapter>
{http_adapter}
</server></application></tars>",
                tars_port = if http { 0 } else { port },
                http_adapter = if http {
                    format!(
                        "<TestApp.HelloServer.HttpObjAdapter>
endpoint=tcp -h 0.0.0.0 -p {port} -t 600000
servant=TestApp.HelloServer.HttpObj
protocol=http
maxconns=100000
</TestApp.HelloServer.HttpObjAdapter>"
                    )
                } else {
                    String::new()
                },
            ),
        )?;
        let child = Command::new(&bin)
            .arg(format!("--config={}", conf.display()))
            .stdout(Stdio::null())
            .spawn()?;
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("{} did not start", bin.display()).into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(&conf);
        // The probe connection above closes; count from a quiet state.
        std::thread::sleep(Duration::from_millis(200));
        let fds_at_start = fd_count(child.id())?;
        Ok(Server { child, fds_at_start })
    }

    /// Waits until the server has accepted `n` more connections.
    fn wait_for_fds(&self, n: usize) -> Result<(), Box<dyn std::error::Error>> {
        let start = Instant::now();
        while fd_count(self.child.id())? < self.fds_at_start + n {
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("the server accepted fewer than {n} connections in 30 s").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fd_count(pid: u32) -> std::io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// `VmRSS` of `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    Ok(line.split_whitespace().nth(1).ok_or("bad VmRSS line")?.parse()?)
}

/// The RSS once it has stopped changing (tasks settle, buffers are handed back).
fn settled_rss(pid: u32) -> Result<u64, Box<dyn std::error::Error>> {
    let mut last = rss_kib(pid)?;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(250));
        let now = rss_kib(pid)?;
        if now == last {
            break;
        }
        last = now;
    }
    Ok(last)
}
