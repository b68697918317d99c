//! A server's logs under tarsnode: the main log and a named day logger under
//! `logpath/<App>/<Server>/`, rolled by size; the level from `logLevel`, changed at run time;
//! lines to a tarslog double in order and in batches; dyed requests in the dye log. (One
//! test: the logs are the process's `tracing` subscriber.)

#[allow(dead_code)] // This binary uses part of the shared helpers.
mod support;

use std::time::Duration;

use support::framework::{obj, FrameworkDouble, LOG_OBJ};
use support::server::hello::test_app::{Hello, HelloProxy};
use tars::client::{CallOptions, Communicator};
use tars::framework::log::{LogLevel, Logger, Roll};
use tars::Application;
use tars::{Context, Status};

const OBJ: &str = "TestApp.HelloServer.HelloObj";

struct Chatty;

#[tars::servant]
impl Hello for Chatty {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s: String) -> Result<(i32, String), Status> {
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
    hello.test_hello("a").await.unwrap();
    hello
        .test_hello_with(&CallOptions::new().dye("user42"), "dyed")
        .await
        .unwrap();
    platform.set_log_level(LogLevel::Debug).unwrap();
    hello.test_hello("b").await.unwrap();
    log.flush(Duration::from_secs(5)).await;

    let dir = logpath.join("TestApp").join("HelloServer");
    let main = std::fs::read_to_string(dir.join("TestApp.HelloServer.log")).unwrap();
    let lines: Vec<&str> = main.lines().filter(|l| l.contains("line")).collect();
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
    hello.test_hello("many 5000").await.unwrap();
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
}
