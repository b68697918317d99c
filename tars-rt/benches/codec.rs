//! Encode/decode throughput of a representative struct: ints, strings, a 1 KiB
//! `vector<byte>`, a 16-entry map and a nested struct.
//!
//! Run: `cargo bench -p tars-rt --bench codec`

use std::collections::HashMap;
use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tars_macros::TarsStruct;
use tars_rt::codec::{self, TarsStruct as _};

#[derive(TarsStruct, Debug, Clone, PartialEq, Default)]
#[tars(crate = "tars_rt")]
struct UserInfo {
    #[tars(tag = 0, require)]
    uid: i64,
    #[tars(tag = 1)]
    nick: String,
    #[tars(tag = 2)]
    level: i32,
    #[tars(tag = 3)]
    vip: bool,
}

#[derive(TarsStruct, Debug, Clone, PartialEq, Default)]
#[tars(crate = "tars_rt")]
struct Request {
    #[tars(tag = 0, require)]
    id: i32,
    #[tars(tag = 1, require)]
    timestamp: i64,
    #[tars(tag = 2)]
    flags: i16,
    #[tars(tag = 3)]
    score: f64,
    #[tars(tag = 4)]
    trace_id: String,
    #[tars(tag = 5)]
    method: String,
    #[tars(tag = 6)]
    payload: Bytes,
    #[tars(tag = 7)]
    attrs: HashMap<String, String>,
    #[tars(tag = 8)]
    user: UserInfo,
}

fn sample() -> Request {
    Request {
        id: 123_456,
        timestamp: 1_763_000_000_000,
        flags: 0x1234,
        score: 98.5,
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        method: "queryUserProfile".into(),
        payload: Bytes::from((0..1024).map(|i| i as u8).collect::<Vec<u8>>()),
        attrs: (0..16)
            .map(|i| (format!("key-{i:02}"), format!("value-{i:02}")))
            .collect(),
        user: UserInfo {
            uid: 9_007_199_254_740_993,
            nick: "tars-rs".into(),
            level: 42,
            vip: true,
        },
    }
}

fn bench(c: &mut Criterion) {
    let value = sample();
    let encoded = codec::to_bytes(&value);
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Bytes(encoded.len() as u64));

    let mut buf = BytesMut::with_capacity(4096);
    group.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&value).encode_fields(&mut buf);
            black_box(buf.len())
        })
    });
    // Like encode, which does not time building the value it encodes, decode does not time
    // dropping the value it built (36 frees); "decode+drop" does.
    group.bench_function("decode", |b| {
        b.iter_with_large_drop(|| codec::from_bytes::<Request>(black_box(&encoded)).unwrap())
    });
    group.bench_function("decode+drop", |b| {
        b.iter(|| codec::from_bytes::<Request>(black_box(&encoded)).unwrap())
    });
    // What decoding this struct cannot avoid, whatever the codec: allocating its 35 strings
    // and inserting 16 entries into a HashMap, with no parsing at all.
    let pairs: Vec<(&str, &str)> = value.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let strings = [value.trace_id.as_str(), value.method.as_str(), value.user.nick.as_str()];
    group.bench_function("decode floor", |b| {
        b.iter_with_large_drop(|| {
            let mut map = HashMap::with_capacity(black_box(pairs.len()));
            for (k, v) in black_box(&pairs) {
                map.insert(k.to_string(), v.to_string());
            }
            (map, black_box(strings).map(str::to_string))
        })
    });
    group.finish();
    println!("encoded size: {} bytes", encoded.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
