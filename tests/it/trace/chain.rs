//! TarsWeb's call chain: within a TARS trace, each hop writes `sr`/`ss` for the request it
//! serves and `cs`/`cr` for the calls it makes to tarslog's `_t_trace_`, in TarsGo's line
//! format. A two-hop chain (caller → Front → Back), against the tarslog double: exact fields.

use std::sync::Arc;
use std::time::Duration;

use crate::support::framework::{obj, FrameworkDouble, LOG_OBJ};
use crate::support::server::hello::test_app::{Hello, HelloProxy};
use crate::support::wait_for;
use tars::client::Communicator;
use tars::context::Current;
use tars::trace::TraceContext;
use tars::Application;
use tars::{Context, Status};

const FRONT: &str = "TestApp.Front.HelloObj";
const BACK: &str = "TestApp.Back.HelloObj";

struct Back;

#[tars::servant]
impl Hello for Back {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s: String) -> Result<(i32, String), Status> {
        Ok((0, format!("back:{s}")))
    }
}

/// Calls Back with what it was given, through the application's communicator.
struct Front(HelloProxy);

#[tars::servant]
impl Hello for Front {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s: String) -> Result<(i32, String), Status> {
        let (_, rsp) = self.0.test_hello(&s).await?;
        Ok((1, rsp))
    }
}

fn config(server: &str, obj_name: &str, log_port: u16) -> String {
    format!(
        "<tars><application><server>
app=TestApp
server={server}
log={}
<TestApp.{server}.HelloObjAdapter>
endpoint=tcp -h 127.0.0.1 -p 0 -t 60000
servant={obj_name}
</TestApp.{server}.HelloObjAdapter>
</server></application></tars>",
        obj(LOG_OBJ, log_port)
    )
}

