//! Stat and property reporting, against tarsstat and tarsproperty doubles built from the
//! framework IDLs: every head and body field for a known mix of calls, both directions.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::framework::idl::{StatMicMsgBody, StatMicMsgHead, StatPropInfo};
use crate::support::framework::{obj, FrameworkDouble, PROPERTY_OBJ, STAT_OBJ};
use crate::support::server::{hello::test_app::HelloProxy, SleepyHello, OBJ};
use tars::client::{CallOptions, Communicator};
use tars::config::{ClientConfig, Config};
use tars::framework::property::Policy;
use tars::framework::reporter::{Identity, TARS_VERSION};
use tars::framework::FrameworkClient;
use tars::Application;

/// Waits until `done` holds on what the doubles recorded.
async fn wait_for(fw: &FrameworkDouble, what: &str, done: impl Fn(&crate::support::framework::Recorded) -> bool) {
    crate::support::wait_for(what, Duration::from_secs(10), || done(&fw.rec())).await;
}

/// Every report of one direction, merged by head (calls may span two intervals).
fn merged(fw: &FrameworkDouble, from_client: bool) -> BTreeMap<StatMicMsgHead, StatMicMsgBody> {
    let mut all: BTreeMap<StatMicMsgHead, StatMicMsgBody> = BTreeMap::new();
    for (dir, map) in &fw.rec().stats {
        if *dir != from_client {
            continue;
        }
        for (h, b) in map {
            let e = all.entry(h.clone()).or_insert_with(|| StatMicMsgBody {
                min_rsp_time: b.min_rsp_time,
                ..Default::default()
            });
            e.count += b.count;
            e.timeout_count += b.timeout_count;
            e.exec_count += b.exec_count;
            e.total_rsp_time += b.total_rsp_time;
            e.max_rsp_time = e.max_rsp_time.max(b.max_rsp_time);
            e.min_rsp_time = e.min_rsp_time.min(b.min_rsp_time);
            for (k, v) in &b.interval_count {
                *e.interval_count.entry(*k).or_default() += v;
            }
        }
    }
    all
}

fn calls(b: &StatMicMsgBody) -> i32 {
    b.count + b.timeout_count + b.exec_count
}

