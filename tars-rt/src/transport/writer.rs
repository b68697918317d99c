//! The one writer of a connection, for both sides: it takes every frame that is ready off the
//! queue and sends them together (one write per batch, not per message), and gives up on a
//! peer that stops reading: a write that makes no progress for the stall timeout fails the
//! connection instead of holding its queue for ever.
//!
//! A frame may carry a permit (the server's per-connection in-flight slot): it is released
//! once the frame has been written, so a connection's unanswered requests, queued replies
//! included, stay under its cap.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

/// The most bytes copied into one batch; larger frames are written on their own.
const MAX_BATCH: usize = 256 * 1024;
/// Frames at least this big are written from their own buffer instead of being copied.
const WRITE_ALONE: usize = 64 * 1024;

/// A frame queued for the writer.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The whole frame, header included.
    pub(crate) frame: Bytes,
    /// Released once the frame is written (held for its drop: the writer never reads it).
    #[allow(dead_code)]
    pub(crate) permit: Option<OwnedSemaphorePermit>,
}

impl Outgoing {
    /// A frame without a permit.
    pub(crate) fn frame(frame: Bytes) -> Self {
        Outgoing { frame, permit: None }
    }
}

/// Writes what arrives on `rx` until every sender is gone (then shuts the stream down and
/// returns `Ok`), `stop` completes, or a write fails or stalls for `stall`.
pub(crate) async fn write_frames<W, S>(
    mut wr: W,
    rx: &mut mpsc::Receiver<Outgoing>,
    stall: Option<Duration>,
    stop: S,
) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
    S: Future<Output = ()>,
{
    tokio::pin!(stop);
    let mut batch = BytesMut::new();
    let mut written: Vec<Outgoing> = Vec::new();
    loop {
        let first = tokio::select! {
            next = rx.recv() => match next {
                Some(o) => o,
                None => break,
            },
            _ = &mut stop => break,
        };
        let mut size = first.frame.len();
        written.push(first);
        // Nothing else queued yet: let the tasks that are ready to run (other calls, other
        // requests' handlers) queue theirs first, so they share this write.
        if rx.is_empty() {
            tokio::task::yield_now().await;
        }
        while size < MAX_BATCH {
            match rx.try_recv() {
                Ok(o) => {
                    size += o.frame.len();
                    written.push(o);
                }
                Err(_) => break,
            }
        }
        if written.len() == 1 {
            write_all(&mut wr, &written[0].frame, stall).await?;
        } else {
            for o in &written {
                if o.frame.len() >= WRITE_ALONE {
                    write_all(&mut wr, &batch, stall).await?;
                    batch.clear();
                    write_all(&mut wr, &o.frame, stall).await?;
                } else {
                    batch.extend_from_slice(&o.frame);
                }
            }
            write_all(&mut wr, &batch, stall).await?;
            batch.clear();
            if batch.capacity() > 2 * MAX_BATCH {
                batch = BytesMut::new();
            }
        }
        flush(&mut wr, stall).await?;
        // Releases the permits of what was written.
        written.clear();
    }
    let _ = wr.shutdown().await;
    Ok(())
}

fn stalled(stall: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the peer read nothing for {} ms", stall.as_millis()),
    )
}

/// Writes `buf`, failing if one write makes no progress within `stall`.
async fn write_all<W: AsyncWrite + Unpin>(wr: &mut W, mut buf: &[u8], stall: Option<Duration>) -> io::Result<()> {
    while !buf.is_empty() {
        let n = match stall {
            Some(limit) => tokio::time::timeout(limit, wr.write(buf))
                .await
                .map_err(|_| stalled(limit))??,
            None => wr.write(buf).await?,
        };
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

async fn flush<W: AsyncWrite + Unpin>(wr: &mut W, stall: Option<Duration>) -> io::Result<()> {
    match stall {
        Some(limit) => tokio::time::timeout(limit, wr.flush())
            .await
            .map_err(|_| stalled(limit))?,
        None => wr.flush().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn batches_and_releases_permits_after_writing() {
        let (wr, mut rd) = tokio::io::duplex(1 << 16);
        let (tx, mut rx) = mpsc::channel(16);
        let slots = Arc::new(Semaphore::new(3));
        for i in 0..3u8 {
            let permit = slots.clone().try_acquire_owned().unwrap();
            tx.send(Outgoing {
                frame: Bytes::from(vec![i; 10]),
                permit: Some(permit),
            })
            .await
            .unwrap();
        }
        drop(tx);
        write_frames(wr, &mut rx, None, std::future::pending()).await.unwrap();
        let mut out = Vec::new();
        rd.read_to_end(&mut out).await.unwrap();
        assert_eq!(out.len(), 30);
        assert_eq!(slots.available_permits(), 3);
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_fails_the_writer() {
        let (wr, _rd) = tokio::io::duplex(1024);
        let (tx, mut rx) = mpsc::channel(16);
        tx.send(Outgoing::frame(Bytes::from(vec![0u8; 4096]))).await.unwrap();
        let e = write_frames(wr, &mut rx, Some(Duration::from_millis(50)), std::future::pending())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
