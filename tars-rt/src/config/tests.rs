use std::time::Duration;

use super::*;

const SAMPLE: &str = r#"
<tars>
  <application>
    enableset=Y
    setdivision=gz.a.1
    # the server part
    <server>
      app=TestApp
      server=HelloServer
      local=tcp -h 127.0.0.1 -p 19385 -t 10000
      node=tars.tarsnode.ServerObj@tcp -h 127.0.0.1 -p 19386 -t 60000
      logpath=/usr/local/app/tars/app_log
      logsize=10M
      lognum=10
      logLevel=INFO
      maxPackageLength=2097152
      gracedowntimeout=5000
      my-own-key=kept = for the app
      <TestApp.HelloServer.HelloObjAdapter>
        endpoint=tcp -h 127.0.0.1 -p 10015 -t 60000
        servant=TestApp.HelloServer.HelloObj
        allow=127.0.0.1;10.0.*
        maxconns=200
        protocol=tars
        queuecap=10000
        queuetimeout=60000
        threads=5
        shmkey=0
      </TestApp.HelloServer.HelloObjAdapter>
    </server>
    <client>
      locator=tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890
      async-invoke-timeout=5000
      refresh-endpoint-interval=60000
      stat=tars.tarsstat.StatObj
      modulename=TestApp.HelloServer
      <TestApp.Other.Obj>
        timeout=100
      </TestApp.Other.Obj>
    </client>
  </application>
</tars>
"#;

#[test]
fn parses_a_tarsnode_config() {
    let c: Config = SAMPLE.parse().unwrap();
    assert!(c.enable_set);
    assert_eq!(c.set().map(ToString::to_string).as_deref(), Some("gz.a.1"));
    let s = c.server.unwrap();
    assert_eq!((s.app.as_str(), s.server.as_str()), ("TestApp", "HelloServer"));
    assert_eq!(s.local.unwrap().port, 19385);
    assert_eq!(s.log_size, 10 << 20);
    assert_eq!(s.log_level, LogLevel::Info);
    assert!(s.log_trace_ids, "logtraceid defaults to Y");
    assert_eq!(s.max_package_length, 2 << 20);
    assert_eq!(s.grace_down_timeout, Duration::from_secs(5));
    assert_eq!(
        s.extra.get("my-own-key").map(String::as_str),
        Some("kept = for the app")
    );
    let a = &s.adapters[0];
    assert_eq!(a.name, "TestApp.HelloServer.HelloObjAdapter");
    assert_eq!(a.servant, "TestApp.HelloServer.HelloObj");
    assert_eq!((a.endpoint.port, a.endpoint.timeout_ms), (10015, 60000));
    assert_eq!(a.allow, ["127.0.0.1", "10.0.*"]);
    assert_eq!((a.max_conns, a.threads, a.queue_cap), (200, 5, 10000));
    assert_eq!(a.extra.get("shmkey").map(String::as_str), Some("0"));
    assert_eq!(c.client.async_invoke_timeout, Duration::from_secs(5));
    assert_eq!(
        c.client.objects["TestApp.Other.Obj"].timeout,
        Some(Duration::from_millis(100))
    );
    assert_eq!(c.client.module_name.as_deref(), Some("TestApp.HelloServer"));
}

#[test]
fn logtraceid_turns_trace_ids_in_log_lines_off() {
    let c: Config = SAMPLE.replace("logLevel=", "logtraceid=N\nlogLevel=").parse().unwrap();
    let s = c.server.unwrap();
    assert!(!s.log_trace_ids);
    assert!(s.unsupported_keys().all(|k| k.key != "logtraceid"));
}

#[test]
fn errors_name_the_line() {
    let bad = SAMPLE.replace("threads=5", "threads=five");
    let e = bad.parse::<Config>().unwrap_err().to_string();
    assert_eq!(e, "line 27: invalid threads=five: not a non-negative integer");
    let bad = SAMPLE.replace(
        "endpoint=tcp -h 127.0.0.1 -p 10015 -t 60000",
        "endpoint=tcp -h 127.0.0.1 -p 70000",
    );
    let e = bad.parse::<Config>().unwrap_err().to_string();
    assert_eq!(
        e,
        "line 20: invalid endpoint=tcp -h 127.0.0.1 -p 70000: port '70000' is not in 0..=65535"
    );
    let bad = SAMPLE.replace("</client>", "</clint>");
    let e = bad.parse::<Config>().unwrap_err().to_string();
    assert_eq!(
        e,
        "config syntax error at line 40: '</clint>' does not close '<client>' (opened on line 31)"
    );
    let e = "<tars>\n<application>\n".parse::<Config>().unwrap_err().to_string();
    assert_eq!(e, "config syntax error at line 2: '<application>' is never closed");
}

#[test]
fn embedded_default_parses() {
    let c: Config = EMBEDDED_DEFAULT.parse().unwrap();
    assert_eq!(c.server.unwrap().server, "HelloServer");
}

#[test]
fn round_trips_through_display() {
    let tree = Domain::parse(SAMPLE).unwrap();
    assert_eq!(Domain::parse(&tree.to_string()).unwrap().to_string(), tree.to_string());
}

