//! A server under tarsnode, against doubles of the framework built from its IDLs: the
//! heartbeat's cadence and zombie rule, notify events in order, the admin commands on
//! `local=`, and config files pulled from tarsconfig into `basepath`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::framework::idl::{AdminFProxy, Notifylevel, ReportInfo, ReportType};
use crate::support::framework::{obj, FrameworkDouble, CONFIG_OBJ, NODE_OBJ, NOTIFY_OBJ};
use crate::support::server::{hello::test_app::HelloProxy, SleepyHello, OBJ};
use tars::application::Server;
use tars::client::{CallOptions, Communicator};
use tars::config::Config;
use tars::framework::admin::ADMIN_OBJ;
use tars::framework::notify::NotifyLevel;
use tars::framework::remote_config::{ConfigLevel, LoadedConfig};
use tars::framework::reporter::TARS_VERSION;
use tars::Application;

fn config(fw: &Server, extra_server_keys: &str, adapter_keys: &str) -> Config {
    let port = fw.local_addr(NODE_OBJ).unwrap().port();
    format!(
        "<tars><application>
<server>
app=TestApp
server=HelloServer
localip=127.0.0.1
local=tcp -h 127.0.0.1 -p 0 -t 3000
node={}
notify={}
config={}
mainloopticker=100
{extra_server_keys}
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
{adapter_keys}
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>",
        obj(NODE_OBJ, port),
        obj(NOTIFY_OBJ, port),
        obj(CONFIG_OBJ, port),
    )
    .parse()
    .unwrap()
}

/// A server on `config(fw, server_keys, adapter_keys)` serving `servant` as OBJ, and a proxy
/// to it.
async fn serve_hello(
    fw: &Server,
    server_keys: &str,
    adapter_keys: &str,
    servant: impl tars::server::Servant,
) -> (Server, HelloProxy) {
    let server = Application::new(config(fw, server_keys, adapter_keys))
        .servant(OBJ, servant)
        .start()
        .await
        .unwrap();
    let hello = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    (server, hello)
}

fn admin(comm: &Communicator, server: &Server) -> AdminFProxy {
    comm.string_to_proxy(&format!("{ADMIN_OBJ}@{}", server.endpoint(ADMIN_OBJ).unwrap()))
        .unwrap()
}

