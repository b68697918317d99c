use std::collections::BTreeMap;

use bytes::Bytes;

use super::*;
use crate::__private::decode_struct;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn enc<T: TarsEncode + ?Sized>(v: &T, tag: u8) -> String {
    hex(&encode_field(v, tag))
}

fn dec<T: TarsDecode>(bytes: &[u8], tag: u8) -> Result<Option<T>, DecodeError> {
    Reader::new(bytes).read_field(tag)
}

#[test]
fn head_uses_second_byte_from_tag_15() {
    assert_eq!(enc(&1i32, 0), "0001");
    assert_eq!(enc(&1i32, 14), "e001");
    assert_eq!(enc(&1i32, 15), "f00f01");
    assert_eq!(enc(&1i32, 255), "f0ff01");
    assert_eq!(dec::<i32>(&[0xf0, 0xff, 0x01], 255).unwrap(), Some(1));
}

#[test]
fn integers_take_the_narrowest_encoding() {
    assert_eq!(enc(&0i64, 0), "0c");
    assert_eq!(enc(&-128i64, 0), "0080");
    assert_eq!(enc(&127i64, 0), "007f");
    assert_eq!(enc(&128i64, 0), "010080");
    assert_eq!(enc(&-129i64, 0), "01ff7f");
    assert_eq!(enc(&32768i64, 0), "0200008000");
    assert_eq!(enc(&(i32::MIN as i64), 0), "0280000000");
    assert_eq!(enc(&(i32::MAX as i64 + 1), 0), "030000000080000000");
    assert_eq!(enc(&true, 1), "1001");
    assert_eq!(enc(&false, 1), "1c");
}

#[test]
fn unsigned_types_widen_like_tarscpp() {
    // unsigned byte 255 is a short on the wire, unsigned int 2^31 a long.
    assert_eq!(enc(&255u8, 0), "0100ff");
    assert_eq!(enc(&65535u16, 0), "020000ffff");
    assert_eq!(enc(&u32::MAX, 0), "0300000000ffffffff");
    assert_eq!(dec::<u8>(&[0x01, 0x00, 0xff], 0).unwrap(), Some(255));
    assert_eq!(dec::<u32>(&hex_bytes("0300000000ffffffff"), 0).unwrap(), Some(u32::MAX));
}

#[test]
fn readers_widen_but_reject_wider_types() {
    assert_eq!(dec::<i64>(&[0x00, 0xff], 0).unwrap(), Some(-1));
    assert_eq!(dec::<i32>(&[0x01, 0x80, 0x00], 0).unwrap(), Some(-32768));
    assert!(matches!(
        dec::<i16>(&hex_bytes("0200010000"), 0),
        Err(DecodeError::TypeMismatch {
            expected: "short",
            found: TypeCode::Int4,
            ..
        })
    ));
    assert!(matches!(
        dec::<u8>(&[0x01, 0x01, 0x2c], 0),
        Err(DecodeError::OutOfRange {
            value: 300,
            target: "unsigned byte"
        })
    ));
    assert!(matches!(
        dec::<bool>(&[0x06, 0x00], 0),
        Err(DecodeError::TypeMismatch { .. })
    ));
}

#[test]
fn floats_are_full_width_and_accept_zero_tag() {
    assert_eq!(enc(&0.0f32, 0), "0400000000");
    assert_eq!(enc(&-0.0f64, 0), "058000000000000000");
    assert_eq!(dec::<f32>(&[0x0c], 0).unwrap(), Some(0.0));
    assert_eq!(dec::<f64>(&hex_bytes("043fc00000"), 0).unwrap(), Some(1.5));
    assert!(dec::<f32>(&hex_bytes("053ff8000000000000"), 0).is_err());
}

#[test]
fn strings_switch_to_string4_above_255_bytes() {
    assert_eq!(&enc(&"a".repeat(255), 0)[..4], "06ff");
    assert_eq!(&enc(&"a".repeat(256), 0)[..10], "0700000100");
    let s = "b".repeat(300);
    assert_eq!(dec::<String>(&encode_field(&s, 3), 3).unwrap(), Some(s));
}

#[test]
fn invalid_utf8_is_an_error_for_string_and_accepted_by_binary_string() {
    let wire = [0x06, 0x02, 0xc3, 0x28];
    assert!(matches!(
        dec::<String>(&wire, 0),
        Err(DecodeError::InvalidUtf8 { offset: 1 })
    ));
    let b = dec::<BinaryString>(&wire, 0).unwrap().unwrap();
    assert_eq!(b.as_bytes(), &[0xc3, 0x28]);
    assert_eq!(enc(&b, 0), hex(&wire));
}

