use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

use super::{write_string_bytes, DecodeError, DefaultEq, Reader, TarsDecode, TarsEncode, TypeCode};

/// A TARS `string` that may hold any bytes.
///
/// TarsCpp's `std::string` carries arbitrary bytes (GBK text, binary blobs), which a Rust
/// `String` cannot hold. Declare such fields as `BinaryString`: it is encoded exactly like
/// `String` (String1/String4) but decodes without a UTF-8 check, sharing the input's memory.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BinaryString(pub Bytes);

impl BinaryString {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if it is UTF-8.
    pub fn to_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }

    /// The text, with invalid UTF-8 replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl fmt::Debug for BinaryString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl Deref for BinaryString {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for BinaryString {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for BinaryString {
    fn from(s: &str) -> Self {
        BinaryString(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for BinaryString {
    fn from(s: String) -> Self {
        BinaryString(Bytes::from(s))
    }
}

impl From<Vec<u8>> for BinaryString {
    fn from(v: Vec<u8>) -> Self {
        BinaryString(Bytes::from(v))
    }
}

impl From<Bytes> for BinaryString {
    fn from(b: Bytes) -> Self {
        BinaryString(b)
    }
}

impl TarsEncode for BinaryString {
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_string_bytes(buf, tag, &self.0);
    }
}

impl TarsDecode for BinaryString {
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        let s = r.read_string_bytes(ty)?;
        if !r.is_zero_copy() {
            r.charge(s.len())?;
        }
        Ok(BinaryString(r.to_bytes(s)))
    }
}

impl DefaultEq<&str> for BinaryString {
    fn eq_default(&self, d: &str) -> bool {
        self.0 == d.as_bytes()
    }
}

/// An `unsigned byte` as an element of `vector<unsigned byte>`.
///
/// A `Vec<u8>` is `vector<byte>` on the wire (a SimpleList of raw bytes); TARS encodes
/// `vector<unsigned byte>` differently, as a List of `short`s, and this element type keeps
/// that layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UByte(pub u8);

impl From<u8> for UByte {
    fn from(v: u8) -> Self {
        UByte(v)
    }
}

impl From<UByte> for u8 {
    fn from(v: UByte) -> Self {
        v.0
    }
}

impl TarsEncode for UByte {
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        super::write_int(buf, tag, self.0 as i64);
    }
}

impl TarsDecode for UByte {
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        u8::decode_value(r, ty).map(UByte)
    }
}
