use bytes::BytesMut;

use super::{DecodeError, Reader, TypeCode};

/// A value that can be written as a TARS field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a TARS type",
    label = "not encodable as TARS",
    note = "derive `TarsStruct` or `TarsEnum` for your own types; see the type table in `tars::codec`"
)]
pub trait TarsEncode {
    /// Appends `self` as the field `tag` (head and payload).
    fn encode(&self, tag: u8, buf: &mut BytesMut);

    /// Writes a slice of `Self` as the field `tag`. Lists are the default; byte types
    /// override this to write a SimpleList, which is how `vector<byte>` goes on the wire.
    #[doc(hidden)]
    fn encode_slice(items: &[Self], tag: u8, buf: &mut BytesMut)
    where
        Self: Sized,
    {
        super::write_list_header(buf, tag, items.len());
        for item in items {
            item.encode(0, buf);
        }
    }

    /// Whether `self` is an empty vector or map, which an optional field without an explicit
    /// default leaves out (see the module docs). `false` for every other type.
    #[doc(hidden)]
    fn is_empty_container(&self) -> bool {
        false
    }
}

/// Comparison of a field with its explicit IDL default, used to leave such optional fields
/// out. Floats compare bit for bit; `String` compares with a `&str` default.
#[doc(hidden)]
pub trait DefaultEq<D> {
    /// Whether `self` equals the default `d` on the wire.
    fn eq_default(&self, d: D) -> bool;
}

/// A value that can be read from a TARS field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a TARS type",
    label = "not decodable from TARS",
    note = "derive `TarsStruct` or `TarsEnum` for your own types; see the type table in `tars::codec`"
)]
pub trait TarsDecode: Sized {
    /// Reads the payload of a field whose head (of type `ty`) the reader has consumed.
    fn decode_value(r: &mut Reader<'_>, ty: TypeCode) -> Result<Self, DecodeError>;

    /// Reads a `Vec<Self>`; the default expects a List, byte types also accept SimpleList.
    #[doc(hidden)]
    fn decode_vec(r: &mut Reader<'_>, ty: TypeCode) -> Result<Vec<Self>, DecodeError> {
        if ty != TypeCode::List {
            return Err(r.mismatch("list", ty));
        }
        r.enter()?;
        let n = r.read_len(1)?;
        let capacity = super::reader::cautious_capacity::<Self>(n);
        // Past the preallocation the vector doubles as it grows: up to twice its length.
        let slots = if capacity < n { 2 * n } else { n };
        r.charge(slots.saturating_mul(std::mem::size_of::<Self>()))?;
        let mut out = Vec::with_capacity(capacity);
        for _ in 0..n {
            let ty = r.read_element_head()?;
            out.push(Self::decode_value(r, ty)?);
        }
        r.leave();
        Ok(out)
    }
}

/// A TARS struct: a sequence of tagged fields. Nested, it is framed by StructBegin/StructEnd;
/// at the top level of a message (e.g. `RequestPacket`), its fields stand alone.
///
/// Implemented by `#[derive(TarsStruct)]` and by `include_tars!`.
pub trait TarsStruct: Sized {
    /// The struct's TARS name, `Module.Name` for IDL structs.
    const NAME: &'static str;

    /// Writes the fields in ascending tag order, without struct marks.
    fn encode_fields(&self, buf: &mut BytesMut);

    /// Reads the fields; stops at the first head past the last known tag, at StructEnd, or at
    /// the end of input, leaving that head unread.
    fn decode_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// A TARS enum: an int32 on the wire. Implemented by `#[derive(TarsEnum)]`.
pub trait TarsEnum: Sized {
    /// The enum's TARS name.
    const NAME: &'static str;

    /// The wire value.
    fn to_i32(&self) -> i32;

    /// The variant for a wire value, `None` if the enum does not declare it.
    fn from_i32(value: i32) -> Option<Self>;
}