#[test]
fn byte_vectors_are_simple_lists_and_lists_are_accepted() {
    assert_eq!(enc(&vec![1u8, 2, 255], 1), "1d0000030102ff");
    assert_eq!(enc(&Bytes::from_static(b""), 0), "0d000c");
    // vector<byte> written as a List of bytes (and of shorts up to 255, as `unsigned byte`
    // peers do).
    let list = hex_bytes("09000300010c010080");
    assert_eq!(dec::<Vec<u8>>(&list, 0).unwrap(), Some(vec![1, 0, 128]));
    assert_eq!(dec::<Bytes>(&list, 0).unwrap().unwrap().as_ref(), &[1, 0, 128]);
    // A List of ints is not a SimpleList.
    assert_eq!(enc(&vec![1i32, 2], 0), "09000200010002");
}

#[test]
fn bytes_decode_as_zero_copy_slices() {
    let wire = encode_field(&vec![7u8; 64], 0);
    let got: Bytes = decode_field(&wire, 0).unwrap().unwrap();
    assert_eq!(got.len(), 64);
    let range = wire.as_ptr() as usize..wire.as_ptr() as usize + wire.len();
    assert!(
        range.contains(&(got.as_ptr() as usize)),
        "decoded Bytes should point into the input"
    );
}

#[test]
fn maps_and_nested_lists_round_trip() {
    let mut m: BTreeMap<i32, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    m.insert(1, [("x".to_string(), vec!["p".to_string(), "q".to_string()])].into());
    m.insert(2, BTreeMap::new());
    let wire = encode_field(&m, 0);
    assert_eq!(decode_field(&wire, 0).unwrap(), Some(m));
    assert_eq!(enc(&BTreeMap::<String, i32>::new(), 0), "080c");
}

#[derive(crate::TarsStructForTests, Debug, PartialEq, Clone)]
#[tars(default)]
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

#[derive(crate::TarsStructForTests, Debug, PartialEq)]
#[tars(default)]
struct Opt {
    #[tars(tag = 0, require)]
    id: i32,
    #[tars(tag = 1, default = 5)]
    count: i32,
    #[tars(tag = 2, default = "dflt")]
    name: String,
    #[tars(tag = 3, default = true)]
    flag: bool,
    #[tars(tag = 4)]
    items: Vec<i32>,
    #[tars(tag = 6)]
    inner: Tagged,
}

/// A newer version of `Tagged` with fields the old one does not know.
#[derive(crate::TarsStructForTests, Debug, PartialEq)]
#[tars(default)]
struct TaggedV2 {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 1)]
    extra_map: BTreeMap<String, Vec<u8>>,
    #[tars(tag = 2)]
    extra_struct: Opt,
    #[tars(tag = 14, require)]
    b: String,
    #[tars(tag = 15, require)]
    c: i64,
    #[tars(tag = 100)]
    extra_f: f64,
    #[tars(tag = 200, require)]
    d: bool,
    #[tars(tag = 201)]
    extra_list: Vec<String>,
    #[tars(tag = 202)]
    extra_bytes: Vec<u8>,
}

#[test]
fn struct_layout_matches_the_node_peer() {
    // Bytes produced by @tars/stream 2.0.3 for the same value (tests/node).
    let t = Tagged {
        a: 7,
        b: "fourteen".into(),
        c: 15,
        d: true,
    };
    assert_eq!(enc(&t, 0), "0a0007e608666f75727465656ef00f0ff0c8010b");
}

#[test]
fn optional_fields_equal_to_their_default_are_left_out() {
    let o = Opt::default();
    assert_eq!(o.count, 5);
    assert_eq!(o.name, "dflt");
    // Only `id` (require, zero) and `inner` (struct: always written) are on the wire.
    assert_eq!(hex(&to_bytes(&o)), "0c6a0ce600fc0ffcc80b");
    let o2 = Opt {
        count: 0,
        name: String::new(),
        flag: false,
        ..Opt::default()
    };
    let wire = to_bytes(&o2);
    assert_eq!(from_bytes::<Opt>(&wire).unwrap(), o2);
}