#[tokio::test]
async fn stat_reports_every_head_and_body_field_for_a_known_call_mix() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let stat = obj(STAT_OBJ, fw_server.local_addr(STAT_OBJ).unwrap().port());

    let config: Config = format!(
        "<tars><application>
<client>
stat={stat}
</client>
<server>
app=TestApp
server=HelloServer
localip=127.0.0.1
statreportinterval=150
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>"
    )
    .parse()
    .unwrap();
    let server = Application::new(config)
        .servant(OBJ, SleepyHello)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(OBJ).unwrap().port();

    let mut client_config = ClientConfig::default();
    client_config.stat = Some(stat.clone());
    client_config.module_name = Some("TestApp.Caller".into());
    client_config.report_interval = Duration::from_millis(150);
    let mut identity = Identity::from_client_config(&client_config);
    identity.local_ip = "127.0.0.9".into();
    let comm = FrameworkClient::builder(client_config).identity(identity).build();
    let comm = comm.communicator();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@tcp -h 127.0.0.1 -p {port} -t 60000"))
        .unwrap();
    for _ in 0..3 {
        hello.test_hello("hi").await.unwrap();
    }
    // The servant fails this one with code 1.
    let err = hello.test_hello("sleep x").await.unwrap_err();
    assert_eq!(err.code().value(), 1);
    // And this one times out at the client (the server still answers it, later).
    let slow = hello
        .test_hello_with(&CallOptions::new().timeout(Duration::from_millis(100)), "sleep 300")
        .await
        .unwrap_err();
    assert_eq!(slow.code().value(), -7);

    wait_for(&fw, "five calls from the client and five served", |r| {
        let n = |dir: bool| -> i32 {
            r.stats
                .iter()
                .filter(|(d, _)| *d == dir)
                .flat_map(|(_, m)| m.values())
                .map(calls)
                .sum()
        };
        n(true) == 5 && n(false) == 5
    })
    .await;

    // The client's calls: TarsGo's heads, `returnValue` the reply's iRet (0 for a timeout).
    let client = merged(&fw, true);
    let head = |ret: i32| StatMicMsgHead {
        master_name: "TestApp.Caller".into(),
        slave_name: "TestApp.HelloServer".into(),
        interface_name: "testHello".into(),
        master_ip: "127.0.0.9".into(),
        slave_ip: "127.0.0.1".into(),
        slave_port: i32::from(port),
        return_value: ret,
        slave_set_name: String::new(),
        slave_set_area: String::new(),
        slave_set_id: String::new(),
        tars_version: TARS_VERSION.into(),
    };
    assert_eq!(client.keys().cloned().collect::<Vec<_>>(), vec![head(0), head(1)]);
    let ok = &client[&head(0)];
    assert_eq!((ok.count, ok.timeout_count, ok.exec_count), (3, 1, 0));
    let failed = &client[&head(1)];
    assert_eq!((failed.count, failed.timeout_count, failed.exec_count), (0, 0, 1));
    // The timeout's ~100 ms are counted too: in bucket 200 (the first point above it).
    assert!(ok.max_rsp_time >= 100 && ok.max_rsp_time < 200, "{ok:?}");
    assert!(ok.total_rsp_time >= 100 && ok.min_rsp_time < 100, "{ok:?}");
    assert_eq!(
        ok.interval_count.keys().copied().collect::<Vec<_>>(),
        vec![5, 10, 50, 100, 200, 500, 1000, 2000, 3000]
    );
    assert_eq!(ok.interval_count[&200], 1, "{ok:?}");
    assert_eq!(ok.interval_count.values().sum::<i32>(), 4);

    // What the server served: `stat_from_server`, its own name and IP, port 0, the code.
    let served = merged(&fw, false);
    let shead = |ret: i32| StatMicMsgHead {
        master_name: "stat_from_server".into(),
        slave_name: "TestApp.HelloServer".into(),
        interface_name: "testHello".into(),
        master_ip: String::new(),
        slave_ip: "127.0.0.1".into(),
        slave_port: 0,
        return_value: ret,
        tars_version: TARS_VERSION.into(),
        ..head(0)
    };
    assert_eq!(served.keys().cloned().collect::<Vec<_>>(), vec![shead(0), shead(1)]);
    let ok = &served[&shead(0)];
    assert_eq!((ok.count, ok.timeout_count, ok.exec_count), (4, 0, 0));
    assert!(ok.max_rsp_time >= 300, "the slow request ran 300 ms: {ok:?}");
    assert_eq!(ok.interval_count[&500], 1, "{ok:?}");
    assert_eq!(served[&shead(1)].exec_count, 1);
    // Reporting calls are not reported themselves.
    assert!(client
        .keys()
        .chain(served.keys())
        .all(|h| h.slave_name != "tars.tarsstat"));
    server.shutdown().await;
    fw_server.shutdown().await;
}

#[tokio::test]
async fn properties_report_each_policy_as_tarsgo_computes_it() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let property = obj(PROPERTY_OBJ, fw_server.local_addr(PROPERTY_OBJ).unwrap().port());
    let mut client_config = ClientConfig::default();
    client_config.property = Some(property);
    client_config.module_name = Some("TestApp.Props".into());
    client_config.report_interval = Duration::from_millis(100);
    let mut identity = Identity::from_client_config(&client_config);
    identity.local_ip = "10.1.2.3".into();
    let comm = FrameworkClient::builder(client_config).identity(identity).build();
    let all = comm.property(
        "latency",
        &[
            Policy::Sum,
            Policy::Avg,
            Policy::Distr(vec![50, 0, 10]),
            Policy::Max,
            Policy::Min,
            Policy::Count,
        ],
    );
    let idle = comm.property("idle", &[Policy::Max]);
    for v in [0, 3, 10, 7, 100] {
        all.report(v);
    }
    let _ = idle;
    wait_for(&fw, "the property report", |r| !r.properties.is_empty()).await;
    let report = fw.rec().properties[0].clone();
    assert_eq!(report.len(), 1, "a property with no value in the interval is not sent");
    let (head, body) = report.into_iter().next().unwrap();
    assert_eq!(
        (
            head.module_name.as_str(),
            head.ip.as_str(),
            head.property_name.as_str(),
            head.i_property_ver
        ),
        ("TestApp.Props", "10.1.2.3", "latency", 2)
    );
    let info = |p: &str, v: &str| StatPropInfo {
        policy: p.into(),
        value: v.into(),
    };
    assert_eq!(
        body.v_info,
        vec![
            info("Sum", "120"),
            info("Avg", "24"),
            // 0 → 0; 3, 10, 7 → 10; 100 → above every bound, the last.
            info("Distr", "0|1,10|3,50|1"),
            info("Max", "100"),
            // The smallest non-zero value.
            info("Min", "3"),
            info("Count", "5"),
        ]
    );
    fw_server.shutdown().await;
}