fn base64_decode(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        acc = (acc << 6) | T.iter().position(|&x| x == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_hop_chain_writes_tarsgo_lines_to_tarslog() {
    let fw = FrameworkDouble::default();
    let fw_server = fw.start().await;
    let log_port = fw_server.local_addr(LOG_OBJ).unwrap().port();

    let back = Application::new(config("Back", BACK, log_port).parse().unwrap())
        .servant(BACK, Back)
        .start()
        .await
        .unwrap();
    let front_app = Application::new(config("Front", FRONT, log_port).parse().unwrap());
    let to_back: HelloProxy = front_app
        .communicator()
        .string_to_proxy(&format!("{BACK}@{}", back.endpoints(BACK)))
        .unwrap();
    let front = front_app.servant(FRONT, Front(to_back)).start().await.unwrap();

    // The caller opens a TARS trace of type f: every event logs its parameters.
    let root = TraceContext::new_root().with_tars_trace(15);
    let trace = root.tars_trace_id.as_deref().unwrap().to_string();
    let to_front: HelloProxy = Communicator::new()
        .string_to_proxy(&format!("{FRONT}@{}", front.endpoints(FRONT)))
        .unwrap();
    let reply = Arc::new(Current::default().trace(root))
        .scope(to_front.test_hello("hi"))
        .await
        .unwrap();
    assert_eq!(reply, (1, "back:hi".to_string()));

    // (server the line came from, its fields after the time), for this trace.
    let lines = || -> Vec<(String, Vec<String>)> {
        fw.rec()
            .logs_by_info
            .iter()
            .filter(|(info, _)| info.s_filename == "_t_trace_")
            .flat_map(|(info, lines)| lines.iter().map(move |l| (info.servername.clone(), l.clone())))
            .filter(|(_, l)| l.contains(&trace))
            .map(|(server, l)| {
                assert!(l.ends_with("|\n"), "tarslog splits at `|\\n`: {l:?}");
                let fields: Vec<String> = l.trim_end_matches('\n').split('|').map(String::from).collect();
                (server, fields[1..].to_vec())
            })
            .collect()
    };
    wait_for("six call-chain lines", Duration::from_secs(10), || lines().len() >= 6).await;
    let lines = lines();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let by = |server: &str, annotation: &str| -> Vec<String> {
        lines
            .iter()
            .find(|(s, f)| s == server && f[3] == annotation)
            .unwrap_or_else(|| panic!("no {annotation} from {server}: {lines:#?}"))
            .1
            .clone()
    };
    let (front_sr, front_ss) = (by("Front", "sr"), by("Front", "ss"));
    let (front_cs, front_cr) = (by("Front", "cs"), by("Front", "cr"));
    let (back_sr, back_ss) = (by("Back", "sr"), by("Back", "ss"));

    // Keys: a server's span is its caller's (`trace|span|*`); a call's is its own, under the
    // request it is made in (`trace|span|parent`).
    let caller_span = &front_sr[1];
    assert_eq!(caller_span.len(), 16);
    for (line, span, parent) in [
        (&front_sr, caller_span, "*"),
        (&front_ss, caller_span, "*"),
        (&front_cs, &front_cs[1], caller_span.as_str()),
        (&front_cr, &front_cs[1], caller_span.as_str()),
        (&back_sr, &front_cs[1], "*"),
        (&back_ss, &front_cs[1], "*"),
    ] {
        assert_eq!(
            (&line[0], &line[1], line[2].as_str()),
            (&trace, span, parent),
            "{line:?}"
        );
    }
    assert_ne!(&front_cs[1], caller_span);
    // client (this module), server (the object), function, then the code.
    for (line, client, server, ret) in [
        (&front_sr, "TestApp.Front", FRONT, "0"),
        (&front_ss, "TestApp.Front", FRONT, "0"),
        (&front_cs, "TestApp.Front", BACK, "0"),
        (&front_cr, "TestApp.Front", BACK, "0"),
        (&back_sr, "TestApp.Back", BACK, "0"),
        (&back_ss, "TestApp.Back", BACK, "0"),
    ] {
        assert_eq!(
            (line[4].as_str(), line[5].as_str(), line[6].as_str(), line[8].as_str()),
            (client, server, "testHello", ret),
            "{line:?}"
        );
        assert!(
            line[7].parse::<u64>().unwrap() > 1_700_000_000_000,
            "a time in ms: {line:?}"
        );
        assert_eq!(line[10], "", "no exception field");
    }
    let time = |l: &[String]| l[7].parse::<u64>().unwrap();
    assert!(time(&front_sr) <= time(&front_cs) && time(&front_cs) <= time(&back_sr));
    assert!(time(&back_ss) <= time(&front_cr) && time(&front_cr) <= time(&front_ss));

    // Parameters: a request's by name (the return value as `tars_ret`), a call's by tag.
    let json = |l: &[String]| -> serde_json::Value { serde_json::from_str(&base64_decode(&l[9])).unwrap() };
    assert_eq!(json(&front_sr), serde_json::json!({"sReq": "hi"}));
    assert_eq!(json(&front_ss), serde_json::json!({"tars_ret": 1, "sRsp": "back:hi"}));
    assert_eq!(json(&back_sr), serde_json::json!({"sReq": "hi"}));
    assert_eq!(json(&back_ss), serde_json::json!({"tars_ret": 0, "sRsp": "back:hi"}));
    assert_eq!(json(&front_cs), serde_json::json!({"1": "hi"}));
    assert_eq!(json(&front_cr), serde_json::json!({"0": 0, "2": "back:hi"}));

    // A trace of type 0 logs the same lines without parameters; a call outside a TARS
    // trace (W3C only) logs none.
    let mut quiet = TraceContext::new_root();
    quiet.formats = tars::trace::Formats::W3C;
    quiet.tars_trace_id = None;
    Arc::new(Current::default().trace(quiet.clone()))
        .scope(to_front.test_hello("untraced"))
        .await
        .unwrap();
    let plain = TraceContext::new_root().with_tars_trace(0);
    let plain_id = plain.tars_trace_id.as_deref().unwrap().to_string();
    Arc::new(Current::default().trace(plain))
        .scope(to_front.test_hello("x"))
        .await
        .unwrap();
    let of = |id: &str| -> Vec<String> {
        fw.rec()
            .logs_by_info
            .iter()
            .flat_map(|(_, lines)| lines.clone())
            .filter(|l| l.contains(id))
            .collect()
    };
    wait_for("the type-0 trace's lines", Duration::from_secs(10), || {
        of(&plain_id).len() >= 6
    })
    .await;
    for line in of(&plain_id) {
        assert_eq!(line.split('|').nth(10), Some(""), "no parameters: {line}");
    }
    assert!(of(&quiet.trace_id.to_string()).is_empty());
    front.shutdown().await;
    back.shutdown().await;
    fw_server.shutdown().await;
}
