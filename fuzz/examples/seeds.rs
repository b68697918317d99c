//! Writes the seed corpora `corpus/<target>/seed-*` from real packets, structs, configs and
//! IDL files: `cargo run --example seeds` (in `fuzz/`). Files not named `seed-*` (inputs the
//! fuzzer found and we kept) are left alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes, BytesMut};
use tars::codec::{self, BinaryString, TarsEncode, UByte};
use tars::protocol::tup::{UniAttribute, Version};
use tars::protocol::{RequestPacket, ResponsePacket};
use tars::transport::frame::encode_frame;
use tars_fuzz::rich::common::Point;
use tars_fuzz::rich::other::UsesRich;
use tars_fuzz::rich::rich::{Color, Everything};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Replaces `corpus/<target>/seed-*` with `seeds`.
fn write(target: &str, seeds: Vec<(&str, Vec<u8>)>) {
    let dir = root().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("seed-") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let count = seeds.len();
    for (name, bytes) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
    println!("corpus/{target}: {count} seeds");
}

fn framed(packets: &[Bytes]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for p in packets {
        encode_frame(&mut out, |b| b.put_slice(p));
    }
    out.to_vec()
}

fn tars_args(f: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::new();
    f(&mut b);
    b.freeze()
}

fn tup_body(version: Version) -> Bytes {
    let mut a = UniAttribute::new(version);
    a.put("s", "string", &"hello".to_string());
    a.put("i", "int32", &7i32);
    a.put("u", "Other.UsesRich", &sample_uses_rich());
    a.encode()
}

fn sample_everything() -> Everything {
    Everything {
        b: true,
        i32v: 42,
        u16v: 65535,
        d: 2.5,
        s: "text".into(),
        blob: Bytes::from_static(&[0, 1, 0xff]),
        ublob: vec![UByte(1), UByte(255)],
        ints: vec![-1, 0, 1 << 20],
        strs: vec!["a".into(), String::new()],
        counts: BTreeMap::from([("x".into(), 1), ("y".into(), -2)]),
        nested: BTreeMap::from([(3, vec![Point { x: 1, y: 2 }])]),
        color: Color::Red,
        color2: Color::from_value(7),
        origin: Point { x: -5, y: 9 },
        labels: BTreeMap::from([(Point { x: 0, y: 1 }, "p".into())]),
        deep: vec![BTreeMap::from([("k".into(), vec![1, 2])])],
        ..Everything::default()
    }
}

fn sample_uses_rich() -> UsesRich {
    UsesRich {
        e: sample_everything(),
        colors: vec![Color::Green, Color::Blue, Color::from_value(-1)],
    }
}

fn request(version: i16, body: Bytes) -> Bytes {
    codec::to_bytes(&RequestPacket {
        i_version: version,
        i_request_id: 1,
        s_servant_name: "TestApp.HelloServer.HelloObj".into(),
        s_func_name: "hello".into(),
        s_buffer: body,
        i_timeout: 3000,
        context: BTreeMap::from([("k".into(), "v".into())]),
        ..RequestPacket::default()
    })
}