#[tokio::test]
async fn a_server_reports_its_adapters_built_in_properties() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let property = obj(PROPERTY_OBJ, fw_server.local_addr(PROPERTY_OBJ).unwrap().port());
    let config: Config = format!(
        "<tars><application>
<client>
property={property}
</client>
<server>
app=TestApp
server=HelloServer
localip=127.0.0.1
propertyreportinterval=300
<TestApp.HelloServer.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={OBJ}
threads=1
queuetimeout=100
maxconns=10
</TestApp.HelloServer.HelloObjAdapter>
</server></application></tars>"
    )
    .parse()
    .unwrap();
    let server = Application::new(config)
        .servant(OBJ, SleepyHello)
        .start()
        .await
        .unwrap();
    let comm = Communicator::new();
    let hello: HelloProxy = comm
        .string_to_proxy(&format!("{OBJ}@{}", server.endpoint(OBJ).unwrap()))
        .unwrap();
    // The only handler runs 250 ms; a second request waits past queuetimeout (-6).
    let (slow, late) = tokio::join!(hello.test_hello("sleep 250"), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        hello.test_hello("late").await
    });
    slow.unwrap();
    assert_eq!(late.unwrap_err().code().value(), -6);
    wait_for(&fw, "the adapter's properties", |r| {
        r.properties
            .iter()
            .flat_map(|m| m.keys())
            .any(|h| h.property_name.ends_with(".timeoutNum"))
    })
    .await;
    let values: BTreeMap<String, Vec<StatPropInfo>> = fw
        .rec()
        .properties
        .iter()
        .flat_map(|m| m.iter())
        .map(|(h, b)| (h.property_name.clone(), b.v_info.clone()))
        .collect();
    let a = "TestApp.HelloServer.HelloObjAdapter";
    let get = |suffix: &str, policy: &str| -> String {
        values[&format!("{a}.{suffix}")]
            .iter()
            .find(|i| i.policy == policy)
            .map(|i| i.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("timeoutNum", "Sum"), "1");
    // One connection of maxconns=10.
    assert_eq!(get("connectRate", "Avg"), "10");
    let handle_max: i64 = get("handleTime", "Max").parse().unwrap();
    assert!((250..1000).contains(&handle_max), "{values:?}");
    let wait_max: i64 = get("queueTime", "Max").parse().unwrap();
    assert!((100..250).contains(&wait_max), "{values:?}");
    // Requests ahead on arrival: none for the first, one for the second.
    assert_eq!(get("queue", "Avg"), "0.5");
    server.shutdown().await;
    fw_server.shutdown().await;
}

#[tokio::test]
async fn work_outside_proxies_is_reported_by_hand() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let stat = obj(STAT_OBJ, fw_server.local_addr(STAT_OBJ).unwrap().port());
    let mut config = ClientConfig::default();
    config.stat = Some(stat);
    config.module_name = Some("TestApp.Batch".into());
    config.report_interval = Duration::from_millis(100);
    let comm = FrameworkClient::from_config(&config);
    let reporter = comm.reporter().unwrap();
    let point = tars::framework::stat::StatPoint::new("mysql.orders", "insert")
        .master("TestApp.Batch", "10.0.0.1")
        .slave_address("10.0.0.2", 3306);
    reporter.report_stat(
        point,
        tars::framework::stat::Outcome::Success,
        Duration::from_millis(42),
    );
    reporter.report_stat(
        point,
        tars::framework::stat::Outcome::Timeout,
        Duration::from_millis(3500),
    );
    wait_for(&fw, "the manual report", |r| !r.stats.is_empty()).await;
    let (from_client, map) = fw.rec().stats[0].clone();
    assert!(from_client);
    let (head, body) = map.into_iter().next().unwrap();
    assert_eq!(
        (head.slave_name.as_str(), head.interface_name.as_str(), head.slave_port),
        ("mysql.orders", "insert", 3306)
    );
    assert_eq!(
        (body.count, body.timeout_count, body.total_rsp_time, body.max_rsp_time),
        (1, 1, 3542, 3500)
    );
    // 42 ms in bucket 50; 3500 ms in none.
    assert_eq!(body.interval_count.values().sum::<i32>(), 1);
    assert_eq!(body.interval_count[&50], 1);
    fw_server.shutdown().await;
}

