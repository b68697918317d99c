//! Hostile input for every decoder: random bytes, and valid encodings that are truncated,
//! bit-flipped, spliced and given huge length prefixes. Decoding must return (Ok or a typed
//! error) without panicking, and the memory it allocates must stay proportional to the input.
//!
//! The binary's counting allocator measures the peak heap use of each decode.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::Relaxed;

use tars::bytes::{Bytes, BytesMut};
use tars::codec::{BinaryString, Reader, TarsDecode, TarsEncode};
use tars::{TarsEnum, TarsStruct};

use crate::{LIVE, PEAK, TURN};

#[derive(TarsEnum, Debug, PartialEq, Clone, Copy, Default)]
enum Kind {
    #[default]
    A = 0,
    B = 7,
}

#[derive(TarsStruct, Debug, PartialEq, Clone, Default)]
struct Leaf {
    #[tars(tag = 0, require)]
    id: i64,
    #[tars(tag = 1)]
    name: String,
    #[tars(tag = 2)]
    kind: Kind,
}

#[derive(TarsStruct, Debug, PartialEq, Clone, Default)]
struct Rich {
    #[tars(tag = 0, require)]
    b: bool,
    #[tars(tag = 1)]
    i8_: i8,
    #[tars(tag = 2)]
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
    f: f32,
    #[tars(tag = 9)]
    d: f64,
    #[tars(tag = 10)]
    s: String,
    #[tars(tag = 11)]
    bin: BinaryString,
    #[tars(tag = 12)]
    bytes: Bytes,
    #[tars(tag = 13)]
    vbytes: Vec<u8>,
    #[tars(tag = 15)]
    list: Vec<Leaf>,
    #[tars(tag = 16)]
    map: HashMap<String, Vec<Leaf>>,
    #[tars(tag = 200)]
    tree: BTreeMap<i32, Vec<Vec<String>>>,
    #[tars(tag = 201)]
    leaf: Leaf,
}

fn sample() -> Rich {
    let leaf = Leaf {
        id: 1 << 40,
        name: "leaf".into(),
        kind: Kind::B,
    };
    Rich {
        b: true,
        i8_: -3,
        i16_: 300,
        i32_: -70000,
        i64_: i64::MIN,
        u8_: 200,
        u16_: 60000,
        u32_: 4_000_000_000,
        f: 1.5,
        d: -2.25,
        s: "héllo".into(),
        bin: BinaryString::from(vec![0xff, 0x00]),
        bytes: Bytes::from_static(&[1, 2, 3]),
        vbytes: vec![9; 40],
        list: vec![leaf.clone(); 3],
        map: HashMap::from([("k".into(), vec![leaf.clone()])]),
        tree: BTreeMap::from([(1, vec![vec!["a".into()], vec![]])]),
        leaf,
    }
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Decodes `input` as `T` at tag 0 and as a top-level struct, checking the heap peak.
fn decode_all_ways<T: TarsDecode>(input: &[u8]) {
    let bytes = Bytes::copy_from_slice(input);
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let r1 = Reader::from_bytes(&bytes).read_field::<T>(0);
    let r2 = Reader::new(input).read_field::<T>(3);
    let peak = PEAK.load(Relaxed) - base;
    drop((r1, r2));
    // Every allocation is justified by input bytes, except the 1 MiB preallocation cap.
    let bound = (1 << 20) + 512 * input.len();
    assert!(
        peak <= bound,
        "decoding {} bytes as {} used {peak} bytes of heap",
        input.len(),
        std::any::type_name::<T>()
    );
}

fn decode_with_every_decoder(input: &[u8]) {
    decode_all_ways::<bool>(input);
    decode_all_ways::<i8>(input);
    decode_all_ways::<i16>(input);
    decode_all_ways::<i32>(input);
    decode_all_ways::<i64>(input);
    decode_all_ways::<u8>(input);
    decode_all_ways::<u16>(input);
    decode_all_ways::<u32>(input);
    decode_all_ways::<f32>(input);
    decode_all_ways::<f64>(input);
    decode_all_ways::<String>(input);
    decode_all_ways::<BinaryString>(input);
    decode_all_ways::<Bytes>(input);
    decode_all_ways::<Vec<u8>>(input);
    decode_all_ways::<Vec<i64>>(input);
    decode_all_ways::<Vec<String>>(input);
    decode_all_ways::<Vec<Vec<Rich>>>(input);
    decode_all_ways::<HashMap<String, i32>>(input);
    decode_all_ways::<BTreeMap<i64, Vec<Leaf>>>(input);
    decode_all_ways::<Kind>(input);
    decode_all_ways::<Leaf>(input);
    decode_all_ways::<Rich>(input);
    let _ = tars::codec::from_slice::<Rich>(input);
}

#[test]
fn hostile_bytes_never_panic_and_memory_stays_bounded() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // Valid encodings to mutate: the sample at tag 0, nested in lists, and top-level.
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let mut buf = BytesMut::new();
    sample().encode(0, &mut buf);
    seeds.push(buf.to_vec());
    seeds.push(tars::codec::to_bytes(&sample()).to_vec());
    let mut buf = BytesMut::new();
    vec![vec![sample(); 2]; 2].encode(0, &mut buf);
    seeds.push(buf.to_vec());

    // Pure random bytes, of every small length.
    for len in 0..2_000 {
        let input: Vec<u8> = (0..len % 64).map(|_| rng.next() as u8).collect();
        decode_with_every_decoder(&input);
    }

    // Mutations of valid encodings.
    for round in 0..3_000 {
        let mut input = seeds[round % seeds.len()].clone();
        match rng.below(5) {
            0 => input.truncate(rng.below(input.len() + 1)),
            1 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(input.len());
                    input[i] ^= 1 << rng.below(8);
                }
            }
            2 => {
                // A huge big-endian length where a length or size may be.
                let i = rng.below(input.len().saturating_sub(4).max(1));
                let huge = [0x7f, 0xff, 0xff, 0xff];
                for (k, b) in huge.iter().enumerate() {
                    if let Some(x) = input.get_mut(i + k) {
                        *x = *b;
                    }
                }
            }
            3 => {
                let i = rng.below(input.len());
                let j = rng.below(input.len());
                let chunk: Vec<u8> = input[i.min(j)..i.max(j)].to_vec();
                let at = rng.below(input.len());
                input.splice(at..at, chunk);
            }
            _ => {
                let i = rng.below(input.len());
                input[i] = rng.next() as u8;
            }
        }
        decode_with_every_decoder(&input);
    }

    // Large claimed lengths on tiny inputs, for each container head.
    for head in [0x07u8, 0x08, 0x09, 0x0d] {
        let mut input = vec![head];
        if head == 0x0d {
            input.push(0x00);
        }
        input.extend_from_slice(&[0x02, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x01]);
        decode_with_every_decoder(&input);
    }

    // And the valid sample still decodes (the mutations did not break the seeds).
    let back: Rich = tars::codec::decode_field(&Bytes::from(seeds[0].clone()), 0)
        .unwrap()
        .unwrap();
    assert_eq!(back, sample());
}
