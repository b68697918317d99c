//! The tars-rs demo: `cargo run --example demo`.
//!
//! Until the server and client land, the demo shows the codec: a struct with IDL-style tags
//! and defaults is encoded to the exact bytes TarsCpp, TarsGo and @tars/stream produce, and
//! decoded back.

use std::collections::BTreeMap;

use tars::codec::{self, DecodeError};
use tars::{TarsEnum, TarsStruct};

/// `enum Gender { MALE, FEMALE = 2 };`
#[derive(TarsEnum, Debug, Clone, Copy, PartialEq)]
enum Gender {
    Male = 0,
    Female = 2,
}

/// ```text
/// struct Person {
///     0 require string name;
///     1 optional int age = 18;
///     2 optional Gender gender = MALE;
///     3 optional map<string, string> labels;
///     15 optional vector<byte> avatar;
/// };
/// ```
#[derive(TarsStruct, Debug, Clone, PartialEq)]
#[tars(name = "Demo.Person", default)]
struct Person {
    #[tars(tag = 0, require)]
    name: String,
    #[tars(tag = 1, default = 18)]
    age: i32,
    #[tars(tag = 2, default = Gender::Male)]
    gender: Gender,
    #[tars(tag = 3)]
    labels: BTreeMap<String, String>,
    #[tars(tag = 15)]
    avatar: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), DecodeError> {
    let person = Person {
        name: "Ada".into(),
        age: 36,
        gender: Gender::Female,
        labels: BTreeMap::from([("team".into(), "tars".into())]),
        avatar: vec![0xCA, 0xFE],
    };
    let bytes = codec::to_bytes(&person);
    println!(
        "{person:?}\n  encodes to {} bytes: {}",
        bytes.len(),
        hex(&bytes)
    );
    let back: Person = codec::from_bytes(&bytes)?;
    assert_eq!(back, person);
    println!("  and decodes back to an equal value");

    // Optional fields equal to their defaults are left out of the wire.
    let minimal = Person {
        name: "Bob".into(),
        ..Person::default()
    };
    println!(
        "{minimal:?}\n  encodes to: {}",
        hex(&codec::to_bytes(&minimal))
    );

    // Hostile input gets a typed error, not a panic.
    let err = codec::from_slice::<Person>(&[0x07, 0x7f, 0xff, 0xff, 0xff, b'x']).unwrap_err();
    println!("a 2 GiB length prefix in a 6-byte buffer: {err}");
    Ok(())
}
