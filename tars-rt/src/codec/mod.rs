//! The TARS binary encoding (also called JCE), byte-compatible with TarsCpp, TarsGo, TarsJava
//! and `@tars/stream`.
//!
//! This module owns values on the wire and nothing else: it knows no sockets, packets or tokio.
//! A value is a *field*: a head (`tag << 4 | type`, with a second byte for tags ≥ 15) followed
//! by a payload. Everything is big-endian. Writers pick the narrowest integer encoding (zero is
//! the payload-less [`TypeCode::Zero`]); readers accept any narrower encoding than the target
//! and skip fields and types they do not know, which is how TARS structs evolve.
//!
//! # Rust ↔ TARS types
//!
//! | TARS | Rust | wire |
//! |---|---|---|
//! | `bool` | `bool` | int (0/1) |
//! | `byte` | `i8` | int1 |
//! | `short`, `int`, `long` | `i16`, `i32`, `i64` | narrowest int |
//! | `unsigned byte/short/int` | `u8`, `u16`, `u32` | as `short`, `int`, `long` (like TarsCpp and TarsGo) |
//! | `float`, `double` | `f32`, `f64` | always full width |
//! | `string` | `String` (UTF-8 checked) or [`BinaryString`] (any bytes) | String1 / String4 |
//! | `vector<byte>` | `Vec<u8>`, `Vec<i8>` or [`bytes::Bytes`] (zero-copy) | SimpleList; List accepted |
//! | `vector<unsigned byte>` | `Vec<UByte>` | List of `short` |
//! | `vector<T>` | `Vec<T>` | List |
//! | `map<K, V>` | `BTreeMap<K, V>` (IDL; ordered like TarsCpp's `std::map`), `HashMap<K, V>` | Map |
//! | struct | `#[derive(TarsStruct)]` | StructBegin … StructEnd |
//! | enum | `#[derive(TarsEnum)]` | int32 |
//!
//! C++ peers put arbitrary bytes in `string` fields. Decoding such a field into `String` fails
//! with [`DecodeError::InvalidUtf8`]; declare the field as [`BinaryString`] to receive it as is.
//!
//! # Optional fields
//!
//! Writers may leave out an optional field whose value the reader will assume anyway, and
//! the implementations disagree on when (TarsGo also skips zero values; tars2cpp-generated
//! code initializes a `bool` without a default to `true`, so a skipped `false` would read as
//! `true` there). tars-rs follows TarsCpp's rule, which every peer reads correctly: **an
//! optional field is left out when it equals its explicit IDL default** (floats compare bit
//! for bit), **or when it is an empty vector or map without a default**. Every other field,
//! including every `require` field and every optional scalar, string, enum or struct without an
//! explicit default, is written. On decode, an absent optional field keeps its default, so
//! bytes from TarsCpp, TarsGo or `@tars/stream` (which writes every field) decode alike.
//!
//! # Hostile input
//!
//! Decoding never panics. Lengths are checked against the bytes that remain before anything
//! is allocated, so a 2^31 length prefix in a 10-byte buffer fails at once, and nesting of
//! structs, lists and maps is capped at [`Reader::DEFAULT_MAX_DEPTH`].

mod binary_string;
mod error;
#[doc(hidden)]
pub mod generated;
mod head;
mod impls;
mod reader;
mod traits;
mod writer;

pub use binary_string::{BinaryString, UByte};
pub use error::DecodeError;
pub use head::{Head, TypeCode};
pub use reader::{Allowance, ByteVec, Reader};
pub use traits::{DefaultEq, TarsDecode, TarsEncode, TarsEnum, TarsStruct};
pub use writer::*;

use bytes::{Bytes, BytesMut};

/// Encodes the fields of `value` (no struct begin/end marks), the layout of a top-level TARS
/// message such as a `RequestPacket`.
/// To encode into an existing buffer, call [`TarsStruct::encode_fields`].
pub fn to_bytes<T: TarsStruct>(value: &T) -> Bytes {
    let mut buf = BytesMut::with_capacity(64);
    value.encode_fields(&mut buf);
    buf.freeze()
}

/// Encodes with `write` and returns the bytes, in one allocation of their exact size when
/// they are small.
///
/// Encoding into a fresh `BytesMut` allocates as it grows, and freezing one that is not full
/// allocates again (its shared header); this encodes into a buffer each thread keeps for
/// the purpose and copies the result out once. Past 64 KiB the buffer itself is returned
/// instead (a large message is not copied). Requests, replies and arguments are built this
/// way.
pub fn encode_exact(write: impl FnOnce(&mut BytesMut)) -> Bytes {
    /// A scratch buffer that grew past this is let go after use, not kept by the thread.
    const KEEP: usize = 64 * 1024;
    thread_local! {
        static SCRATCH: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
    }
    let mut write = Some(write);
    let pooled = SCRATCH.try_with(|scratch| {
        // Busy only if `write` itself encodes something this way: it gets a buffer of its own.
        let mut buf = scratch.try_borrow_mut().ok()?;
        let write = write.take()?;
        buf.clear();
        write(&mut buf);
        if buf.len() > KEEP {
            // Large: the buffer itself becomes the bytes (no copy of a big message, no second
            // buffer of its size), and the thread starts a fresh small one next time.
            return Some(std::mem::take(&mut *buf).freeze());
        }
        let out = Bytes::copy_from_slice(&buf);
        if buf.capacity() > KEEP {
            *buf = BytesMut::new();
        }
        Some(out)
    });
    if let Ok(Some(out)) = pooled {
        return out;
    }
    // No scratch buffer to be had (it is in use, or the thread is exiting).
    let mut buf = BytesMut::new();
    if let Some(write) = write {
        write(&mut buf);
    }
    buf.freeze()
}

/// Decodes a top-level message written by [`to_bytes`] (or by any TARS peer). `bytes` fields
/// of the result share `bytes`' memory.
pub fn from_bytes<T: TarsStruct>(bytes: &Bytes) -> Result<T, DecodeError> {
    T::decode_fields(&mut Reader::from_bytes(bytes))
}

/// Decodes a top-level message from a borrowed slice (byte fields are copied).
pub fn from_slice<T: TarsStruct>(bytes: &[u8]) -> Result<T, DecodeError> {
    T::decode_fields(&mut Reader::new(bytes))
}

/// Encodes one value as the field `tag`.
pub fn encode_field<T: TarsEncode + ?Sized>(value: &T, tag: u8) -> Bytes {
    let mut buf = BytesMut::new();
    value.encode(tag, &mut buf);
    buf.freeze()
}

/// Decodes the field `tag` from a sequence of fields; `Ok(None)` if it is absent.
pub fn decode_field<T: TarsDecode>(bytes: &Bytes, tag: u8) -> Result<Option<T>, DecodeError> {
    Reader::from_bytes(bytes).read_field(tag)
}

#[cfg(test)]
mod tests;