#[tokio::test]
async fn heartbeat_notify_admin_and_remote_config_as_tarsnode_sees_them() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    fw.serve_config("HelloServer.conf", false, "<hello>\nx=1\n</hello>\n");
    fw.serve_config("TestApp.conf", true, "shared=1\n");
    let base = std::env::temp_dir().join(format!("tars-rs-citizen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let loaded: Arc<Mutex<Vec<LoadedConfig>>> = Arc::default();
    let seen = loaded.clone();
    let app = Application::new(config(&fw_server, &format!("basepath={}", base.display()), ""))
        .servant(OBJ, SleepyHello)
        .remote_config("HelloServer.conf")
        .remote_config_at("TestApp.conf", ConfigLevel::App)
        .on_config(move |c| seen.lock().unwrap().push(c.clone()))
        .admin_command("tars.shout", |args| Ok(args.to_uppercase()))
        .admin_command("tars.fail", |_| Err("it broke".into()));
    let started = Instant::now();
    let server = app.start().await.unwrap();

    // Config files are in basepath before the servants serve, and the listeners heard.
    assert_eq!(
        std::fs::read_to_string(base.join("HelloServer.conf")).unwrap(),
        "<hello>\nx=1\n</hello>\n"
    );
    assert_eq!(
        std::fs::read_to_string(base.join("TestApp.conf")).unwrap(),
        "shared=1\n"
    );
    assert_eq!(
        loaded
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["HelloServer.conf", "TestApp.conf"]
    );
    {
        let rec = fw.rec();
        let asks: Vec<_> = rec
            .config_asks
            .iter()
            .map(|c| {
                (
                    c.appname.as_str(),
                    c.servername.as_str(),
                    c.filename.as_str(),
                    c.b_app_only,
                )
            })
            .collect();
        assert_eq!(
            asks,
            [
                ("TestApp", "HelloServer", "HelloServer.conf", false),
                ("TestApp", "", "TestApp.conf", true)
            ]
        );
    }

    // The heartbeat: reportVersion and keepAlive("") at once, then one keepAlive per adapter
    // (the admin adapter too) every mainloopticker (100 ms).
    crate::support::wait_for("four heartbeat rounds", Duration::from_secs(5), || {
        fw.rec().keep_alives.len() >= 9
    })
    .await;
    {
        let rec = fw.rec();
        assert_eq!(
            rec.versions,
            [("TestApp".into(), "HelloServer".into(), TARS_VERSION.into())]
        );
        let adapters: Vec<&str> = rec.keep_alives.iter().map(|(_, i)| i.adapter.as_str()).collect();
        assert_eq!(
            &adapters[..5],
            [
                "",
                "TestApp.HelloServer.HelloObjAdapter",
                "AdminAdapter",
                "TestApp.HelloServer.HelloObjAdapter",
                "AdminAdapter"
            ]
        );
        let (_, first) = &rec.keep_alives[0];
        assert_eq!(
            (first.application.as_str(), first.server_name.as_str(), first.pid),
            ("TestApp", "HelloServer", std::process::id() as i32)
        );
        // Rounds come every 100 ms: never two within 60 ms, and four within 1.5 s.
        let rounds: Vec<Instant> = rec
            .keep_alives
            .iter()
            .filter(|(_, i)| i.adapter == "AdminAdapter")
            .map(|(t, _)| *t)
            .collect();
        for pair in rounds.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(60),
                "{:?}",
                pair[1] - pair[0]
            );
        }
        assert!(rounds[3] - started < Duration::from_millis(1500));
    }

    // Admin commands on `local=`.
    let comm = Communicator::new();
    let admin = admin(&comm, &server);
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    hello.test().await.unwrap();
    let run = |c: &'static str| {
        let admin = admin.clone();
        async move { admin.notify(c).await.unwrap() }
    };
    assert_eq!(run("tars.viewversion").await, TARS_VERSION);
    assert_eq!(run("tars.shout hello").await, "HELLO");
    assert_eq!(run("tars.fail").await, "tars.fail failed: it broke");
    assert_eq!(run("tars.bogus 1").await, "tars.bogus 1 not support now!");
    // TarsGo's and TarsCpp's commands with no Rust counterpart say what to use instead.
    assert!(run("tars.pprof").await.contains("perf record"));
    let dump = run("tars.dumpstack").await;
    assert!(
        dump.starts_with("dumpstack: pid ") && dump.contains("worker threads"),
        "{dump}"
    );
    assert_eq!(
        run("tars.setloglevel LOUD").await,
        "tars.setloglevel failed: unknown log level [LOUD]!"
    );
    assert_eq!(
        run("tars.setloglevel").await,
        "tars.setloglevel failed: missing loglevel!"
    );
    let help = run("tars.help").await;
    for c in [
        "tars.connection\r\n",
        "tars.loadconfig\r\n",
        "tars.shout\r\n",
        "tars.viewstatus\r\n",
    ] {
        assert!(help.contains(c), "{help}");
    }
    let conns = run("tars.connection").await;
    assert!(
        conns.contains("[adater:TestApp.HelloServer.HelloObjAdapter] [connections:1]"),
        "{conns}"
    );
    assert!(conns.contains("[adater:AdminAdapter] [connections:1]"), "{conns}");
    let status = run("tars.viewstatus").await;
    assert!(
        status.contains(&format!("{:<29}HelloServer\n", "ServerName")),
        "{status}"
    );
    assert!(status.contains(&format!("{:<29}{OBJ}\n", "servant")), "{status}");
    // tars.loadconfig pulls again: the new version replaces the file, the old one is kept.
    fw.serve_config("HelloServer.conf", false, "<hello>\nx=2\n</hello>\n");
    assert_eq!(
        run("tars.loadconfig HelloServer.conf").await,
        "Getconfig Success!: HelloServer.conf"
    );
    assert!(std::fs::read_to_string(base.join("HelloServer.conf"))
        .unwrap()
        .contains("x=2"));
    assert!(std::fs::read_to_string(base.join("HelloServer.conf.1.bak"))
        .unwrap()
        .contains("x=1"));
    assert_eq!(loaded.lock().unwrap().len(), 3);
    assert!(run("tars.loadconfig missing.conf")
        .await
        .starts_with("Getconfig Error!: missing.conf: tarsconfig refused missing.conf"));
    assert!(run("tars.loadconfig ../../etc/passwd")
        .await
        .starts_with("Getconfig Error!"));

    // The servant's own events, at a level.
    server.platform().notify(NotifyLevel::Warn, "disk almost full");

    // `shutdown()` on the admin port stops the server as SIGTERM does.
    let stopped = tokio::spawn(server.run_until_signal());
    admin.shutdown().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .unwrap()
        .unwrap();
    crate::support::wait_for("the stop event", Duration::from_secs(2), || {
        fw.rec().notifies.last().is_some_and(|n| n.s_message == "stop")
    })
    .await;
    let rec = fw.rec().clone();
    let events: Vec<(&str, ReportType, Notifylevel)> = rec
        .notifies
        .iter()
        .map(|n| (n.s_message.as_str(), n.e_type, n.e_level))
        .collect();
    let report = |m| (m, ReportType::Report, Notifylevel::Notifynormal);
    assert_eq!(
        events,
        [
            report("restart"),
            report("AdminServant::notify:tars.viewversion"),
            report("AdminServant::notify:tars.shout hello"),
            report("AdminServant::notify:tars.fail"),
            report("AdminServant::notify:tars.bogus 1"),
            report("AdminServant::notify:tars.pprof"),
            report("AdminServant::notify:tars.dumpstack"),
            report("AdminServant::notify:tars.setloglevel LOUD"),
            report("AdminServant::notify:tars.setloglevel"),
            report("AdminServant::notify:tars.help"),
            report("AdminServant::notify:tars.connection"),
            report("AdminServant::notify:tars.viewstatus"),
            report("AdminServant::notify:tars.loadconfig HelloServer.conf"),
            report("AdminServant::notify:tars.loadconfig missing.conf"),
            report("AdminServant::notify:tars.loadconfig ../../etc/passwd"),
            ("disk almost full", ReportType::Notify, Notifylevel::Notifywarn),
            report("stop"),
        ]
    );
    let first = &rec.notifies[0];
    assert_eq!(
        (
            first.s_app.as_str(),
            first.s_server.as_str(),
            first.s_node_name.as_str(),
            first.s_set.as_str()
        ),
        ("TestApp", "HelloServer", "127.0.0.1", "")
    );
    fw_server.shutdown().await;
    let _ = std::fs::remove_dir_all(&base);
}

