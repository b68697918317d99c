//! A server's logs under tarsnode: the main log and a named day logger under
//! `logpath/<App>/<Server>/`, rolled by size; the level from `logLevel`, changed at run time;
//! lines to a tarslog double in order and in batches; dyed requests in the dye log; the trace
//! and span ids at the end of the lines of a traced request, in the files and at tarslog.
//! (One test: the logs are the process's `tracing` subscriber; then, with trace ids off, a
//! layer is its thread's.)

#[allow(dead_code)] // This binary uses part of the shared helpers.
mod support;

use std::time::Duration;

use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

use support::framework::{obj, FrameworkDouble, LOG_OBJ};
use support::server::hello::test_app::{Hello, HelloProxy};
use tars::client::{CallOptions, Communicator};
use tars::framework::log::{LogLevel, Logger, Roll};
use tars::Application;
use tars::{Context, Status};

const OBJ: &str = "TestApp.HelloServer.HelloObj";
/// The trace of the traced requests, as a caller's `traceparent` carries it.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A call from outside any trace: the client's own span is not recorded (in this process the
/// server's subscriber would record it, and a recorded call outside a trace starts one).
async fn untraced<F: std::future::IntoFuture>(call: F) -> F::Output {
    call.into_future().with_subscriber(NoSubscriber::default()).await
}

/// A call within the trace [`TRACE_ID`], as a caller's span `00f067aa0ba902b7`.
async fn traced(hello: &HelloProxy) -> String {
    let opts = CallOptions::new().status("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"));
    untraced(hello.test_hello_with(&opts, "traced")).await.unwrap().value.1
}

struct Chatty;

#[tars::servant]
impl Hello for Chatty {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, ctx: &Context, s: String) -> Result<(i32, String), Status> {
        if s == "traced" {
            tracing::info!("traced line");
            let ids = ctx.trace().map(|t| format!("{} {}", t.trace_id, t.span_id));
            return Ok((0, ids.unwrap_or_default()));
        }
        if let Some(n) = s.strip_prefix("many ") {
            for i in 0..n.parse::<usize>().unwrap() {
                tracing::info!(target: "TLOG", i, "bulk");
            }
            return Ok((0, s));
        }
        tracing::info!(who = %s, "main line");
        tracing::debug!("debug line {s}");
        tracing::info!(target: "TLOG", "tlog line {s}");
        Ok((0, s))
    }
}

