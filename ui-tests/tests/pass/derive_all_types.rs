// Every field type the derive supports, the tag boundaries (0, 14 = last one-byte head,
// 15 = first two-byte head, 255), and every kind of explicit default. Must compile and
// round-trip through the codec.
use std::collections::{BTreeMap, HashMap};

use tars::codec::BinaryString;
use tars::{TarsEnum, TarsStruct};

#[derive(TarsEnum, Debug, PartialEq, Clone, Copy)]
#[tars(name = "Test.Color")]
enum Color {
    Red = 1,
    Green = 2,
    Blue = 10,
}

#[derive(TarsStruct, Debug, PartialEq)]
#[tars(name = "Test.Inner", default)]
struct Inner {
    #[tars(tag = 0, require)]
    a: i32,
    #[tars(tag = 1)]
    b: String,
}

#[derive(TarsStruct, Debug, PartialEq)]
#[tars(name = "Test.AllTypes", default)]
struct AllTypes {
    #[tars(tag = 0, require, name = "bFlag")]
    flag: bool,
    #[tars(tag = 1)]
    i8_: i8,
    #[tars(tag = 2, optional)]
    i16_: i16,
    #[tars(tag = 3)]
    i32_: i32,
    #[tars(tag = 4)]
    i64_: i64,
    #[tars(tag = 5)]
    u8_: u8,
    #[tars(tag = 6)]
    u16_: u16,
    #[tars(tag = 7)]
    u32_: u32,
    #[tars(tag = 8)]
    f32_: f32,
    #[tars(tag = 9)]
    f64_: f64,
    #[tars(tag = 10)]
    string: String,
    #[tars(tag = 11)]
    binary: BinaryString,
    #[tars(tag = 12)]
    bytes: Vec<u8>,
    #[tars(tag = 13)]
    ints: Vec<i32>,
    #[tars(tag = 14)]
    nested_list: Vec<Vec<String>>,
    #[tars(tag = 15)]
    hash_map: HashMap<String, i32>,
    #[tars(tag = 16)]
    btree_map: BTreeMap<i32, Vec<u8>>,
    #[tars(tag = 17)]
    inner: Inner,
    #[tars(tag = 18, require)]
    required_inner: Inner,
    // Explicit defaults.
    #[tars(tag = 20, default = 5)]
    five: i32,
    #[tars(tag = 21, default = "x")]
    x: String,
    #[tars(tag = 22, default = "bin")]
    binary_default: BinaryString,
    #[tars(tag = 23, default = true)]
    yes: bool,
    #[tars(tag = 24, default = 1.5)]
    one_and_a_half: f64,
    #[tars(tag = 25, default = 2.5)]
    two_and_a_half: f32,
    #[tars(tag = 26, default = Color::Red)]
    color: Color,
    #[tars(tag = 255, default = 7)]
    last: u8,
}

fn round_trip(value: &AllTypes) -> AllTypes {
    let bytes = tars::codec::to_bytes(value);
    tars::codec::from_bytes(&bytes).expect("decodes")
}

fn main() {
    undeclared::check();
    // Container `default`: explicit defaults where given, zero values elsewhere.
    let d = AllTypes::default();
    assert_eq!(d.five, 5);
    assert_eq!(d.x, "x");
    assert_eq!(d.binary_default.as_bytes(), b"bin");
    assert!(d.yes);
    assert_eq!(d.one_and_a_half, 1.5);
    assert_eq!(d.two_and_a_half, 2.5);
    assert_eq!(d.color, Color::Red);
    assert_eq!(d.last, 7);
    assert_eq!(d.i32_, 0);
    assert_eq!(d.inner, Inner { a: 0, b: String::new() });
    assert_eq!(round_trip(&d), d);

    // Every field away from its default.
    let mut hash_map = HashMap::new();
    hash_map.insert("k".to_string(), -3);
    let mut btree_map = BTreeMap::new();
    btree_map.insert(9, vec![1, 2, 3]);
    let v = AllTypes {
        flag: true,
        i8_: -8,
        i16_: -1600,
        i32_: 320_000,
        i64_: -6_400_000_000,
        u8_: 200,
        u16_: 60_000,
        u32_: 4_000_000_000,
        f32_: 3.25,
        f64_: -6.5,
        string: "hello".into(),
        binary: BinaryString::from(vec![0xff, 0x00, 0xfe]),
        bytes: vec![0, 1, 255],
        ints: vec![1, -2, 3],
        nested_list: vec![vec!["a".into()], vec![], vec!["b".into(), "c".into()]],
        hash_map,
        btree_map,
        inner: Inner { a: 1, b: "in".into() },
        required_inner: Inner { a: 2, b: "req".into() },
        five: 0,
        x: String::new(),
        binary_default: BinaryString::from(""),
        yes: false,
        one_and_a_half: 0.0,
        two_and_a_half: 0.0,
        color: Color::Blue,
        last: 0,
    };
    assert_eq!(round_trip(&v), v);
}

mod undeclared {
    use tars::TarsEnum;

    /// A derived enum may keep values it does not declare, as IDL enums do (Rust asks for a
    /// `repr` when an enum with data has explicit values).
    #[derive(TarsEnum, Debug, PartialEq, Clone, Copy)]
    #[repr(i32)]
    pub enum Level {
        Low = 1,
        High = 5,
        #[tars(undeclared)]
        Other(i32),
    }

    pub fn check() {
        use tars::codec::TarsEnum as _;
        assert_eq!(Level::from_i32(5), Some(Level::High));
        assert_eq!(Level::from_i32(7), Some(Level::Other(7)));
        assert_eq!(Level::Other(9).to_i32(), 9);
    }
}