#[tokio::test]
async fn a_zombie_adapter_drops_out_of_the_heartbeat_until_it_recovers() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    // One handler; a request holding it for 1.2 s makes the adapter a zombie after 200 ms.
    let (server, hello) = serve_hello(&fw_server, "zombietimeout=200", "threads=1", SleepyHello).await;
    let beats = |adapter: &str, after: Instant| {
        fw.rec()
            .keep_alives
            .iter()
            .filter(|(t, i)| i.adapter == adapter && *t > after)
            .count()
    };
    let held = tokio::spawn(async move {
        hello
            .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(5)), "sleep 1200")
            .await
    });
    tokio::time::sleep(Duration::from_millis(450)).await;
    let stuck_since = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(beats("TestApp.HelloServer.HelloObjAdapter", stuck_since), 0);
    assert!(beats("AdminAdapter", stuck_since) >= 3);
    held.await.unwrap().unwrap();
    let recovered = Instant::now();
    crate::support::wait_for("the heartbeat to resume", Duration::from_secs(2), || {
        beats("TestApp.HelloServer.HelloObjAdapter", recovered) >= 1
    })
    .await;
    server.shutdown().await;
    fw_server.shutdown().await;
}

#[tokio::test]
async fn dead_framework_services_never_block_start_requests_or_shutdown() {
    // Every framework object on a port nothing listens on.
    let dead = "tcp -h 127.0.0.1 -p 1 -t 3000";
    let config: Config = format!(
        "<tars><application>
<client>
stat=tars.tarsstat.StatObj@{dead}
property=tars.tarsproperty.PropertyObj@{dead}
report-interval=50
</client>
<server>
app=TestApp
server=HelloServer
node=tars.tarsnode.ServerObj@{dead}
notify=tars.tarsnotify.NotifyObj@{dead}
config=tars.tarsconfig.ConfigObj@{dead}
log=tars.tarslog.LogObj@{dead}
mainloopticker=50
statreportinterval=50
propertyreportinterval=50
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>"
    )
    .parse()
    .unwrap();
    let t = Instant::now();
    let server = Application::new(config)
        .servant(OBJ, SleepyHello)
        .remote_config("HelloServer.conf")
        .start()
        .await
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "start took {:?}", t.elapsed());
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    server.platform().notify(NotifyLevel::Error, "nobody hears this");
    let p = server
        .platform()
        .property("p", &[tars::framework::property::Policy::Sum]);
    for _ in 0..20 {
        let t = Instant::now();
        hello.test_hello("x").await.unwrap();
        p.report(1);
        assert!(t.elapsed() < Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let t = Instant::now();
    server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(2), "shutdown took {:?}", t.elapsed());
}

