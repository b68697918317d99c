//! UDP for both sides: one frame per datagram, read into one reusable buffer of the largest
//! datagram size, each frame copied out at its own size.

use bytes::{Bytes, BytesMut};

use super::frame::FrameError;

/// The largest UDP payload.
pub(crate) const MAX_DATAGRAM: usize = 65_535;

/// A receive buffer for [`MAX_DATAGRAM`]-byte datagrams.
pub(crate) fn receive_buffer() -> Vec<u8> {
    vec![0u8; MAX_DATAGRAM]
}

/// The frame a datagram holds, cut by `split` (TARS framing: [`super::frame::decode_frame`]);
/// `Ok(None)` when the datagram holds less than the frame it announces.
pub(crate) fn frame_of(
    datagram: &[u8],
    split: impl FnOnce(&mut BytesMut) -> Result<Option<Bytes>, FrameError>,
) -> Result<Option<Bytes>, FrameError> {
    split(&mut BytesMut::from(datagram))
}
