//! Byte-for-byte conformance with the official Node codec, `@tars/stream` 2.0.3, both ways.
//!
//! `tests/node/codec_battery.js` encodes the same battery of values; this test checks that
//! our bytes equal Node's, that we decode Node's bytes to the expected values, and that Node
//! decodes ours. Where the encoders legitimately differ (listed in `LEGITIMATE_DIFFERENCES`),
//! only the two decodings are checked.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use tars::codec::{Reader, TarsDecode, TarsEncode};
use tars::TarsStruct;

#[derive(TarsStruct, Debug, PartialEq, Clone, Default)]
struct Tagged {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 14, require)]
    b: String,
    #[tars(tag = 15, require)]
    c: i64,
    #[tars(tag = 200, require)]
    d: bool,
}

#[derive(TarsStruct, Debug, PartialEq, Clone)]
#[tars(default)]
struct Opt {
    #[tars(tag = 0, require)]
    id: i32,
    #[tars(tag = 1, optional, default = 5)]
    count: i32,
    #[tars(tag = 2, optional, default = "dflt")]
    name: String,
    #[tars(tag = 3, optional, default = true)]
    flag: bool,
    #[tars(tag = 4, optional)]
    items: Vec<i32>,
    #[tars(tag = 5, optional)]
    attrs: HashMap<String, String>,
    #[tars(tag = 6, optional)]
    inner: Tagged,
}

/// Cases whose bytes differ for a documented reason; both sides still decode each other.
const LEGITIMATE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "float",
        "@tars/stream writes 0.0 and -0.0 as ZeroTag; TARS C++/Go (and we) write floats full width",
    ),
    ("double", "same as float"),
    (
        "struct_optional_default",
        "tars2node code writes every optional field; we leave out fields equal to their default",
    ),
    ("struct_optional_mixed", "same as struct_optional_default"),
];

trait FieldCheck {
    fn encode(&self, buf: &mut tars::bytes::BytesMut);
    fn check(&self, r: &mut Reader<'_>) -> Result<(), String>;
}

struct F<T>(u8, T);

impl<T: TarsEncode + TarsDecode + PartialEq + Debug> FieldCheck for F<T> {
    fn encode(&self, buf: &mut tars::bytes::BytesMut) {
        self.1.encode(self.0, buf);
    }
    fn check(&self, r: &mut Reader<'_>) -> Result<(), String> {
        match r.read_field::<T>(self.0) {
            Ok(Some(v)) if v == self.1 => Ok(()),
            Ok(Some(v)) => Err(format!("tag {}: decoded {v:?}, expected {:?}", self.0, self.1)),
            Ok(None) => Err(format!("tag {}: absent", self.0)),
            Err(e) => Err(format!("tag {}: {e}", self.0)),
        }
    }
}

fn f<T: TarsEncode + TarsDecode + PartialEq + Debug + 'static>(tag: u8, v: T) -> Box<dyn FieldCheck> {
    Box::new(F(tag, v))
}

fn tagged(a: i32, b: &str, c: i64, d: bool) -> Tagged {
    Tagged { a, b: b.into(), c, d }
}

