//! Property tests: every supported type, and derived structs, decode to what was encoded, at
//! any tag, after unknown fields, and inside other containers.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use proptest::collection::{btree_map, hash_map, vec};
use proptest::prelude::*;
use tars::bytes::{Bytes, BytesMut};
use tars::codec::{BinaryString, Reader, TarsDecode, TarsEncode};
use tars::{TarsEnum, TarsStruct};

fn round_trip<T: TarsEncode + TarsDecode + PartialEq + Debug>(value: &T, tag: u8) -> Result<(), TestCaseError> {
    let mut buf = BytesMut::new();
    value.encode(tag, &mut buf);
    let bytes = buf.freeze();
    let back = Reader::from_bytes(&bytes).read_field::<T>(tag);
    prop_assert_eq!(back.as_ref().ok().and_then(|v| v.as_ref()), Some(value), "{:?}", back);
    Ok(())
}

/// Floats compare by bits so -0.0 and NaN payloads are checked too.
fn round_trip_bits<T: TarsEncode + TarsDecode + Copy + Debug>(
    value: T,
    tag: u8,
    bits: fn(T) -> u64,
) -> Result<(), TestCaseError> {
    let mut buf = BytesMut::new();
    value.encode(tag, &mut buf);
    let back = Reader::new(&buf).read_field::<T>(tag).unwrap().unwrap();
    prop_assert_eq!(bits(back), bits(value));
    Ok(())
}

#[derive(TarsEnum, Debug, PartialEq, Clone, Copy, Default)]
enum Level {
    #[default]
    Low = 0,
    Mid = 10,
    High = -3,
}

#[derive(TarsStruct, Debug, PartialEq, Clone, Default)]
struct Inner {
    #[tars(tag = 0, require)]
    id: i64,
    #[tars(tag = 1)]
    tags: Vec<String>,
}

#[derive(TarsStruct, Debug, PartialEq, Clone)]
#[tars(default)]
struct Everything {
    #[tars(tag = 0, require)]
    b: bool,
    #[tars(tag = 1, default = 3)]
    i8_: i8,
    #[tars(tag = 2)]
    i16_: i16,
    #[tars(tag = 3, require)]
    i32_: i32,
    #[tars(tag = 4, default = -1)]
    i64_: i64,
    #[tars(tag = 5)]
    u8_: u8,
    #[tars(tag = 6)]
    u16_: u16,
    #[tars(tag = 7, default = 7)]
    u32_: u32,
    #[tars(tag = 8, default = 0.5)]
    f: f32,
    #[tars(tag = 9)]
    d: f64,
    #[tars(tag = 14, default = "x")]
    s: String,
    #[tars(tag = 15)]
    bin: BinaryString,
    #[tars(tag = 16)]
    bytes: Bytes,
    #[tars(tag = 17)]
    vbytes: Vec<u8>,
    #[tars(tag = 18)]
    signed_bytes: Vec<i8>,
    #[tars(tag = 19)]
    ints: Vec<i32>,
    #[tars(tag = 20)]
    map: HashMap<String, i64>,
    #[tars(tag = 21)]
    nested: BTreeMap<i32, Vec<Inner>>,
    #[tars(tag = 22, default = Level::Mid)]
    level: Level,
    #[tars(tag = 100, require)]
    inner: Inner,
    #[tars(tag = 255)]
    last: Vec<Vec<u16>>,
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::Low), Just(Level::Mid), Just(Level::High)]
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<i64>(), vec(".{0,8}", 0..4)).prop_map(|(id, tags)| Inner { id, tags })
}