#[test]
fn unknown_fields_of_every_type_are_skipped() {
    let v2 = TaggedV2 {
        a: 1,
        extra_map: [("k".to_string(), vec![1, 2])].into(),
        extra_struct: Opt {
            id: 9,
            items: vec![1, 2, 3],
            ..Opt::default()
        },
        b: "b".into(),
        c: -5,
        extra_f: 2.5,
        d: true,
        extra_list: vec!["x".into(); 3],
        extra_bytes: vec![9; 10],
    };
    let wire = encode_field(&v2, 0);
    let old: Tagged = decode_field(&wire, 0).unwrap().unwrap();
    assert_eq!(
        old,
        Tagged {
            a: 1,
            b: "b".into(),
            c: -5,
            d: true
        }
    );
    // And the other way: the newer struct reads the older one's bytes with defaults.
    let back: TaggedV2 = decode_field(&encode_field(&old, 0), 0).unwrap().unwrap();
    assert_eq!(back.c, -5);
    assert_eq!(back.extra_struct, Opt::default());
}

#[test]
fn missing_require_field_names_struct_field_and_tag() {
    // Tagged without tag 14.
    let wire = hex_bytes("0a0007f00f0ff0c8010b");
    let err = decode_field::<Tagged>(&Bytes::from(wire), 0).unwrap_err();
    assert_eq!(err.to_string(), "required field Tagged.b (tag 14) is missing");
}

#[test]
fn errors_inside_fields_carry_the_path() {
    let mut wire = encode_field(
        &Opt {
            inner: Tagged {
                b: "ok".into(),
                ..Tagged::default()
            },
            ..Opt::default()
        },
        0,
    )
    .to_vec();
    let pos = wire.windows(2).position(|w| w == b"ok").unwrap();
    wire[pos] = 0xff;
    let err = decode_field::<Opt>(&Bytes::from(wire), 0).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("in Opt.inner (tag 6): in Tagged.b (tag 14): invalid UTF-8"),
        "{err}"
    );
    assert!(matches!(err.root(), DecodeError::InvalidUtf8 { .. }));
}

#[derive(crate::TarsEnumForTests, Debug, PartialEq, Clone, Copy)]
enum Color {
    Red = 1,
    Green = 5,
}

#[test]
fn enums_are_int32_and_unknown_values_are_errors() {
    assert_eq!(enc(&Color::Green, 0), "0005");
    assert_eq!(dec::<Color>(&[0x00, 0x01], 0).unwrap(), Some(Color::Red));
    let err = dec::<Color>(&[0x00, 0x02], 0).unwrap_err();
    assert_eq!(
        err,
        DecodeError::UnknownEnumValue {
            name: "Color",
            value: 2
        }
    );
}

#[test]
fn huge_length_prefixes_fail_before_allocating() {
    // String4 claiming 2^31 bytes in a 10-byte buffer.
    let s = hex_bytes("07800000000102030405");
    assert!(matches!(
        dec::<String>(&s, 0),
        Err(DecodeError::LengthTooLarge { len: 2147483648, .. })
    ));
    // List claiming 2^31 - 1 elements.
    let l = hex_bytes("0902 7fffffff 00 01".replace(' ', "").as_str());
    assert!(matches!(
        dec::<Vec<i64>>(&l, 0),
        Err(DecodeError::LengthTooLarge { .. })
    ));
    // Map and SimpleList likewise, and negative lengths.
    assert!(matches!(
        dec::<BTreeMap<i32, i32>>(&hex_bytes("08027fffffff"), 0),
        Err(DecodeError::LengthTooLarge { .. })
    ));
    assert!(matches!(
        dec::<Vec<u8>>(&hex_bytes("0d00027fffffff"), 0),
        Err(DecodeError::LengthTooLarge { .. })
    ));
    assert!(matches!(
        dec::<Vec<i32>>(&hex_bytes("0900ff"), 0),
        Err(DecodeError::NegativeLength { len: -1, .. })
    ));
}