fn battery() -> Vec<(&'static str, Vec<Box<dyn FieldCheck>>)> {
    let s = |x: &str| x.to_string();
    vec![
        ("bool", vec![f(0, false), f(1, true)]),
        (
            "int8",
            [-128i8, -1, 0, 1, 127]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "int16",
            [-32768i16, -129, -128, 127, 128, 32767, 0]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "int32",
            [i32::MIN, -32769, -32768, 32767, 32768, i32::MAX, 0]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "int64",
            [i64::MIN, -2147483649, -2147483648, 2147483647, 2147483648, i64::MAX, 0]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "uint8",
            [0u8, 127, 128, 255]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "uint16",
            [0u16, 32767, 32768, 65535]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "uint32",
            [0u32, 2147483647, 2147483648, u32::MAX]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "float",
            [0.0f32, -0.0, 1.5, -3.25, f32::MAX]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "double",
            [0.0f64, -0.0, 1.5, -1e300, 2.2250738585072014e-308]
                .iter()
                .enumerate()
                .map(|(t, &v)| f(t as u8, v))
                .collect(),
        ),
        (
            "string",
            vec![
                f(0, s("")),
                f(1, "a".repeat(255)),
                f(2, "b".repeat(256)),
                f(3, s("héllo 世界")),
            ],
        ),
        (
            "list_int32",
            vec![f(0, Vec::<i32>::new()), f(1, vec![1i32, -1, 300, 70000])],
        ),
        ("list_string", vec![f(0, vec![s("a"), s(""), s("xyz")])]),
        ("list_list", vec![f(0, vec![vec![1i32, 2], vec![], vec![3]])]),
        ("map_empty", vec![f(0, BTreeMap::<String, i32>::new())]),
        (
            "map_string_int",
            vec![f(0, BTreeMap::from([(s("k1"), 1i32), (s("k2"), 2)]))],
        ),
        (
            "map_nested",
            vec![f(
                0,
                BTreeMap::from([
                    (1i32, BTreeMap::from([(s("x"), vec![s("p"), s("q")])])),
                    (2, BTreeMap::new()),
                ]),
            )],
        ),
        (
            "bytes",
            vec![
                f(0, Vec::<u8>::new()),
                f(1, vec![0u8, 1, 2, 255, 128]),
                f(2, (0..1000).map(|i| i as u8).collect::<Vec<u8>>()),
            ],
        ),
        ("struct_tags", vec![f(0, tagged(7, "fourteen", 15, true))]),
        ("struct_tags_zero", vec![f(0, tagged(0, "", 0, false))]),
        (
            "struct_optional_default",
            vec![f(
                0,
                Opt {
                    id: 1,
                    ..Opt::default()
                },
            )],
        ),
        (
            "struct_optional_set",
            vec![f(
                0,
                Opt {
                    id: 2,
                    count: 9,
                    name: s("x"),
                    flag: false,
                    items: vec![1, 2, 3],
                    attrs: HashMap::from([(s("a"), s("b"))]),
                    inner: tagged(7, "fourteen", 15, true),
                },
            )],
        ),
        (
            "struct_optional_mixed",
            vec![f(
                0,
                Opt {
                    id: 3,
                    name: s(""),
                    attrs: HashMap::from([(s("k"), s("v"))]),
                    ..Opt::default()
                },
            )],
        ),
        (
            "struct_in_list_and_map",
            vec![
                f(0, vec![tagged(1, "x", 2, true), tagged(0, "", 0, false)]),
                f(1, BTreeMap::from([(s("one"), tagged(1, "one", 1, true))])),
            ],
        ),
    ]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn encode_case(fields: &[Box<dyn FieldCheck>]) -> Vec<u8> {
    let mut buf = tars::bytes::BytesMut::new();
    for field in fields {
        field.encode(&mut buf);
    }
    buf.to_vec()
}

#[test]
fn rust_and_node_encode_the_same_bytes_and_decode_each_other() {
    let out = crate::support::node::run("codec_battery.js", &["encode"]);
    let node: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let cases = battery();
    assert_eq!(
        node.len(),
        cases.len(),
        "the Rust and Node batteries list different cases"
    );

    let mut failures = Vec::new();
    let mut ours = serde_json::Map::new();
    for (name, fields) in &cases {
        let rust_bytes = encode_case(fields);
        ours.insert(name.to_string(), hex(&rust_bytes).into());
        let node_hex = node[*name].as_str().unwrap();

        // Bytes, unless the difference is a documented one.
        let differs_legitimately = LEGITIMATE_DIFFERENCES.iter().any(|(n, _)| n == name);
        if !differs_legitimately && hex(&rust_bytes) != node_hex {
            failures.push(format!("{name}: rust {} != node {node_hex}", hex(&rust_bytes)));
        }
        if differs_legitimately && hex(&rust_bytes) == node_hex {
            failures.push(format!(
                "{name}: listed as differing but the bytes are equal; update the list"
            ));
        }

        // We decode Node's bytes to the expected values, consuming all of them.
        let node_bytes = unhex(node_hex);
        let mut r = Reader::new(&node_bytes);
        for field in fields {
            if let Err(e) = field.check(&mut r) {
                failures.push(format!("{name}: decoding Node's bytes: {e}"));
            }
        }
        if r.remaining() != 0 {
            failures.push(format!(
                "{name}: {} byte(s) of Node's encoding left unread",
                r.remaining()
            ));
        }
    }

    // Node decodes ours.
    let path = std::env::temp_dir().join(format!("tars-rs-codec-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&ours).unwrap()).unwrap();
    let out = crate::support::node::run("codec_battery.js", &["decode", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let verdicts: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts.len(), cases.len());
    for (name, verdict) in &verdicts {
        if verdict["ok"] != true {
            failures.push(format!("{name}: Node could not decode ours: {}", verdict["error"]));
        }
    }

    assert!(
        failures.is_empty(),
        "{} conformance failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
