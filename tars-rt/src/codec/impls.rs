//! Codec impls for std types and `bytes::Bytes`.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use bytes::{Bytes, BytesMut};

use super::reader::{cautious_capacity, ByteVec};
use super::{
    write_f32, write_f64, write_int, write_map_header, write_simple_list, write_string_bytes, DecodeError, DefaultEq,
    Reader, TarsDecode, TarsEncode, TypeCode,
};

macro_rules! default_eq_by_value {
    ($($t:ty),*) => {$(
        impl DefaultEq<$t> for $t {
            #[inline]
            fn eq_default(&self, d: $t) -> bool {
                *self == d
            }
        }
    )*};
}

default_eq_by_value!(bool, i8, i16, i32, i64, u8, u16, u32);

impl DefaultEq<f32> for f32 {
    #[inline]
    fn eq_default(&self, d: f32) -> bool {
        self.to_bits() == d.to_bits()
    }
}

impl DefaultEq<f64> for f64 {
    #[inline]
    fn eq_default(&self, d: f64) -> bool {
        self.to_bits() == d.to_bits()
    }
}

impl DefaultEq<&str> for String {
    #[inline]
    fn eq_default(&self, d: &str) -> bool {
        self == d
    }
}

macro_rules! int_impl {
    ($($t:ty => $widest:ident, $name:literal;)*) => {$(
        impl TarsEncode for $t {
            #[inline]
            fn encode(&self, tag: u8, buf: &mut BytesMut) {
                write_int(buf, tag, *self as i64);
            }
        }

        impl TarsDecode for $t {
            #[inline]
            fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
                let v = r.read_int(ty, TypeCode::$widest, $name)?;
                <$t>::try_from(v).map_err(|_| DecodeError::OutOfRange { value: v, target: $name })
            }
        }
    )*};
}

int_impl! {
    i16 => Int2, "short";
    i32 => Int4, "int";
    i64 => Int8, "long";
    u16 => Int4, "unsigned short";
    u32 => Int8, "unsigned int";
}

// `byte` and `unsigned byte` write a slice as a SimpleList, the `vector<byte>` layout, and
// read one from SimpleList or List.
macro_rules! byte_impl {
    ($($t:ty => $widest:ident, $name:literal;)*) => {$(
        impl TarsEncode for $t {
            #[inline]
            fn encode(&self, tag: u8, buf: &mut BytesMut) {
                write_int(buf, tag, *self as i64);
            }
            fn encode_slice(items: &[Self], tag: u8, buf: &mut BytesMut) {
                write_simple_list(buf, tag, as_u8_slice(items));
            }
        }

        impl TarsDecode for $t {
            #[inline]
            fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
                let v = r.read_int(ty, TypeCode::$widest, $name)?;
                <$t>::try_from(v).map_err(|_| DecodeError::OutOfRange { value: v, target: $name })
            }
            fn decode_vec(r: &mut Reader<'_>, ty: TypeCode) -> Result<Vec<Self>, DecodeError> {
                Ok(match r.read_byte_vec(ty)? {
                    ByteVec::Borrowed(s) => {
                        r.charge(s.len())?;
                        s.iter().map(|&b| b as $t).collect()
                    }
                    ByteVec::Owned(v) => v.into_iter().map(|b| b as $t).collect(),
                })
            }
        }
    )*};
}

byte_impl! {
    i8 => Int1, "byte";
    u8 => Int2, "unsigned byte";
}

trait ByteLike: Copy {}
impl ByteLike for u8 {}
impl ByteLike for i8 {}

fn as_u8_slice<T: ByteLike>(items: &[T]) -> &[u8] {
    // SAFETY: `T` is `u8` or `i8` (sealed by `ByteLike`): both are one byte with alignment 1
    // and every bit pattern valid, so a `[T]` is a valid `[u8]` of the same length.
    unsafe { std::slice::from_raw_parts(items.as_ptr().cast::<u8>(), items.len()) }
}

impl TarsEncode for bool {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_int(buf, tag, *self as i64);
    }
}

impl TarsDecode for bool {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        Ok(r.read_int(ty, TypeCode::Int1, "bool")? != 0)
    }
}

impl TarsEncode for f32 {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_f32(buf, tag, *self);
    }
}

impl TarsDecode for f32 {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        r.read_f32(ty)
    }
}

impl TarsEncode for f64 {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_f64(buf, tag, *self);
    }
}

impl TarsDecode for f64 {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        r.read_f64(ty)
    }
}

impl TarsEncode for str {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_string_bytes(buf, tag, self.as_bytes());
    }
}

impl TarsEncode for String {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_string_bytes(buf, tag, self.as_bytes());
    }
}

impl TarsDecode for String {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        let s = r.read_str(ty)?;
        r.charge(heap_size(s.len()))?;
        Ok(s.to_owned())
    }
}

impl TarsEncode for Bytes {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        write_simple_list(buf, tag, self);
    }
    fn is_empty_container(&self) -> bool {
        self.is_empty()
    }
}