#[test]
fn nesting_is_capped() {
    // 10_000 nested lists, both decoded and skipped.
    let mut wire = Vec::new();
    for _ in 0..10_000 {
        wire.extend_from_slice(&[0x09, 0x00, 0x01]);
    }
    wire.extend_from_slice(&[0x0c]);
    type Deep = Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<i32>>>>>>>>;
    assert!(dec::<Deep>(&wire, 0).is_err());
    assert!(matches!(
        dec::<i32>(&wire, 1),
        Err(DecodeError::TooDeep { max: 100, .. })
    ));
    // Unknown nested structs are skipped under the same cap.
    let structs = vec![0x1a; 10_000];
    assert!(matches!(dec::<i32>(&structs, 5), Err(DecodeError::TooDeep { .. })));
    // A recursive type built 150 deep: valid bytes, but deeper than the reader allows.
    let mut tree = Tree::default();
    for _ in 0..150 {
        tree = Tree { children: vec![tree] };
    }
    let wire = encode_field(&tree, 0);
    let err = decode_field::<Tree>(&wire, 0).unwrap_err();
    assert!(matches!(err.root(), DecodeError::TooDeep { max: 100, .. }), "{err}");
    let shallow = Reader::from_bytes(&wire)
        .with_max_depth(400)
        .read_field::<Tree>(0)
        .unwrap();
    assert_eq!(shallow, Some(tree));
}

#[derive(crate::TarsStructForTests, Debug, PartialEq, Default)]
struct Tree {
    #[tars(tag = 0)]
    children: Vec<Tree>,
}

#[test]
fn truncated_input_is_an_error_at_every_cut() {
    let wire = encode_field(
        &Opt {
            id: 3,
            count: 9,
            items: vec![1, 2],
            ..Opt::default()
        },
        0,
    );
    for cut in 0..wire.len() {
        let r = Reader::new(&wire[..cut]).read_field::<Opt>(0);
        assert!(cut == 0 && matches!(r, Ok(None)) || r.is_err(), "cut {cut}: {r:?}");
    }
}

#[test]
fn struct_end_without_begin_and_bad_type_codes_are_errors() {
    assert!(matches!(
        dec::<i32>(&[0x0e], 0),
        Err(DecodeError::InvalidTypeCode { code: 14, .. })
    ));
    assert!(matches!(
        decode_struct::<Tagged>(&mut Reader::new(&[0x0b]), TypeCode::Int1),
        Err(DecodeError::TypeMismatch { .. })
    ));
    assert!(matches!(
        dec::<Tagged>(&[0x0a, 0x0c], 0),
        Err(DecodeError::MissingRequired { .. })
    ));
    // A complete struct whose StructEnd is missing.
    let err = dec::<Tagged>(&hex_bytes("0a0007e608666f75727465656ef00f0ff0c801"), 0).unwrap_err();
    assert!(matches!(err, DecodeError::UnterminatedStruct { offset: 19 }), "{err}");
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[derive(crate::TarsStructForTests, Debug, PartialEq, Default)]
struct NoDefaults {
    #[tars(tag = 0)]
    flag: bool,
    #[tars(tag = 1)]
    n: i32,
    #[tars(tag = 2)]
    s: String,
    #[tars(tag = 3)]
    v: Vec<i32>,
    #[tars(tag = 4)]
    m: BTreeMap<i32, i32>,
    #[tars(tag = 5)]
    b: Bytes,
}

#[test]
fn optional_fields_without_explicit_default_are_written_unless_empty_containers() {
    // tars2cpp initializes a bool without a default to `true`, so `false` must be on the wire;
    // scalars and strings are always written; empty vector/map/vector<byte> are left out.
    assert_eq!(hex(&to_bytes(&NoDefaults::default())), "0c1c2600");
    let full = NoDefaults {
        flag: true,
        n: 1,
        s: "x".into(),
        v: vec![1],
        m: [(1, 2)].into(),
        b: Bytes::from_static(b"z"),
    };
    assert_eq!(from_bytes::<NoDefaults>(&to_bytes(&full)).unwrap(), full);
}

#[test]
fn encode_exact_returns_what_was_written_small_large_and_nested() {
    let small = encode_exact(|b| "hello".encode(1, b));
    assert_eq!(hex(&small), enc("hello", 1));
    // Nested: the inner call finds the scratch buffer busy and uses its own.
    let nested = encode_exact(|b| {
        let inner = encode_exact(|b| 7i32.encode(0, b));
        b.extend_from_slice(&inner);
        b.extend_from_slice(&inner);
    });
    assert_eq!(hex(&nested), "00070007");
    // Large: the scratch buffer itself is handed out, and the next call starts afresh.
    let big = vec![9u8; 200 * 1024];
    let large = encode_exact(|b| Bytes::from(big.clone()).encode(0, b));
    assert_eq!(from_slice_field(&large), big);
    let after = encode_exact(|b| 1i8.encode(0, b));
    assert_eq!(hex(&after), "0001");
}

fn from_slice_field(bytes: &[u8]) -> Vec<u8> {
    dec::<Vec<u8>>(bytes, 0).unwrap().unwrap()
}
