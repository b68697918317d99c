use std::fmt;

/// The 4-bit type code of a field head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TypeCode {
    /// 1-byte signed integer (`byte`, and any integer that fits).
    Int1 = 0,
    /// 2-byte signed integer.
    Int2 = 1,
    /// 4-byte signed integer.
    Int4 = 2,
    /// 8-byte signed integer.
    Int8 = 3,
    /// IEEE 754 single.
    Float = 4,
    /// IEEE 754 double.
    Double = 5,
    /// String with a 1-byte length.
    String1 = 6,
    /// String with a 4-byte length.
    String4 = 7,
    /// Map: length (int field at tag 0) then key (tag 0) / value (tag 1) pairs.
    Map = 8,
    /// List: length (int field at tag 0) then elements at tag 0.
    List = 9,
    /// Start of a nested struct.
    StructBegin = 10,
    /// End of a nested struct.
    StructEnd = 11,
    /// Numeric zero with no payload.
    Zero = 12,
    /// Byte vector: a `(tag 0, Int1)` head, the length as an int field at tag 0, raw bytes.
    SimpleList = 13,
}

impl TypeCode {
    /// The type code for a 4-bit value, or `None` for 14 and 15.
    pub const fn from_u8(v: u8) -> Option<TypeCode> {
        Some(match v {
            0 => TypeCode::Int1,
            1 => TypeCode::Int2,
            2 => TypeCode::Int4,
            3 => TypeCode::Int8,
            4 => TypeCode::Float,
            5 => TypeCode::Double,
            6 => TypeCode::String1,
            7 => TypeCode::String4,
            8 => TypeCode::Map,
            9 => TypeCode::List,
            10 => TypeCode::StructBegin,
            11 => TypeCode::StructEnd,
            12 => TypeCode::Zero,
            13 => TypeCode::SimpleList,
            _ => return None,
        })
    }

    /// The name used in error messages and by TarsCpp's diagnostics.
    pub const fn name(self) -> &'static str {
        match self {
            TypeCode::Int1 => "Int1",
            TypeCode::Int2 => "Int2",
            TypeCode::Int4 => "Int4",
            TypeCode::Int8 => "Int8",
            TypeCode::Float => "Float",
            TypeCode::Double => "Double",
            TypeCode::String1 => "String1",
            TypeCode::String4 => "String4",
            TypeCode::Map => "Map",
            TypeCode::List => "List",
            TypeCode::StructBegin => "StructBegin",
            TypeCode::StructEnd => "StructEnd",
            TypeCode::Zero => "ZeroTag",
            TypeCode::SimpleList => "SimpleList",
        }
    }
}

impl fmt::Display for TypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded field head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Head {
    /// Field tag, 0..=255.
    pub tag: u8,
    /// Type of the payload that follows.
    pub ty: TypeCode,
    /// Bytes the head itself takes (1, or 2 for tags ≥ 15).
    pub len: u8,
}
