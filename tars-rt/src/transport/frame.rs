//! TARS framing: every packet is preceded by its length as a big-endian `u32` that includes
//! the 4 length bytes themselves.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The default largest frame a server accepts (TarsGo's `maxPackageLength`).
pub const DEFAULT_MAX_PACKAGE_LENGTH: usize = 10 * 1024 * 1024;

/// A frame that cannot be accepted; the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The length field is below 4 (it counts itself).
    #[error("frame length {0} is shorter than its own 4-byte header")]
    TooShort(u32),
    /// The length field is above the configured maximum.
    #[error("frame length {len} exceeds the maximum of {max} bytes")]
    TooLong {
        /// The announced length.
        len: u32,
        /// The limit.
        max: usize,
    },
}

/// Takes one complete frame's payload (without the header) off the front of `buf`, or
/// `Ok(None)` if more bytes are needed. It reserves nothing: a header announcing a large
/// frame costs no memory until the bytes arrive (see `super::reader`).
pub fn decode_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, FrameError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if len < 4 {
        return Err(FrameError::TooShort(len));
    }
    if len as usize > max {
        return Err(FrameError::TooLong { len, max });
    }
    let len = len as usize;
    if buf.len() < len {
        return Ok(None);
    }
    let mut frame = buf.split_to(len);
    frame.advance(4);
    Ok(Some(frame.freeze()))
}

/// Appends a frame: reserves the header, lets `write` append the packet, then fills in the
/// length.
pub fn encode_frame(buf: &mut BytesMut, write: impl FnOnce(&mut BytesMut)) {
    let start = buf.len();
    buf.put_u32(0);
    write(buf);
    let len = (buf.len() - start) as u32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_split() {
        let mut out = BytesMut::new();
        encode_frame(&mut out, |b| b.put_slice(b"abc"));
        encode_frame(&mut out, |b| b.put_slice(b""));
        assert_eq!(&out[..4], &[0, 0, 0, 7]);
        let mut partial = BytesMut::from(&out[..5]);
        assert_eq!(decode_frame(&mut partial, 100), Ok(None));
        assert_eq!(
            decode_frame(&mut out, 100).unwrap().unwrap(),
            Bytes::from_static(b"abc")
        );
        assert_eq!(decode_frame(&mut out, 100).unwrap().unwrap(), Bytes::new());
        assert!(out.is_empty());
    }

    #[test]
    fn bad_lengths_are_errors_before_allocation() {
        let mut b = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff, 0][..]);
        assert_eq!(
            decode_frame(&mut b, DEFAULT_MAX_PACKAGE_LENGTH),
            Err(FrameError::TooLong {
                len: 0x7fff_ffff,
                max: DEFAULT_MAX_PACKAGE_LENGTH
            })
        );
        assert!(b.capacity() < 1024);
        let mut b = BytesMut::from(&[0, 0, 0, 3][..]);
        assert_eq!(decode_frame(&mut b, 100), Err(FrameError::TooShort(3)));
    }
}