#[tokio::test]
async fn logs_land_in_files_rolled_and_leveled_and_reach_tarslog_in_batches() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let log_obj = obj(LOG_OBJ, fw_server.local_addr(LOG_OBJ).unwrap().port());
    let logpath = std::env::temp_dir().join(format!("tars-rs-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logpath);
    let config = format!(
        "<tars><application><server>
app=TestApp
server=HelloServer
logpath={}
logsize=64K
lognum=3
logLevel=INFO
log={log_obj}
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>",
        logpath.display()
    );
    let server = Application::new(config.parse().unwrap())
        .servant(OBJ, Chatty)
        .logger(Logger::new("TLOG").roll(Roll::Daily).remote())
        .remote_log()
        .start()
        .await
        .unwrap();
    let platform = server.platform().clone();
    let log = platform.log().expect("tars-rs logs installed").clone();
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    untraced(hello.test_hello("a")).await.unwrap();
    untraced(hello.test_hello_with(&CallOptions::new().dye("user42"), "dyed"))
        .await
        .unwrap();
    platform.set_log_level(LogLevel::Debug).unwrap();
    untraced(hello.test_hello("b")).await.unwrap();
    // The servant's trace context: the caller's trace, and this server's span.
    let ids = traced(&hello).await;
    let (trace_id, span_id) = ids.split_once(' ').expect("the request is traced");
    assert_eq!(trace_id, TRACE_ID);
    let with_ids = format!("|INFO|traced line trace_id={TRACE_ID} span_id={span_id}");
    log.flush(Duration::from_secs(5)).await;

    let dir = logpath.join("TestApp").join("HelloServer");
    let main = std::fs::read_to_string(dir.join("TestApp.HelloServer.log")).unwrap();
    let lines: Vec<&str> = main
        .lines()
        .filter(|l| l.contains("line") && !l.contains("traced line"))
        .collect();
    // INFO hides the first request's debug line; after tars.setloglevel DEBUG it shows.
    assert_eq!(lines.len(), 4, "{main}");
    assert!(lines[0].ends_with("|INFO|main line who=a"), "{}", lines[0]);
    assert!(lines[1].ends_with("|INFO|main line who=dyed"), "{}", lines[1]);
    assert!(lines[3].ends_with("|DEBUG|debug line b"), "{}", lines[3]);
    // `2026-11-30 23:59:59.123|tests/logs.rs:36|INFO|…`
    let fields: Vec<&str> = lines[0].splitn(4, '|').collect();
    assert_eq!(fields[0].len(), "2026-11-30 23:59:59.123".len(), "{}", lines[0]);
    assert!(fields[1].starts_with("tests/logs.rs:"), "{}", lines[0]);
    assert!(
        !main.contains("tlog line"),
        "named-logger lines stay out of the main log"
    );
    // The traced request's line ends with its ids; untraced ones (above) have none.
    assert!(main.lines().any(|l| l.ends_with(&with_ids)), "{main}");
    assert_eq!(main.matches("trace_id=").count(), 1, "{main}");

    let today = chrono::Local::now().format("%Y%m%d");
    let tlog = std::fs::read_to_string(dir.join(format!("TestApp.HelloServer_TLOG_{today}.log"))).unwrap();
    assert_eq!(
        tlog.lines().filter(|l| l.contains("|INFO|tlog line")).count(),
        3,
        "{tlog}"
    );

    let dye = std::fs::read_to_string(logpath.join("tars_dyeing").join("dyeing.log")).unwrap();
    assert!(
        dye.contains("main line who=dyed") && dye.contains("tlog line dyed"),
        "{dye}"
    );
    assert!(!dye.contains("who=a"), "{dye}");

    {
        let rec = fw.rec();
        let remote = |file: &str| -> Vec<String> {
            rec.logs_by_info
                .iter()
                .filter(|(i, _)| i.s_filename == file)
                .flat_map(|(_, lines)| lines.clone())
                .collect()
        };
        let tlog_remote = remote("TLOG");
        assert_eq!(tlog_remote.len(), 3);
        assert!(tlog_remote[0].ends_with("|INFO|tlog line a\n"), "{tlog_remote:?}");
        assert!(remote("").iter().any(|l| l.ends_with("|INFO|main line who=b\n")));
        let traced_remote: Vec<String> = remote("").into_iter().filter(|l| l.contains("traced line")).collect();
        assert_eq!(traced_remote.len(), 1, "{traced_remote:?}");
        assert!(
            traced_remote[0].ends_with(&format!("{with_ids}\n")),
            "{traced_remote:?}"
        );
        let (info, _) = &rec.logs_by_info[0];
        assert_eq!(
            (
                info.appname.as_str(),
                info.servername.as_str(),
                info.s_format.as_str(),
                info.b_has_sufix,
                info.b_has_app_name_prefix,
                info.s_concat_str.as_str(),
                info.s_separ.as_str()
            ),
            ("TestApp", "HelloServer", "%Y%m%d", true, true, "_", "|")
        );
        let dyed: Vec<&(String, String, String, String, Vec<String>)> = rec.logs.iter().collect();
        assert!(!dyed.is_empty());
        for (app, srv, file, format, lines) in dyed {
            assert_eq!(
                (app.as_str(), srv.as_str(), file.as_str(), format.as_str()),
                ("tars_dyeing", "dyeing", "roll", "%Y%m%d")
            );
            assert!(lines.iter().all(|l| l.starts_with("TestApp.HelloServer|")), "{lines:?}");
        }
    }

    // 5000 lines in a burst reach tarslog in order, at most 2000 per call.
    untraced(hello.test_hello("many 5000")).await.unwrap();
    log.flush(Duration::from_secs(10)).await;
    {
        let rec = fw.rec();
        let batches: Vec<&Vec<String>> = rec
            .logs_by_info
            .iter()
            .filter(|(i, lines)| i.s_filename == "TLOG" && lines.iter().any(|l| l.contains("bulk")))
            .map(|(_, l)| l)
            .collect();
        assert!(batches.iter().all(|b| b.len() <= 2000));
        let all: Vec<&String> = batches.into_iter().flatten().collect();
        assert_eq!(all.len(), 5000);
        for (n, line) in all.iter().enumerate() {
            assert!(line.ends_with(&format!("|INFO|bulk i={n}\n")), "{line}");
        }
    }

    // The main log rolls at logsize (64K), keeping lognum (3) files.
    for i in 0..1500 {
        tracing::info!("filler line {i:05} {}", "x".repeat(80));
    }
    log.flush(Duration::from_secs(5)).await;
    assert!(dir.join("TestApp.HelloServer1.log").exists());
    assert!(dir.join("TestApp.HelloServer2.log").exists());
    assert!(!dir.join("TestApp.HelloServer3.log").exists());
    let size = std::fs::metadata(dir.join("TestApp.HelloServer1.log")).unwrap().len();
    assert!((64 << 10..(64 << 10) + 200).contains(&size), "{size}");
    assert_eq!(log.stats().dropped_local.load(std::sync::atomic::Ordering::Relaxed), 0);

    server.shutdown().await;
    fw_server.shutdown().await;
    let _ = std::fs::remove_dir_all(&logpath);

    trace_ids_off_leaves_lines_as_they_were().await;
}

/// `trace_ids` off (`logtraceid=N`, `Application::log_trace_ids(false)`): the line of a traced
/// request has no ids. (Run after the process's subscriber is installed: a thread's
/// subscriber set before would keep tars-rs from installing it.)
async fn trace_ids_off_leaves_lines_as_they_were() {
    use tracing_subscriber::layer::SubscriberExt;

    let logpath = std::env::temp_dir().join(format!("tars-rs-logs-off-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logpath);
    let config = format!(
        "<tars><application><server>
app=TestApp
server=NoIds
logpath={}
logtraceid=N
</server></application></tars>",
        logpath.display()
    );
    let parsed: tars::config::Config = config.parse().unwrap();
    let settings = tars::framework::log::LogSettings::from_server_config(parsed.server.as_ref().unwrap());
    assert!(!settings.trace_ids);
    let (layer, filter, log) = tars::framework::log::layer(&settings, None);
    // This thread's subscriber (the other test installs the process's): the server's tasks
    // run on this thread (a current-thread runtime), so their lines come here.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(filter).with(layer));
    let (server, hello): (_, HelloProxy) = support::server::serve_alone(OBJ, Chatty).await;
    let ids = traced(&hello).await;
    assert!(ids.starts_with(TRACE_ID), "the request is traced: {ids:?}");
    log.flush(Duration::from_secs(5)).await;
    let main = std::fs::read_to_string(logpath.join("TestApp").join("NoIds").join("TestApp.NoIds.log")).unwrap();
    let line = main
        .lines()
        .find(|l| l.contains("traced line"))
        .unwrap_or_else(|| panic!("{main}"));
    assert!(line.ends_with("|INFO|traced line"), "{line}");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&logpath);
}
