//! Field writers. Each appends one complete field (head + payload) to a `BytesMut`.

use bytes::{BufMut, BytesMut};

use super::TypeCode;

/// Writes a field head: one byte for tags below 15, two otherwise.
#[inline]
pub fn write_head(buf: &mut BytesMut, tag: u8, ty: TypeCode) {
    if tag < 15 {
        buf.put_u8((tag << 4) | ty as u8);
    } else {
        buf.put_slice(&[0xF0 | ty as u8, tag]);
    }
}

/// Writes an integer in the narrowest encoding that holds it (zero has no payload).
#[inline]
pub fn write_int(buf: &mut BytesMut, tag: u8, v: i64) {
    if v == 0 {
        write_head(buf, tag, TypeCode::Zero);
    } else if v >= i8::MIN as i64 && v <= i8::MAX as i64 {
        write_head(buf, tag, TypeCode::Int1);
        buf.put_i8(v as i8);
    } else if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
        write_head(buf, tag, TypeCode::Int2);
        buf.put_i16(v as i16);
    } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
        write_head(buf, tag, TypeCode::Int4);
        buf.put_i32(v as i32);
    } else {
        write_head(buf, tag, TypeCode::Int8);
        buf.put_i64(v);
    }
}

/// Writes a `float` (always 4 bytes, never ZeroTag, like every TARS writer).
#[inline]
pub fn write_f32(buf: &mut BytesMut, tag: u8, v: f32) {
    write_head(buf, tag, TypeCode::Float);
    buf.put_f32(v);
}

/// Writes a `double` (always 8 bytes).
#[inline]
pub fn write_f64(buf: &mut BytesMut, tag: u8, v: f64) {
    write_head(buf, tag, TypeCode::Double);
    buf.put_f64(v);
}

/// Writes a `string` from raw bytes: String1 up to 255 bytes, String4 above.
///
/// Strings of 4 GiB or more cannot be represented; TARS frames are capped far below that
/// (10 MiB by default) and the transport rejects such frames before they are sent.
#[inline]
pub fn write_string_bytes(buf: &mut BytesMut, tag: u8, s: &[u8]) {
    if s.len() <= 255 {
        write_head(buf, tag, TypeCode::String1);
        buf.put_u8(s.len() as u8);
    } else {
        write_head(buf, tag, TypeCode::String4);
        buf.put_u32(len_u32(s.len()));
    }
    buf.put_slice(s);
}

/// Writes a `vector<byte>` as a SimpleList.
#[inline]
pub fn write_simple_list(buf: &mut BytesMut, tag: u8, bytes: &[u8]) {
    write_head(buf, tag, TypeCode::SimpleList);
    write_head(buf, 0, TypeCode::Int1);
    write_int(buf, 0, bytes.len() as i64);
    buf.put_slice(bytes);
}

/// Writes the head and length of a List; the caller then writes `len` elements at tag 0.
#[inline]
pub fn write_list_header(buf: &mut BytesMut, tag: u8, len: usize) {
    write_head(buf, tag, TypeCode::List);
    write_int(buf, 0, len_u32(len) as i64);
}

/// Writes the head and length of a Map; the caller then writes `len` key (tag 0) / value
/// (tag 1) pairs.
#[inline]
pub fn write_map_header(buf: &mut BytesMut, tag: u8, len: usize) {
    write_head(buf, tag, TypeCode::Map);
    write_int(buf, 0, len_u32(len) as i64);
}

/// Writes a StructBegin head.
#[inline]
pub fn write_struct_begin(buf: &mut BytesMut, tag: u8) {
    write_head(buf, tag, TypeCode::StructBegin);
}

/// Writes a StructEnd head (always tag 0).
#[inline]
pub fn write_struct_end(buf: &mut BytesMut) {
    write_head(buf, 0, TypeCode::StructEnd);
}

#[inline]
fn len_u32(len: usize) -> u32 {
    debug_assert!(u32::try_from(len).is_ok(), "TARS lengths are 32-bit");
    len as u32
}
