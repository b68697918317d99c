//! The field reader: heads, skipping, bounded lengths and depth.

use bytes::Bytes;

use super::{DecodeError, Head, TarsDecode, TypeCode};

/// A cursor over TARS-encoded bytes.
///
/// Built with [`Reader::from_bytes`], byte-vector fields decoded as [`Bytes`] are slices of
/// the input (no copy); built with [`Reader::new`] over a plain slice, they are copied.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    owner: Option<&'a Bytes>,
    depth: u16,
    max_depth: u16,
    /// Heap bytes the decoded values take so far, what has been drawn for them, the most
    /// they may take, and where they are drawn from.
    charged: usize,
    drawn: usize,
    budget: usize,
    allowance: Option<&'a dyn Allowance>,
}

/// Memory a [`Reader`] draws from as it decodes (a server's per-request share of its memory
/// budget).
pub trait Allowance {
    /// Takes `bytes` more; `false` if they are not available.
    fn draw(&self, bytes: usize) -> bool;
}

impl std::fmt::Debug for dyn Allowance + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Allowance")
    }
}

impl<'a> Reader<'a> {
    /// Nesting limit for structs, lists and maps (and for skipping them).
    pub const DEFAULT_MAX_DEPTH: u16 = 100;

    /// A reader over a borrowed slice.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            owner: None,
            depth: 0,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            charged: 0,
            drawn: 0,
            budget: usize::MAX,
            allowance: None,
        }
    }

    /// A reader over shared bytes; `Bytes` fields are decoded as zero-copy slices.
    pub fn from_bytes(bytes: &'a Bytes) -> Self {
        Reader {
            owner: Some(bytes),
            ..Reader::new(bytes)
        }
    }

    /// Sets the nesting limit.
    pub fn with_max_depth(mut self, max_depth: u16) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Caps the heap memory the decoded values may take, in bytes. One byte on the wire can
    /// become many in memory (an empty string is two bytes on the wire and a 24-byte
    /// `String` in a `Vec`), so a server bounds what a request may cost once decoded:
    /// collections and strings charge their size as they are read, and decoding fails with
    /// [`DecodeError::MemoryLimit`] past `bytes`. Unlimited by default.
    pub fn with_budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// Draws the memory the decoded values take from `allowance` as decoding goes (in
    /// chunks, so a shared allowance is touched rarely); decoding fails with
    /// [`DecodeError::MemoryLimit`] when it refuses.
    pub fn with_allowance(mut self, allowance: &'a dyn Allowance) -> Self {
        self.allowance = Some(allowance);
        self
    }

    /// Heap bytes charged so far by the values decoded (see [`Reader::with_budget`]).
    pub fn charged(&self) -> usize {
        self.charged
    }

    /// Charges `bytes` of heap memory (see [`Reader::with_budget`]); decoders of
    /// collections call it before they allocate.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Result<(), DecodeError> {
        self.charged = self.charged.saturating_add(bytes);
        if self.charged > self.drawn {
            self.draw()?;
        }
        Ok(())
    }

    #[cold]
    fn draw(&mut self) -> Result<(), DecodeError> {
        // Draws double (4 KiB, 8 KiB, …): a small message draws once, a large one a few
        // times, and what is drawn but not used stays below what is used.
        const FIRST: usize = 4 * 1024;
        if self.charged > self.budget {
            return Err(DecodeError::MemoryLimit { charged: self.charged });
        }
        let chunk = (self.charged - self.drawn)
            .max(self.drawn)
            .max(FIRST)
            .min(self.budget - self.drawn);
        if let Some(allowance) = self.allowance {
            if !allowance.draw(chunk) {
                return Err(DecodeError::MemoryLimit { charged: self.charged });
            }
        }
        self.drawn += chunk;
        Ok(())
    }

    /// Whether byte fields decode as slices of the input (built with [`Reader::from_bytes`])
    /// rather than copies.
    pub fn is_zero_copy(&self) -> bool {
        self.owner.is_some()
    }

    /// Current offset in the input.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Reads the field `tag` as `T`, skipping lower tags. `Ok(None)` if the field is absent,
    /// i.e. the input or the enclosing struct ends, or a higher tag comes first.
    pub fn read_field<T: TarsDecode>(&mut self, tag: u8) -> Result<Option<T>, DecodeError> {
        match self.skip_to(tag)? {
            Some(ty) => T::decode_value(self, ty).map(Some),
            None => Ok(None),
        }
    }

    /// Moves to the field `tag` and consumes its head, returning its type; returns `None`
    /// (consuming nothing more) if the field is absent.
    pub fn skip_to(&mut self, tag: u8) -> Result<Option<TypeCode>, DecodeError> {
        while let Some(head) = self.peek_head()? {
            if head.ty == TypeCode::StructEnd || head.tag > tag {
                return Ok(None);
            }
            self.pos += head.len as usize;
            if head.tag == tag {
                return Ok(Some(head.ty));
            }
            self.skip_value(head.ty)?;
        }
        Ok(None)
    }

    /// Decodes the head at the cursor without consuming it; `None` at end of input.
    #[inline]
    pub fn peek_head(&self) -> Result<Option<Head>, DecodeError> {
        let Some(&first) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        let Some(ty) = TypeCode::from_u8(first & 0x0F) else {
            return Err(self.invalid_type_code(first & 0x0F));
        };
        let tag = first >> 4;
        if tag < 15 {
            return Ok(Some(Head { tag, ty, len: 1 }));
        }
        match self.buf.get(self.pos + 1) {
            Some(&tag) => Ok(Some(Head { tag, ty, len: 2 })),
            None => Err(self.eof(1)),
        }
    }

    /// Reads and consumes a head; end of input is an error.
    #[inline]
    pub fn read_head(&mut self) -> Result<Head, DecodeError> {
        match self.peek_head()? {
            Some(head) => {
                self.pos += head.len as usize;
                Ok(head)
            }
            None => Err(self.eof(1)),
        }
    }

    #[cold]
    fn invalid_type_code(&self, code: u8) -> DecodeError {
        DecodeError::InvalidTypeCode { code, offset: self.pos }
    }

    /// Consumes the payload of a value of type `ty` (its head already read).
    pub fn skip_value(&mut self, ty: TypeCode) -> Result<(), DecodeError> {
        match ty {
            TypeCode::Int1 => self.advance(1),
            TypeCode::Int2 => self.advance(2),
            TypeCode::Int4 | TypeCode::Float => self.advance(4),
            TypeCode::Int8 | TypeCode::Double => self.advance(8),
            TypeCode::String1 => {
                let n = self.take_array::<1>()?[0] as usize;
                self.advance(n)
            }
            TypeCode::String4 => {
                let n = u32::from_be_bytes(self.take_array::<4>()?) as usize;
                self.advance(n)
            }
            TypeCode::Map => {
                self.enter()?;
                let n = self.read_len(2)?;
                for _ in 0..n * 2 {
                    let head = self.read_head()?;
                    self.skip_value(head.ty)?;
                }
                self.leave();
                Ok(())
            }
            TypeCode::List => {
                self.enter()?;
                let n = self.read_len(1)?;
                for _ in 0..n {
                    let head = self.read_head()?;
                    self.skip_value(head.ty)?;
                }
                self.leave();
                Ok(())
            }
            TypeCode::SimpleList => {
                let n = self.read_simple_list_len()?;
                self.advance(n)
            }
            TypeCode::StructBegin => {
                self.enter()?;
                self.skip_to_struct_end()?;
                self.leave();
                Ok(())
            }
            TypeCode::StructEnd | TypeCode::Zero => Ok(()),
        }
    }

    /// Skips the rest of a nested struct, consuming its StructEnd. Fields the reader did not
    /// ask for (added by a newer peer) are skipped here.
    pub fn skip_to_struct_end(&mut self) -> Result<(), DecodeError> {
        loop {
            if self.remaining() == 0 {
                return Err(DecodeError::UnterminatedStruct { offset: self.pos });
            }
            let head = self.read_head()?;
            if head.ty == TypeCode::StructEnd {
                return Ok(());
            }
            self.skip_value(head.ty)?;
        }
    }

    /// Reads an integer payload of type `ty` for a target that holds at most `widest`.
    #[inline]
    pub fn read_int(&mut self, ty: TypeCode, widest: TypeCode, target: &'static str) -> Result<i64, DecodeError> {
        let v = match ty {
            TypeCode::Zero => 0,
            TypeCode::Int1 => i8::from_be_bytes(self.take_array()?) as i64,
            TypeCode::Int2 if widest as u8 >= TypeCode::Int2 as u8 => i16::from_be_bytes(self.take_array()?) as i64,
            TypeCode::Int4 if widest as u8 >= TypeCode::Int4 as u8 => i32::from_be_bytes(self.take_array()?) as i64,
            TypeCode::Int8 if widest == TypeCode::Int8 => i64::from_be_bytes(self.take_array()?),
            found => return Err(self.mismatch(target, found)),
        };
        Ok(v)
    }

    /// Reads a `float` payload (ZeroTag accepted).
    #[inline]
    pub fn read_f32(&mut self, ty: TypeCode) -> Result<f32, DecodeError> {
        match ty {
            TypeCode::Zero => Ok(0.0),
            TypeCode::Float => Ok(f32::from_be_bytes(self.take_array()?)),
            found => Err(self.mismatch("float", found)),
        }
    }

    /// Reads a `double` payload (Float and ZeroTag accepted).
    #[inline]
    pub fn read_f64(&mut self, ty: TypeCode) -> Result<f64, DecodeError> {
        match ty {
            TypeCode::Zero => Ok(0.0),
            TypeCode::Float => Ok(f32::from_be_bytes(self.take_array()?) as f64),
            TypeCode::Double => Ok(f64::from_be_bytes(self.take_array()?)),
            found => Err(self.mismatch("double", found)),
        }
    }

    /// Reads a String1/String4 payload as raw bytes (no UTF-8 check).
    #[inline]
    pub fn read_string_bytes(&mut self, ty: TypeCode) -> Result<&'a [u8], DecodeError> {
        let n = match ty {
            TypeCode::String1 => self.take_array::<1>()?[0] as usize,
            TypeCode::String4 => u32::from_be_bytes(self.take_array()?) as usize,
            found => return Err(self.mismatch("string", found)),
        };
        self.take(n)
    }

    /// Reads a String1/String4 payload as UTF-8.
    #[inline]
    pub fn read_str(&mut self, ty: TypeCode) -> Result<&'a str, DecodeError> {
        let offset = self.pos;
        let bytes = self.read_string_bytes(ty)?;
        // Most strings on the wire are ASCII (names, keys, ids): one vectorised check, where
        // the full validation costs a call and a loop per string.
        if bytes.is_ascii() {
            // SAFETY: every byte is below 0x80, so the bytes are valid UTF-8.
            return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
        }
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { offset })
    }

    /// Reads a byte vector written as SimpleList, or as a List of `byte` (some peers do).
    pub fn read_byte_vec(&mut self, ty: TypeCode) -> Result<ByteVec<'a>, DecodeError> {
        match ty {
            TypeCode::SimpleList => {
                let n = self.read_simple_list_len()?;
                self.take(n).map(ByteVec::Borrowed)
            }
            TypeCode::List => {
                let n = self.read_len(1)?;
                self.charge(n)?;
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    let ty = self.read_element_head()?;
                    // `vector<unsigned byte>` peers send shorts up to 255; take them too.
                    let v = self.read_int(ty, TypeCode::Int2, "byte")?;
                    if !(-128..=255).contains(&v) {
                        return Err(DecodeError::OutOfRange {
                            value: v,
                            target: "byte",
                        });
                    }
                    out.push(v as u8);
                }
                Ok(ByteVec::Owned(out))
            }
            found => Err(self.mismatch("vector<byte>", found)),
        }
    }

    /// The [`Bytes`] for a slice returned by this reader: a zero-copy slice when the reader
    /// was built from `Bytes`, a copy otherwise.
    pub fn to_bytes(&self, slice: &'a [u8]) -> Bytes {
        match self.owner {
            Some(owner) => owner.slice_ref(slice),
            None => Bytes::copy_from_slice(slice),
        }
    }

    /// Reads the length that opens a List or Map (an int field at tag 0) and checks that the
    /// remaining input can hold `len` elements of at least `min_elem_size` bytes each.
    pub fn read_len(&mut self, min_elem_size: usize) -> Result<usize, DecodeError> {
        let ty = self.read_element_head()?;
        let len = self.read_int(ty, TypeCode::Int4, "length")?;
        let offset = self.pos;
        if len < 0 {
            return Err(DecodeError::NegativeLength { len, offset });
        }
        let len = len as u64;
        let remaining = self.remaining();
        if len.saturating_mul(min_elem_size as u64) > remaining as u64 {
            return Err(DecodeError::LengthTooLarge { len, remaining, offset });
        }
        Ok(len as usize)
    }

    /// Reads a head that must carry tag 0 (list elements, map keys, lengths) and returns its type.
    #[inline]
    pub fn read_element_head(&mut self) -> Result<TypeCode, DecodeError> {
        self.read_head_with_tag(0)
    }

    /// Reads a head that must carry `tag` (map values use tag 1).
    #[inline]
    pub fn read_head_with_tag(&mut self, tag: u8) -> Result<TypeCode, DecodeError> {
        let offset = self.pos;
        let head = self.read_head()?;
        if head.tag != tag {
            return Err(DecodeError::UnexpectedTag {
                expected: tag,
                found: head.tag,
                offset,
            });
        }
        Ok(head.ty)
    }

    /// Enters a nested container; fails past the depth limit.
    #[inline]
    pub fn enter(&mut self) -> Result<(), DecodeError> {
        if self.depth >= self.max_depth {
            return Err(DecodeError::TooDeep {
                max: self.max_depth,
                offset: self.pos,
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// Leaves a nested container entered with [`Reader::enter`].
    #[inline]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A type-mismatch error at the current offset.
    pub fn mismatch(&self, expected: &'static str, found: TypeCode) -> DecodeError {
        DecodeError::TypeMismatch {
            expected,
            found,
            offset: self.pos,
        }
    }

    fn read_simple_list_len(&mut self) -> Result<usize, DecodeError> {
        let offset = self.pos;
        let head = self.read_head()?;
        if head.ty != TypeCode::Int1 || head.tag != 0 {
            return Err(DecodeError::TypeMismatch {
                expected: "SimpleList element type Int1",
                found: head.ty,
                offset,
            });
        }
        self.read_len(1)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::LengthTooLarge {
                len: n as u64,
                remaining: self.remaining(),
                offset: self.pos,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.buf.get(self.pos..self.pos + N) {
            Some(s) => {
                self.pos += N;
                let mut a = [0u8; N];
                a.copy_from_slice(s);
                Ok(a)
            }
            None => Err(self.eof(N - self.remaining())),
        }
    }

    #[inline]
    fn advance(&mut self, n: usize) -> Result<(), DecodeError> {
        self.take(n).map(|_| ())
    }

    #[cold]
    fn eof(&self, needed: usize) -> DecodeError {
        DecodeError::UnexpectedEof {
            offset: self.pos,
            needed,
        }
    }
}

/// Initial capacity for a collection of `len` elements of `T` read from the wire: the length
/// is already bounded by the bytes remaining, but one wire byte can become a large Rust value,
/// so preallocation is also capped at 1 MiB; past that the collection grows as elements
/// actually decode.
#[inline]
pub(crate) fn cautious_capacity<T>(len: usize) -> usize {
    const MAX_PREALLOC_BYTES: usize = 1 << 20;
    len.min(MAX_PREALLOC_BYTES / std::mem::size_of::<T>().max(1))
}

/// A byte vector as read from the wire: borrowed when it was a SimpleList, owned when it was
/// a List of bytes.
#[derive(Debug)]
pub enum ByteVec<'a> {
    /// Raw SimpleList payload.
    Borrowed(&'a [u8]),
    /// Collected from a List.
    Owned(Vec<u8>),
}