/// An HTTP object under the framework: stat heads as TarsGo's `TarsHttpMux` reports them (the
/// route pattern as the interface, the client's address behind proxies, exceptions from 400
/// on), the HTTP adapter in the tarsnode heartbeat and in `tars.connection`.
#[cfg(feature = "http")]
#[tokio::test]
async fn an_http_object_is_counted_heartbeated_and_listed_like_a_tars_one() {
    use crate::support::framework::NODE_OBJ;
    use crate::support::http::Conn;
    use crate::support::http::{config, start, HTTP_OBJ};

    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let port_of = |o: &str| fw_server.local_addr(o).unwrap().port();
    let stat = obj(STAT_OBJ, port_of(STAT_OBJ));
    let node = obj(NODE_OBJ, port_of(NODE_OBJ));
    let cfg = config(
        &format!("statreportinterval=150\nnode={node}\nmainloopticker=100\nlocal=tcp -h 127.0.0.1 -p 0 -t 3000"),
        "tcp -h 127.0.0.1 -p 0 -t 60000",
        "",
    )
    .replace(
        "<tars><application>",
        &format!("<tars><application><client>\nstat={stat}\n</client>"),
    );
    let (server, addr) = start(&cfg).await.unwrap();
    let mut c = Conn::h1(addr).await;
    for path in ["/hello/a", "/hello/b", "/hello/c", "/fail", "/nowhere"] {
        c.get(path).await;
    }
    c.send("GET", "/hello/d", &[("x-forwarded-for", "1.2.3.4, 10.0.0.1")], "")
        .await;
    wait_for(&fw, "six HTTP requests counted", |r| {
        r.stats
            .iter()
            .filter(|(from_client, _)| !from_client)
            .flat_map(|(_, m)| m.iter())
            .filter(|(h, _)| h.master_name == "http_client")
            .map(|(_, b)| calls(b))
            .sum::<i32>()
            == 6
    })
    .await;
    let head = |route: &str, client: &str| StatMicMsgHead {
        master_name: "http_client".into(),
        slave_name: "TestApp.HelloServer".into(),
        interface_name: route.into(),
        master_ip: client.into(),
        slave_ip: "127.0.0.1".into(),
        slave_port: i32::from(addr.port()),
        return_value: 0,
        slave_set_name: String::new(),
        slave_set_area: String::new(),
        slave_set_id: String::new(),
        tars_version: TARS_VERSION.into(),
    };
    let served = merged(&fw, false);
    let http: BTreeMap<_, _> = served
        .into_iter()
        .filter(|(h, _)| h.master_name == "http_client")
        .collect();
    let expected = [
        (head("(unmatched)", "127.0.0.1"), (0, 1)),
        (head("/fail", "127.0.0.1"), (0, 1)),
        (head("/hello/{name}", "1.2.3.4"), (1, 0)),
        (head("/hello/{name}", "127.0.0.1"), (3, 0)),
    ];
    let got: Vec<_> = http.iter().map(|(h, b)| (h.clone(), (b.count, b.exec_count))).collect();
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(got, expected);
    assert!(http.values().all(|b| b.timeout_count == 0));

    wait_for(&fw, "the HTTP adapter's heartbeat", |r| {
        r.keep_alives
            .iter()
            .any(|(_, i)| i.adapter == "TestApp.HelloServer.HttpObjAdapter")
    })
    .await;
    let comm = tars::client::Communicator::new();
    let admin: crate::support::framework::idl::AdminFProxy = comm
        .string_to_proxy(&format!(
            "{0}@{1}",
            tars::framework::admin::ADMIN_OBJ,
            server.endpoint(tars::framework::admin::ADMIN_OBJ).unwrap()
        ))
        .unwrap();
    let conns = admin.notify("tars.connection").await.unwrap();
    assert!(
        conns.contains("[adater:TestApp.HelloServer.HttpObjAdapter] [connections:1]"),
        "{conns}"
    );
    assert!(admin.notify("tars.viewstatus").await.unwrap().contains(HTTP_OBJ));
    server.shutdown().await;
    fw_server.shutdown().await;
}