impl TarsDecode for Bytes {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        Ok(match r.read_byte_vec(ty)? {
            ByteVec::Borrowed(s) => {
                if !r.is_zero_copy() {
                    r.charge(s.len())?;
                }
                r.to_bytes(s)
            }
            ByteVec::Owned(v) => Bytes::from(v),
        })
    }
}

impl<T: TarsEncode> TarsEncode for [T] {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        T::encode_slice(self, tag, buf);
    }
    fn is_empty_container(&self) -> bool {
        self.is_empty()
    }
}

impl<T: TarsEncode> TarsEncode for Vec<T> {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        T::encode_slice(self, tag, buf);
    }
    fn is_empty_container(&self) -> bool {
        self.is_empty()
    }
}

impl<T: TarsDecode> TarsDecode for Vec<T> {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        T::decode_vec(r, ty)
    }
}

fn encode_map<'a, K, V, I>(buf: &mut BytesMut, tag: u8, len: usize, entries: I)
where
    K: TarsEncode + 'a,
    V: TarsEncode + 'a,
    I: Iterator<Item = (&'a K, &'a V)>,
{
    write_map_header(buf, tag, len);
    for (k, v) in entries {
        k.encode(0, buf);
        v.encode(1, buf);
    }
}

/// What a map entry of `K` and `V` costs, for the decode budget: B-tree nodes filled in key
/// order stay about half full (hash tables keep similar slack), so twice the entry.
const fn map_entry_size<K, V>() -> usize {
    2 * (std::mem::size_of::<K>() + std::mem::size_of::<V>()) + 16
}

/// What a heap allocation of `len` bytes costs: glibc's smallest chunk is 32 bytes, and each
/// carries a header.
#[inline]
pub(crate) const fn heap_size(len: usize) -> usize {
    if len == 0 {
        0
    } else if len < 24 {
        32
    } else {
        len + 16
    }
}

/// Reads a Map payload into the map `new` makes for its length, handing each entry to
/// `insert`.
fn decode_map<K, V, M>(
    r: &mut Reader<'_>,
    ty: TypeCode,
    new: impl FnOnce(usize) -> M,
    mut insert: impl FnMut(&mut M, K, V),
) -> Result<M, DecodeError>
where
    K: TarsDecode,
    V: TarsDecode,
{
    if ty != TypeCode::Map {
        return Err(r.mismatch("map", ty));
    }
    r.enter()?;
    // Each entry takes at least two heads.
    let n = r.read_len(2)?;
    r.charge(n.saturating_mul(map_entry_size::<K, V>()))?;
    let mut map = new(n);
    for _ in 0..n {
        let kty = r.read_head_with_tag(0)?;
        let k = K::decode_value(r, kty)?;
        let vty = r.read_head_with_tag(1)?;
        let v = V::decode_value(r, vty)?;
        insert(&mut map, k, v);
    }
    r.leave();
    Ok(map)
}

impl<K: TarsEncode, V: TarsEncode, S> TarsEncode for HashMap<K, V, S> {
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        encode_map(buf, tag, self.len(), self.iter());
    }
    fn is_empty_container(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V, S> TarsDecode for HashMap<K, V, S>
where
    K: TarsDecode + Eq + Hash,
    V: TarsDecode,
    S: BuildHasher + Default,
{
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        // Sized once for the length read: growing rehashes every entry at each doubling.
        decode_map(
            r,
            ty,
            |n| HashMap::with_capacity_and_hasher(cautious_capacity::<(K, V)>(n), S::default()),
            |map, k, v| {
                map.insert(k, v);
            },
        )
    }
}

impl<K: TarsEncode, V: TarsEncode> TarsEncode for BTreeMap<K, V> {
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        encode_map(buf, tag, self.len(), self.iter());
    }
    fn is_empty_container(&self) -> bool {
        self.is_empty()
    }
}

impl<K: TarsDecode + Ord, V: TarsDecode> TarsDecode for BTreeMap<K, V> {
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        decode_map(
            r,
            ty,
            |_| BTreeMap::new(),
            |map, k, v| {
                map.insert(k, v);
            },
        )
    }
}

impl<T: TarsEncode + ?Sized> TarsEncode for &T {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        (**self).encode(tag, buf);
    }
    fn is_empty_container(&self) -> bool {
        (**self).is_empty_container()
    }
}

impl<T: TarsEncode> TarsEncode for Box<T> {
    #[inline]
    fn encode(&self, tag: u8, buf: &mut BytesMut) {
        (**self).encode(tag, buf);
    }
    fn is_empty_container(&self) -> bool {
        (**self).is_empty_container()
    }
}

impl<T: TarsDecode> TarsDecode for Box<T> {
    #[inline]
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError> {
        r.charge(std::mem::size_of::<T>())?;
        T::decode_value(r, ty).map(Box::new)
    }
}