fn requests() -> Vec<(&'static str, Vec<u8>)> {
    let tars_body = tars_args(|b| {
        1i32.encode(1, b);
        "world".encode(2, b);
    });
    let ping = codec::to_bytes(&RequestPacket {
        i_version: 1,
        i_request_id: 0,
        s_servant_name: "TestApp.HelloServer.HelloObj".into(),
        s_func_name: "tars_ping".into(),
        ..RequestPacket::default()
    });
    let oneway = codec::to_bytes(&RequestPacket {
        i_version: 1,
        c_packet_type: 1,
        i_message_type: 0x20,
        i_request_id: 7,
        s_servant_name: "A.B.C".into(),
        s_func_name: "f".into(),
        status: BTreeMap::from([("STATUS_DYED_KEY".into(), "abc".into())]),
        ..RequestPacket::default()
    });
    let tars = request(1, tars_body);
    let tup2 = request(2, tup_body(Version::V2));
    let tup3 = request(3, tup_body(Version::V3));
    let json = request(5, Bytes::from_static(br#"{"s":"hello","i":7}"#));
    let whole = framed(std::slice::from_ref(&tars));
    vec![
        ("tars", whole.clone()),
        ("ping", framed(&[ping])),
        ("oneway", framed(&[oneway])),
        ("tup2", framed(&[tup2])),
        ("tup3", framed(&[tup3])),
        ("json", framed(&[json])),
        ("pipelined", framed(&[tars.clone(), tars.clone(), tars.clone()])),
        ("truncated", whole[..whole.len() - 3].to_vec()),
        ("empty-frame", framed(&[Bytes::new()])),
        ("bad-length", vec![0, 0, 0, 2, 1, 2]),
    ]
}

fn responses() -> Vec<(&'static str, Vec<u8>)> {
    let ok = codec::to_bytes(&ResponsePacket {
        i_version: 1,
        i_request_id: 1,
        s_buffer: tars_args(|b| {
            0i32.encode(0, b);
            "hi".encode(2, b);
        }),
        context: BTreeMap::from([("k".into(), "v".into())]),
        ..ResponsePacket::default()
    });
    let err = codec::to_bytes(&ResponsePacket {
        i_version: 1,
        i_request_id: 2,
        i_ret: -3,
        s_result_desc: "no such function".into(),
        status: BTreeMap::from([("STATUS_RESULT_CODE".into(), "-3".into())]),
        ..ResponsePacket::default()
    });
    let tup = codec::to_bytes(&ResponsePacket {
        i_version: 3,
        i_request_id: 3,
        s_buffer: tup_body(Version::V3),
        ..ResponsePacket::default()
    });
    // A TarsJava overload reply: no `status` (tag 7).
    let mut java = BytesMut::new();
    1i16.encode(1, &mut java);
    0i8.encode(2, &mut java);
    9i32.encode(3, &mut java);
    0i32.encode(4, &mut java);
    (-9i32).encode(5, &mut java);
    Bytes::new().encode(6, &mut java);
    "overload".encode(8, &mut java);
    let java = java.freeze();
    vec![
        ("ok", framed(std::slice::from_ref(&ok))),
        ("error", framed(std::slice::from_ref(&err))),
        ("tup", framed(&[tup])),
        ("java-overload", framed(&[java])),
        ("pipelined", framed(&[ok.clone(), err, ok])),
    ]
}

fn structs() -> Vec<(&'static str, Vec<u8>)> {
    let e = sample_everything();
    let u = sample_uses_rich();
    vec![
        ("everything-default", codec::to_bytes(&Everything::default()).to_vec()),
        ("everything", codec::to_bytes(&e).to_vec()),
        ("uses-rich", codec::to_bytes(&u).to_vec()),
        ("point", codec::to_bytes(&Point { x: 1, y: -1 }).to_vec()),
        (
            "vec-uses-rich",
            codec::encode_field(&vec![u.clone(), UsesRich::default()], 0).to_vec(),
        ),
        (
            "map-point-colors",
            codec::encode_field(
                &BTreeMap::from([(Point { x: 1, y: 2 }, vec![Color::Red, Color::Alias])]),
                0,
            )
            .to_vec(),
        ),
        // Wire types a struct field may meet: SimpleList, struct begin/end, zero tag, tag ≥ 15.
        (
            "binary-string",
            codec::encode_field(&BinaryString::from(b"\xff\xfe".to_vec()), 14).to_vec(),
        ),
    ]
}

fn tups() -> Vec<(&'static str, Vec<u8>)> {
    let mut empty = UniAttribute::new(Version::V3);
    empty.put("", "int32", &0i32);
    vec![
        ("v2", tup_body(Version::V2).to_vec()),
        ("v3", tup_body(Version::V3).to_vec()),
        ("v3-ret", empty.encode().to_vec()),
        ("empty", Vec::new()),
    ]
}

fn json_bodies() -> Vec<(&'static str, Vec<u8>)> {
    use tars::protocol::json::TarsJson;
    let u = sample_uses_rich().to_json();
    let e = sample_everything().to_json();
    vec![
        (
            "scalars",
            br#"{"s":"hello","i":7,"l":"9007199254740993","b":true,"f":1.5}"#.to_vec(),
        ),
        (
            "containers",
            br#"{"v":["a","b"],"m":{"1":"x","-2":"y"},"bytes":[1,-1,127],"mv":{"k":[1,2]}}"#.to_vec(),
        ),
        ("pairs", br#"{"m":[[1,"x"],[2,"y"]],"n":null}"#.to_vec()),
        (
            "struct",
            serde_json::to_vec(&serde_json::json!({ "u": u, "e": e })).unwrap(),
        ),
        ("empty", Vec::new()),
        ("not-object", b"[1,2,3]".to_vec()),
    ]
}

fn configs() -> Vec<(&'static str, Vec<u8>)> {
    let read = |p: &str| std::fs::read(root().join("..").join(p)).unwrap();
    vec![
        ("example", read("examples/config.conf")),
        ("embedded", tars::config::EMBEDDED_DEFAULT.as_bytes().to_vec()),
        (
            "tls-and-client",
            b"<tars><application>\n<server>\napp=A\nserver=B\nlocal=tcp -h 127.0.0.1 -p 1\ncert=c.pem\nkey=k.pem\nverifyclient=yes\nlogsize=512K\n<A.B.ObjAdapter>\nendpoint=ssl -h ::1 -p 2 -t 60000\nservant=A.B.Obj\nallow=127.0.0.1;10.0.*\norder=deny,allow\n</A.B.ObjAdapter>\n</server>\n<client>\nlocator=tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890:udp -h 1.2.3.4 -p 9\nsync-invoke-timeout=1s\nsample-rate=3\n</client>\n</application></tars>\n".to_vec(),
        ),
        ("errors", b"<tars>\n<application>\n</server>\nkey\n=value\n<a=b>\n".to_vec()),
        ("endpoint", b"tcp -h 127.0.0.1 -p 10015 -t 60000 -g 1 -q 2 -w 3 -v 1 -e 1 -b 10.0.0.1".to_vec()),
        ("endpoint-list", b"tcp -h a -p 1:udp -h b -p 2 -t 5:SSL -h c -p 3".to_vec()),
    ]
}

fn idls() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["../tests/idl", "../tars-rt/idl"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tars"))
            // Only includes, of every framework IDL: see INCLUDABLE in src/idl/mod.rs.
            .filter(|p| !p.ends_with("Framework.tars"))
            .collect();
        files.sort();
        for p in files {
            out.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    // Small snippets for the error paths (from tars-build/src/idl/tests.rs).
    let snippets: [(&str, &str); 6] = [
        ("errors.tars", "module M {\n  struct S {\n    0 require int a;\n    0 require int b;\n    300 optional int c;\n    2 optional vector<int> v = 1;\n    4 optional byte e = 1000;\n  };\n  enum E { A, B, A };\n  struct tarsX { 0 require int x; };\n  struct Broken { 0 require int ; };\n  struct AfterBroken { 0 require Nope n; };\n};\n"),
        ("enum-values.tars", "module M { enum E { A, B = 5, C, D = B, E2 = -3, F, G = 0x10 }; const E X = C; const long L = -9223372036854775808; const double D = 1.5e3; };"),
        ("interface.tars", "module M { interface I { int f(string a, out string b, routekey int c); void g(); }; };"),
        ("map-keys.tars", "module M { struct P { 0 require int x; }; key[P, x]; struct S { 0 optional map<P, int> m; 1 optional map<float, int> f; 2 optional S s; }; };"),
        ("fixed-sizes.tars", "module M { struct S { 0 require string:8 a; 1 optional byte *b; 2 optional int c[4]; 3 optional unsigned long d; }; };"),
        ("include.tars", "#include \"rich_common.tars\"\n/** doc */\nmodule A { struct S { 0 require Common::Point p; }; };"),
    ];
    for (name, text) in snippets {
        out.push((name.to_string(), text.as_bytes().to_vec()));
    }
    out
}

fn main() {
    write("request_frame", requests());
    write("response_frame", responses());
    write("generated_structs", structs());
    write("tup", tups());
    write("json_body", json_bodies());
    write("config", configs());
    let idl = idls();
    write("idl", idl.iter().map(|(n, b)| (n.as_str(), b.clone())).collect());
}
