//! examples/hello_server started the way tarsnode starts a server: a generated config file
//! naming the registry, node, stat, property, notify, log and config objects (framework
//! objects without endpoints, found through the registry), `local`, `logpath`, `basepath`
//! and `datapath`; then driven through its admin port and stopped by `shutdown()`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::framework::idl::AdminFProxy;
use crate::support::framework::{FrameworkDouble, CONFIG_OBJ, LOG_OBJ, NODE_OBJ, NOTIFY_OBJ, PROPERTY_OBJ, STAT_OBJ};
use crate::support::free_port;
use crate::support::registry::{locator, RegistryDouble};
use crate::support::server::hello::test_app::HelloProxy;
use tars::client::Communicator;
use tars::framework::reporter::TARS_VERSION;

const OBJ: &str = "TestApp.HelloServer.HelloObj";

fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples").join(name)
}

struct KillOnDrop(Option<std::process::Child>);

impl KillOnDrop {
    fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn hello_server_under_a_tarsnode_config_reports_and_obeys_the_admin_port() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let fw_addr = fw_server.local_addr(NODE_OBJ).unwrap();
    // The registry knows where the framework objects are, as tarsregistry does.
    let registry = RegistryDouble::default();
    for o in [STAT_OBJ, PROPERTY_OBJ, NOTIFY_OBJ, LOG_OBJ, CONFIG_OBJ] {
        registry.set(o, &[fw_addr]);
    }
    let registry_server = registry.start().await;
    fw.serve_config("HelloServer.conf", false, "greeting=hi\n");

    let root = std::env::temp_dir().join(format!("tars-rs-tarsnode-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (base, data, logs) = (root.join("bin"), root.join("data"), root.join("log"));
    for d in [&base, &data, &logs] {
        std::fs::create_dir_all(d).unwrap();
    }
    let (port, admin_port) = (free_port(), free_port());
    // What tarsnode writes from the tars.default template.
    let conf = format!(
        "<tars>
  <application>
    enableset=n
    setdivision=NULL
    <client>
      locator={locator}
      sync-invoke-timeout=3000
      async-invoke-timeout=5000
      refresh-endpoint-interval=60000
      stat=tars.tarsstat.StatObj
      property=tars.tarsproperty.PropertyObj
      report-interval=60000
      sample-rate=100000
      max-sample-count=50
      asyncthread=3
      modulename=TestApp.HelloServer
    </client>
    <server>
      app=TestApp
      server=HelloServer
      localip=127.0.0.1
      local=tcp -h 127.0.0.1 -p {admin_port} -t 3000
      basepath={base}/
      datapath={data}/
      logpath={logs}
      logsize=10M
      config=tars.tarsconfig.ConfigObj
      notify=tars.tarsnotify.NotifyObj
      log=tars.tarslog.LogObj
      deactivating-timeout=3000
      logLevel=DEBUG
      node={node}
      mainloopticker=200
      statreportinterval=200
      <TestApp.HelloServer.HelloObjAdapter>
        allow
        endpoint=tcp -h 127.0.0.1 -p {port} -t 60000
        handlegroup=TestApp.HelloServer.HelloObjAdapter
        maxconns=200000
        protocol=tars
        queuecap=10000
        queuetimeout=60000
        servant={OBJ}
        threads=5
      </TestApp.HelloServer.HelloObjAdapter>
    </server>
  </application>
</tars>
",
        locator = locator(&registry_server),
        base = base.display(),
        data = data.display(),
        logs = logs.display(),
        node = crate::support::framework::obj(NODE_OBJ, fw_addr.port()),
    );
    let conf_path = root.join("TestApp.HelloServer.config.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let bin = example("hello_server");
    assert!(bin.exists(), "{} is built by `cargo test`", bin.display());
    let child = Command::new(&bin)
        .arg(format!("--config={}", conf_path.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed if the test fails half-way, so no server outlives it.
    let mut child = KillOnDrop(Some(child));

    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {port} -t 60000"))
        .unwrap();
    let started = Instant::now();
    loop {
        match hello.test_hello("ping").await {
            Ok(_) => break,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("hello_server did not start: {e}"),
        }
    }
    for _ in 0..4 {
        hello.test_hello("x").await.unwrap();
    }

    let admin: AdminFProxy = comm
        .string_to_proxy(&format!("AdminObj@tcp -h 127.0.0.1 -p {admin_port} -t 3000"))
        .unwrap();
    assert_eq!(admin.notify("tars.viewversion").await.unwrap(), TARS_VERSION);
    assert_eq!(
        admin.notify("tars.setloglevel ERROR").await.unwrap(),
        "tars.setloglevel ERROR succ"
    );
    assert_eq!(
        admin.notify("tars.loadconfig HelloServer.conf").await.unwrap(),
        "Getconfig Success!: HelloServer.conf"
    );
    assert_eq!(
        std::fs::read_to_string(base.join("HelloServer.conf")).unwrap(),
        "greeting=hi\n"
    );
    let status = admin.notify("tars.viewstatus").await.unwrap();
    assert!(status.contains(&format!("{:<29}ERROR\n", "LogLevel")), "{status}");
    assert_eq!(admin.get_pid().await.unwrap(), i64::from(child.id()));
    let mut child = child.0.take().unwrap();

    // Served requests reach tarsstat (found through the registry) within a report interval.
    crate::support::wait_for("the server's stat", Duration::from_secs(10), || {
        fw.rec()
            .stats
            .iter()
            .filter(|(from_client, _)| !from_client)
            .flat_map(|(_, m)| m.iter())
            .filter(|(h, _)| h.master_name == "stat_from_server" && h.slave_name == "TestApp.HelloServer")
            .map(|(_, b)| b.count)
            .sum::<i32>()
            >= 5
    })
    .await;
    crate::support::wait_for("heartbeats for both adapters", Duration::from_secs(10), || {
        let rec = fw.rec();
        let n = |a: &str| rec.keep_alives.iter().filter(|(_, i)| i.adapter == a).count();
        n("TestApp.HelloServer.HelloObjAdapter") >= 2 && n("AdminAdapter") >= 2
    })
    .await;

    admin.shutdown().await.unwrap();
    let code = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || child.wait().unwrap()),
    )
    .await
    .expect("the server stops after shutdown()")
    .unwrap();
    assert!(code.success(), "exit status {code}");

    let rec = fw.rec().clone();
    let events: Vec<&str> = rec.notifies.iter().map(|n| n.s_message.as_str()).collect();
    assert_eq!(
        events,
        [
            "restart",
            "AdminServant::notify:tars.viewversion",
            "AdminServant::notify:tars.setloglevel ERROR",
            "AdminServant::notify:tars.loadconfig HelloServer.conf",
            "AdminServant::notify:tars.viewstatus",
            "stop"
        ]
    );
    let pid_seen = rec
        .keep_alives
        .iter()
        .all(|(_, i)| i.pid > 0 && i.application == "TestApp");
    assert!(pid_seen);
    assert_eq!(rec.versions.len(), 1);
    // The log, at logLevel=DEBUG until the admin raised it to ERROR.
    let log = std::fs::read_to_string(logs.join("TestApp/HelloServer/TestApp.HelloServer.log")).unwrap();
    assert!(log.contains("|INFO|adapter listening"), "{log}");
    registry_server.shutdown().await;
    fw_server.shutdown().await;
    let _ = std::fs::remove_dir_all(root);
}
