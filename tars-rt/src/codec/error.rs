use super::TypeCode;

/// Why bytes could not be decoded.
///
/// Errors inside a struct field are wrapped in [`DecodeError::Field`], so the message names the
/// path to the bad value: `in Outer.inner (tag 6): in Tagged.b (tag 14): invalid UTF-8 …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of a head or a payload.
    #[error("unexpected end of input at offset {offset}: {needed} more byte(s) needed")]
    UnexpectedEof {
        /// Offset where the read started.
        offset: usize,
        /// Bytes that were missing.
        needed: usize,
    },
    /// A head carried type code 14 or 15.
    #[error("invalid type code {code} at offset {offset}")]
    InvalidTypeCode {
        /// The 4-bit code.
        code: u8,
        /// Offset of the head.
        offset: usize,
    },
    /// The wire type cannot be read as the requested Rust type.
    #[error("type mismatch at offset {offset}: expected {expected}, found {found}")]
    TypeMismatch {
        /// What the reader wanted, e.g. `"int32"`.
        expected: &'static str,
        /// What the head said.
        found: TypeCode,
        /// Offset just after the head.
        offset: usize,
    },
    /// A list, map or length field had the wrong tag.
    #[error("unexpected tag {found} at offset {offset} (expected {expected})")]
    UnexpectedTag {
        /// The tag the layout requires.
        expected: u8,
        /// The tag found.
        found: u8,
        /// Offset of the head.
        offset: usize,
    },
    /// A length prefix was negative.
    #[error("negative length {len} at offset {offset}")]
    NegativeLength {
        /// The length read.
        len: i64,
        /// Offset after the length.
        offset: usize,
    },
    /// A length prefix promised more than the input holds.
    #[error("length {len} at offset {offset} exceeds the {remaining} byte(s) remaining")]
    LengthTooLarge {
        /// The length read (elements or bytes).
        len: u64,
        /// Bytes left in the input.
        remaining: usize,
        /// Offset after the length.
        offset: usize,
    },
    /// A `string` field was not UTF-8; use [`BinaryString`](super::BinaryString) to accept it.
    #[error("invalid UTF-8 in string at offset {offset}")]
    InvalidUtf8 {
        /// Offset of the string payload.
        offset: usize,
    },
    /// The decoded values would take more memory than the reader may use
    /// ([`Reader::with_budget`](super::Reader::with_budget),
    /// [`Reader::with_allowance`](super::Reader::with_allowance)).
    #[error("decoding needs more memory than it is allowed ({charged} bytes so far)")]
    MemoryLimit {
        /// Heap bytes the values decoded so far take.
        charged: usize,
    },
    /// An integer did not fit the target type (e.g. 300 into `unsigned byte`).
    #[error("value {value} out of range for {target}")]
    OutOfRange {
        /// The decoded value.
        value: i64,
        /// Target type.
        target: &'static str,
    },
    /// An enum value the Rust enum does not declare.
    #[error("unknown value {value} for enum {name}")]
    UnknownEnumValue {
        /// The enum's name.
        name: &'static str,
        /// The int32 on the wire.
        value: i32,
    },
    /// Structs, lists and maps nested deeper than the reader allows.
    #[error("nesting deeper than {max} levels at offset {offset}")]
    TooDeep {
        /// The reader's limit.
        max: u16,
        /// Offset where the limit was hit.
        offset: usize,
    },
    /// A `require` field is absent.
    #[error("required field {struct_name}.{field} (tag {tag}) is missing")]
    MissingRequired {
        /// Struct name.
        struct_name: &'static str,
        /// Field name as in the IDL.
        field: &'static str,
        /// Field tag.
        tag: u8,
    },
    /// The input ended inside a nested struct before its StructEnd.
    #[error("struct not terminated: input ended at offset {offset} before StructEnd")]
    UnterminatedStruct {
        /// Offset of the end of input.
        offset: usize,
    },
    /// An error inside a struct field.
    #[error("in {struct_name}.{field} (tag {tag}): {source}")]
    Field {
        /// Struct name.
        struct_name: &'static str,
        /// Field name as in the IDL.
        field: &'static str,
        /// Field tag.
        tag: u8,
        /// What went wrong inside.
        source: Box<DecodeError>,
    },
    /// A free-form error from a hand-written decoder.
    #[error("{0}")]
    Custom(String),
}

impl DecodeError {
    /// The innermost error, looking through [`DecodeError::Field`] wrappers.
    pub fn root(&self) -> &DecodeError {
        match self {
            DecodeError::Field { source, .. } => source.root(),
            other => other,
        }
    }
}
