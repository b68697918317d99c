//! Reading frames off a byte stream with memory that follows the bytes that actually
//! arrive: a 4-byte header announcing 10 MiB reserves nothing, the buffer grows at most to
//! twice what has arrived, and the allocation behind a large frame leaves with that frame
//! (so one big message does not pin a big buffer for the life of the connection). Server
//! connections may also draw large frames from a [`MemoryBudget`].
//!
//! Timeouts are the caller's: [`FrameReader::mid_frame_since`] says since when a frame has
//! been incomplete.

use std::io;
use std::sync::Arc;
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::time::Instant;

use super::budget::{Lease, MemoryBudget};
use super::frame::{self, FrameError};

/// A fresh buffer's capacity, and the least room a read gets.
const CHUNK: usize = 16 * 1024;
/// Frames above this size get a buffer of their own, freed with them, and draw from the
/// memory budget while they arrive.
const LARGE_FRAME: usize = 64 * 1024;

/// Frames from a byte stream.
#[derive(Debug)]
pub(crate) struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    /// `Some(max)` for TARS framing; `None` when another protocol splits the frames.
    max_frame: Option<usize>,
    /// When the first byte of the incomplete frame at the front of `buf` arrived.
    partial_since: Option<Instant>,
    last_read: Instant,
    budget: Option<Arc<MemoryBudget>>,
    /// The budget held for the large frame being read.
    lease: Option<Lease>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Reads TARS frames of at most `max_frame` bytes (header included) from `io`.
    pub(crate) fn new(io: R, max_frame: usize) -> Self {
        Self::with_framing(io, Some(max_frame))
    }

    /// Reads a protocol whose frames [`FrameReader::next_split`] cuts with the protocol's
    /// own function.
    pub(crate) fn opaque(io: R) -> Self {
        Self::with_framing(io, None)
    }

    fn with_framing(io: R, max_frame: Option<usize>) -> Self {
        FrameReader {
            io,
            // Allocated when the first bytes arrive: an idle connection holds no buffer.
            buf: BytesMut::new(),
            max_frame,
            partial_since: None,
            last_read: Instant::now(),
            budget: None,
            lease: None,
        }
    }

    /// Large frames wait for room in `budget` before they are buffered.
    pub(crate) fn with_budget(mut self, budget: Option<Arc<MemoryBudget>>) -> Self {
        self.budget = budget;
        self
    }

    /// The next complete frame already buffered (its payload, without the header), if any.
    /// An error means the stream is unusable: close it.
    pub(crate) fn next_buffered(&mut self) -> Result<Option<Bytes>, FrameError> {
        let max = self.max_frame.unwrap_or(frame::DEFAULT_MAX_PACKAGE_LENGTH);
        self.next_split(|buf| frame::decode_frame(buf, max))
    }

    /// Like [`FrameReader::next_buffered`], with `split` taking a frame off the front of the
    /// buffer (as [`frame::decode_frame`] does for TARS).
    pub(crate) fn next_split(
        &mut self,
        split: impl FnOnce(&mut BytesMut) -> Result<Option<Bytes>, FrameError>,
    ) -> Result<Option<Bytes>, FrameError> {
        let Some(frame) = split(&mut self.buf)? else {
            return Ok(None);
        };
        if frame.len() + 4 > LARGE_FRAME {
            // The allocation is the frame's now; the few bytes after it move to a new one.
            let mut fresh = BytesMut::with_capacity(CHUNK.max(self.buf.len()));
            fresh.extend_from_slice(&self.buf);
            self.buf = fresh;
        }
        self.partial_since = (!self.buf.is_empty()).then_some(self.last_read);
        Ok(Some(frame))
    }

    /// The budget held for the large frame just taken, if it drew from one: the frame's
    /// owner keeps it for as long as the frame is in memory.
    pub(crate) fn take_lease(&mut self) -> Option<Lease> {
        self.lease.take()
    }

    /// Reads more bytes; `Ok(0)` when the peer closed the stream. Cancel-safe.
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        let was_empty = self.buf.is_empty();
        let n = if self.buf.capacity() == 0 {
            self.read_first().await?
        } else {
            self.read_more().await?
        };
        self.last_read = Instant::now();
        if was_empty && n > 0 {
            self.partial_since = Some(self.last_read);
        }
        Ok(n)
    }

    /// Reads into the buffer, growing it as the frame at its front calls for.
    async fn read_more(&mut self) -> io::Result<usize> {
        let want = match self.announced() {
            Some(len) if len > self.buf.len() => {
                if len > LARGE_FRAME && self.lease.is_none() {
                    if let Some(budget) = &self.budget {
                        self.lease = Some(budget.lease_for_frame(len).await);
                    }
                }
                // Never more room than has arrived already: memory follows the bytes.
                (len - self.buf.len()).min(self.buf.len().max(CHUNK))
            }
            _ => CHUNK,
        };
        if self.buf.capacity() - self.buf.len() < want.min(CHUNK) {
            self.buf.reserve(want);
        }
        self.io.read_buf(&mut self.buf).await
    }

    /// The first read: into a buffer on the stack, copied into a newly allocated one when
    /// bytes arrive, so a connection that never sends anything costs no read buffer.
    async fn read_first(&mut self) -> io::Result<usize> {
        let (io, buf) = (&mut self.io, &mut self.buf);
        std::future::poll_fn(|cx| {
            let mut stack = [0u8; 4096];
            let mut read = ReadBuf::new(&mut stack);
            std::task::ready!(std::pin::Pin::new(&mut *io).poll_read(cx, &mut read))?;
            let filled = read.filled();
            if !filled.is_empty() {
                buf.reserve(CHUNK);
                buf.extend_from_slice(filled);
            }
            Poll::Ready(Ok(filled.len()))
        })
        .await
    }

    /// Since when the frame at the front of the buffer has been incomplete; `None` when
    /// the buffer holds only whole frames.
    pub(crate) fn mid_frame_since(&self) -> Option<Instant> {
        if self.buf.is_empty() {
            None
        } else {
            self.partial_since
        }
    }

    /// When bytes last arrived (when the reader was made, before any).
    pub(crate) fn last_read(&self) -> Instant {
        self.last_read
    }

    /// The buffer's capacity, in bytes.
    #[cfg(test)]
    fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The length the frame at the front announces, once its header is in.
    fn announced(&self) -> Option<usize> {
        self.max_frame?;
        let header: [u8; 4] = self.buf.get(..4)?.try_into().ok()?;
        Some(u32::from_be_bytes(header) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn an_idle_connection_holds_no_buffer_until_bytes_arrive() {
        let (mut tx, rx) = tokio::io::duplex(1024);
        let mut r = FrameReader::new(rx, 1 << 20);
        {
            let mut fill = std::pin::pin!(r.fill());
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fill.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(r.buffer_capacity(), 0);
        let mut wire = BytesMut::new();
        frame::encode_frame(&mut wire, |b| b.extend_from_slice(b"hello"));
        tx.write_all(&wire).await.unwrap();
        assert_eq!(r.fill().await.unwrap(), wire.len());
        assert!(r.buffer_capacity() >= CHUNK);
        assert_eq!(&r.next_buffered().unwrap().unwrap()[..], b"hello");
    }

    #[tokio::test]
    async fn memory_follows_the_bytes_that_arrive() {
        let (mut tx, rx) = tokio::io::duplex(1 << 20);
        let mut r = FrameReader::new(rx, 100 << 20);
        // A header announcing 50 MiB, then 100 bytes.
        tx.write_all(&(50u32 << 20).to_be_bytes()).await.unwrap();
        tx.write_all(&[0u8; 100]).await.unwrap();
        r.fill().await.unwrap();
        assert!(r.next_buffered().unwrap().is_none());
        assert!(r.buffer_capacity() < 64 * 1024, "{}", r.buffer_capacity());
        assert!(r.mid_frame_since().is_some());
    }

    #[tokio::test]
    async fn a_large_frame_takes_its_allocation_with_it() {
        let (mut tx, rx) = tokio::io::duplex(1 << 16);
        let mut r = FrameReader::new(rx, 100 << 20);
        let body = vec![7u8; 4 << 20];
        let mut wire = BytesMut::new();
        frame::encode_frame(&mut wire, |b| b.extend_from_slice(&body));
        frame::encode_frame(&mut wire, |b| b.extend_from_slice(b"next"));
        let writer = tokio::spawn(async move { tx.write_all(&wire).await.map(|_| tx) });
        let big = loop {
            if let Some(f) = r.next_buffered().unwrap() {
                break f;
            }
            assert!(r.fill().await.unwrap() > 0);
        };
        assert_eq!(big.len(), body.len());
        assert!(r.buffer_capacity() <= 64 * 1024, "{}", r.buffer_capacity());
        drop(big);
        let _tx = writer.await.unwrap().unwrap();
        let next = loop {
            if let Some(f) = r.next_buffered().unwrap() {
                break f;
            }
            r.fill().await.unwrap();
        };
        assert_eq!(&next[..], b"next");
        assert!(r.buffer_capacity() <= 64 * 1024, "{}", r.buffer_capacity());
        assert!(r.mid_frame_since().is_none());
    }
}