prop_compose! {
    fn everything()(
        b in any::<bool>(), i8_ in any::<i8>(), i16_ in any::<i16>(), i32_ in any::<i32>(),
        i64_ in any::<i64>(), u8_ in any::<u8>(), u16_ in any::<u16>(), u32_ in any::<u32>(),
        f in any::<f32>().prop_filter("NaN != NaN", |f| !f.is_nan()),
        d in any::<f64>().prop_filter("NaN != NaN", |f| !f.is_nan()),
        s in ".{0,300}", bin in vec(any::<u8>(), 0..300), bytes in vec(any::<u8>(), 0..300),
        vbytes in vec(any::<u8>(), 0..40), signed_bytes in vec(any::<i8>(), 0..40),
        ints in vec(any::<i32>(), 0..20), map in hash_map(".{0,6}", any::<i64>(), 0..6),
        nested in btree_map(any::<i32>(), vec(inner(), 0..3), 0..3), level in level(),
        inner in inner(), last in vec(vec(any::<u16>(), 0..4), 0..4),
    ) -> Everything {
        Everything {
            b, i8_, i16_, i32_, i64_, u8_, u16_, u32_, f, d, s,
            bin: BinaryString::from(bin), bytes: Bytes::from(bytes), vbytes, signed_bytes, ints,
            map, nested, level, inner, last,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn integers(tag in any::<u8>(), a in any::<i8>(), b in any::<i16>(), c in any::<i32>(), d in any::<i64>(),
                e in any::<u8>(), f in any::<u16>(), g in any::<u32>(), h in any::<bool>()) {
        round_trip(&a, tag)?;
        round_trip(&b, tag)?;
        round_trip(&c, tag)?;
        round_trip(&d, tag)?;
        round_trip(&e, tag)?;
        round_trip(&f, tag)?;
        round_trip(&g, tag)?;
        round_trip(&h, tag)?;
    }

    #[test]
    fn floats(tag in any::<u8>(), a in any::<f32>(), b in any::<f64>()) {
        round_trip_bits(a, tag, |x| x.to_bits() as u64)?;
        round_trip_bits(b, tag, f64::to_bits)?;
        round_trip_bits(-0.0f32, tag, |x| x.to_bits() as u64)?;
    }

    #[test]
    fn strings_and_bytes(tag in any::<u8>(), s in ".{0,600}", raw in vec(any::<u8>(), 0..600)) {
        round_trip(&s, tag)?;
        round_trip(&BinaryString::from(raw.clone()), tag)?;
        round_trip(&Bytes::from(raw.clone()), tag)?;
        round_trip(&raw, tag)?;
        round_trip(&raw.iter().map(|&b| b as i8).collect::<Vec<i8>>(), tag)?;
    }

    #[test]
    fn containers(tag in any::<u8>(), v in vec(vec(".{0,5}", 0..4), 0..5),
                  m in hash_map(any::<i32>(), vec(any::<u8>(), 0..8), 0..8),
                  t in btree_map(".{0,5}", btree_map(any::<i16>(), any::<bool>(), 0..3), 0..5)) {
        round_trip(&v, tag)?;
        round_trip(&m, tag)?;
        round_trip(&t, tag)?;
    }

    #[test]
    fn derived_structs(tag in any::<u8>(), e in everything()) {
        round_trip(&e, tag)?;
        round_trip(&vec![e.clone(), Everything::default()], tag)?;
        let top = tars::codec::to_bytes(&e);
        prop_assert_eq!(tars::codec::from_bytes::<Everything>(&top).unwrap(), e);
    }

    #[test]
    fn fields_after_unknown_fields(pre in vec((0u8..50, any::<i64>(), ".{0,4}"), 0..6), e in everything()) {
        // Fields with lower tags of assorted types, then the struct at tag 50.
        let mut pre = pre;
        pre.sort_by_key(|p| p.0);
        let mut buf = BytesMut::new();
        for (tag, n, s) in &pre {
            if tag % 2 == 0 { n.encode(*tag, &mut buf) } else { s.encode(*tag, &mut buf) }
        }
        e.encode(50, &mut buf);
        let back: Everything = Reader::new(&buf).read_field(50).unwrap().unwrap();
        prop_assert_eq!(back, e);
    }
}

#[test]
fn defaults_apply_to_absent_optional_fields() {
    // Only the require fields on the wire.
    let mut buf = BytesMut::new();
    false.encode(0, &mut buf);
    0i32.encode(3, &mut buf);
    Inner::default().encode(100, &mut buf);
    let e: Everything = tars::codec::from_slice(&buf).unwrap();
    assert_eq!(e, Everything::default());
    assert_eq!(
        (e.i8_, e.i64_, e.u32_, e.f, e.s.as_str(), e.level),
        (3, -1, 7, 0.5, "x", Level::Mid)
    );
}