/// The framework calls carry the `node_name` context entry, as TarsGo 1.4.5 sends it: the
/// config's `nodename` (tarsnode writes it), else the local IP.
#[tokio::test]
async fn framework_calls_carry_the_node_name() {
    for (keys, expected) in [("nodename=node-7", "node-7"), ("", "127.0.0.1")] {
        let fw = FrameworkDouble::default();
        let fw_server = fw.start().await;
        let server = Application::new(config(&fw_server, keys, ""))
            .servant(OBJ, SleepyHello)
            .start()
            .await
            .unwrap();
        crate::support::wait_for("two heartbeats", Duration::from_secs(5), || {
            fw.rec().keep_alives.len() >= 2
        })
        .await;
        let seen = fw.rec().node_names.clone();
        for function in ["reportVersion", "keepAlive", "loadConfig", "reportServer"] {
            let calls: Vec<_> = seen.iter().filter(|(f, _)| f == function).collect();
            if function == "loadConfig" || function == "reportServer" {
                // Only what the server was asked to do.
                assert!(
                    calls.iter().all(|(_, n)| n.as_deref() == Some(expected)),
                    "{function}: {calls:?}"
                );
                continue;
            }
            assert!(!calls.is_empty(), "no {function} in {seen:?}");
            assert!(
                calls.iter().all(|(_, n)| n.as_deref() == Some(expected)),
                "{function}: {calls:?}"
            );
        }
        server.shutdown().await;
        fw_server.shutdown().await;
    }
}

/// tarsnode sends SIGKILL `deactivating-timeout` after `AdminF.shutdown` (2000 ms in the
/// standard template): the stop fits in it even with a request that would take longer.
#[tokio::test]
async fn a_stop_fits_in_the_deactivating_timeout() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let keys = "deactivating-timeout=2000\ngracedowntimeout=60000";
    let (server, hello) = serve_hello(&fw_server, keys, "", SleepyHello).await;
    let stuck = tokio::spawn(async move {
        hello
            .test_hello_with(&CallOptions::new().timeout(Duration::from_secs(20)), "sleep 10000")
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.shutdown().await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2000), "the stop took {took:?}");
    assert!(
        took >= Duration::from_millis(1000),
        "the drain waited for the request: {took:?}"
    );
    stuck.abort();
    fw_server.shutdown().await;
}

/// A servant that panics on `testHello("panic …")`.
struct Panicky;

#[tars::servant]
impl crate::support::server::hello::test_app::Hello for Panicky {
    async fn test(&self, _ctx: &tars::Context) -> Result<i32, tars::Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &tars::Context, s_req: String) -> Result<(i32, String), tars::Status> {
        if let Some(what) = s_req.strip_prefix("panic ") {
            panic!("{what}");
        }
        Ok((0, s_req))
    }
}

/// A servant's panic answers -99, the server goes on, and tarsnotify hears of it once per
/// interval with how many there were.
#[tokio::test]
async fn servant_panics_answer_minus_99_and_are_reported_once_per_interval() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let (server, hello) = serve_hello(&fw_server, "statreportinterval=60000", "", Panicky).await;
    for n in 0..3 {
        let e = hello.test_hello(&format!("panic number {n}")).await.unwrap_err();
        assert_eq!(e.code(), -99, "{e}");
    }
    assert_eq!(hello.test_hello("still serving").await.unwrap().1, "still serving");
    crate::support::wait_for("the panic report", Duration::from_secs(5), || {
        fw.rec()
            .notifies
            .iter()
            .any(|n| n.s_message.contains("servant panicked"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let panics: Vec<ReportInfo> = fw
        .rec()
        .notifies
        .iter()
        .filter(|n| n.s_message.contains("servant panicked"))
        .cloned()
        .collect();
    assert_eq!(panics.len(), 1, "once per interval: {panics:?}");
    assert!(
        panics[0]
            .s_message
            .contains(&format!("{OBJ}.testHello: number 0 (1 panic since the last report)")),
        "{}",
        panics[0].s_message
    );
    assert_eq!(panics[0].e_level, Notifylevel::Notifyerror);
    server.shutdown().await;
    fw_server.shutdown().await;
}

/// `Application::exit_on_panic(true)`: the process exits (255) after a servant panics, as
/// TarsGo's CheckPanic does. Run in a child process: this test binary again, running only
/// [`exit_on_panic_child`].
#[cfg(unix)]
#[tokio::test]
async fn exit_on_panic_ends_the_process_with_255() {
    let out = tokio::task::spawn_blocking(|| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "framework::citizen::exit_on_panic_child", "--nocapture"])
            .env("TARS_RS_EXIT_ON_PANIC_CHILD", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(255), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The child of [`exit_on_panic_ends_the_process_with_255`] (does nothing on its own).
#[tokio::test]
async fn exit_on_panic_child() {
    if std::env::var_os("TARS_RS_EXIT_ON_PANIC_CHILD").is_none() {
        return;
    }
    let server = Application::new(
        crate::support::server::config("", "tcp -h 127.0.0.1 -p 0", "")
            .parse()
            .unwrap(),
    )
    .servant(OBJ, Panicky)
    .exit_on_panic(true)
    .start()
    .await
    .unwrap();
    let hello: HelloProxy = Communicator::new()
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    let _ = hello.test_hello("panic on purpose").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    unreachable!("the process should have exited");
}