#[test]
fn typed_values_are_checked_at_load() {
    let bad = SAMPLE.replace("logLevel=INFO", "logLevel=LOUD");
    let e = bad.parse::<Config>().unwrap_err().to_string();
    assert_eq!(
        e,
        "line 15: invalid logLevel=LOUD: unknown log level [LOUD] (expected TARS, DEBUG, INFO, WARN, ERROR or NONE)"
    );
    let bad = SAMPLE.replace("setdivision=gz.a.1", "setdivision=gz");
    let e = bad.parse::<Config>().unwrap_err().to_string();
    assert!(
        e.starts_with("line 5: invalid setdivision=gz: 'gz' is not a set division"),
        "{e}"
    );
    // tarsnode writes NULL when set division is off.
    let off = SAMPLE
        .replace("enableset=Y", "enableset=N")
        .replace("setdivision=gz.a.1", "setdivision=NULL");
    let c: Config = off.parse().unwrap();
    assert!(c.set().is_none());
    let named = SAMPLE.replace("protocol=tars", "protocol=not_tars");
    let c: Config = named.parse().unwrap();
    assert_eq!(
        c.server.unwrap().adapters[0].protocol,
        AdapterProtocol::Named("not_tars".into())
    );
}

#[test]
fn tars_keys_that_do_nothing_here_are_reported_with_their_line() {
    let text = SAMPLE
        .replace(
            "gracedowntimeout=5000",
            "gracedowntimeout=5000\n      netthread=2\n      activating-timeout=60000",
        )
        .replace("threads=5", "threads=5\n        handlegroup=G\n        ciphers=AES")
        .replace(
            "modulename=TestApp.HelloServer",
            "modulename=TestApp.HelloServer\n      sync-invoke-timeout=3000",
        )
        .replace("timeout=100", "timeout=100\n        ca=ca.pem");
    let c: Config = text.parse().unwrap();
    let reported: Vec<String> = c
        .unsupported()
        .iter()
        .map(|k| format!("{}:{}:{}", k.line, k.section, k.key))
        .collect();
    assert_eq!(
        reported,
        [
            "18:server:netthread",
            "30:TestApp.HelloServer.HelloObjAdapter:handlegroup",
            "31:TestApp.HelloServer.HelloObjAdapter:ciphers",
            "41:client:sync-invoke-timeout",
            "44:TestApp.Other.Obj:ca",
        ]
    );
    let first = c.unsupported()[0].to_string();
    assert_eq!(
        first,
        "line 18: <server> netthread has no effect here: the tokio runtime's worker threads do the network work"
    );
    // tarsnode's own keys are neither reported nor the application's.
    let server = c.server.unwrap();
    assert!(!server.extra.contains_key("activating-timeout"));
    assert!(server.extra.contains_key("my-own-key"));
}

#[test]
fn adapters_take_the_server_level_queuecap_and_maxroutine() {
    let text = SAMPLE
        .replace(
            "gracedowntimeout=5000",
            "gracedowntimeout=5000\n      queuecap=77\n      maxroutine=9",
        )
        .replace("        queuecap=10000\n", "")
        .replace("        threads=5\n", "");
    let c: Config = text.parse().unwrap();
    let a = &c.server.unwrap().adapters[0];
    assert_eq!((a.queue_cap, a.threads), (77, 9));
}

#[test]
fn an_object_names_its_protocol() {
    let with = |value: &str| SAMPLE.replace("timeout=100", &format!("timeout=100\n        protocol={value}"));
    for (value, protocol) in [
        ("tars", crate::protocol::Encoding::Tars),
        ("tup", crate::protocol::Encoding::TupV3),
        ("tup2", crate::protocol::Encoding::TupV2),
        ("JSON", crate::protocol::Encoding::Json),
    ] {
        let c: Config = with(value).parse().unwrap();
        let object = &c.client.objects["TestApp.Other.Obj"];
        assert_eq!(object.protocol, Some(protocol));
        assert!(!object.extra.contains_key("protocol"));
    }
    let c: Config = SAMPLE.parse().unwrap();
    assert_eq!(c.client.objects["TestApp.Other.Obj"].protocol, None);
    let e = with("http").parse::<Config>().unwrap_err().to_string();
    assert_eq!(
        e,
        "line 39: invalid protocol=http: unknown protocol [http] (expected tars, tup, tup2 or json)"
    );
}

#[test]
fn client_trace_keys_are_read() {
    use crate::trace::Formats;
    let with = |lines: &str| {
        SAMPLE.replace(
            "modulename=TestApp.HelloServer",
            &format!("modulename=TestApp.HelloServer\n      {lines}"),
        )
    };
    let c: Config = with("trace-formats=b3, W3C\n      trace_param_max_len=4")
        .parse()
        .unwrap();
    assert_eq!(c.client.trace_formats, Some(Formats::B3.with(Formats::W3C)));
    assert_eq!(c.client.trace_param_max_len, Some(4));
    assert!(c.client.unsupported.iter().all(|k| k.key != "trace_param_max_len"));
    let c: Config = SAMPLE.parse().unwrap();
    assert_eq!((c.client.trace_formats, c.client.trace_param_max_len), (None, None));
    let e = with("trace-formats=w3c,sw8").parse::<Config>().unwrap_err().to_string();
    assert!(
        e.starts_with("line 37: invalid trace-formats=w3c,sw8: 'sw8' is not a trace format"),
        "{e}"
    );
}
