//! One TCP connection: a reader that splits frames and runs each request in its own task
//! (so requests on one connection are served concurrently), and a writer that sends replies
//! as they complete, batching those that are ready together into one write.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch, Notify};

use super::protocol::{Reply, ServerProtocol};
use super::InFlight;

/// Replies waiting for the writer; a full queue makes request tasks wait (backpressure).
const REPLY_QUEUE: usize = 1024;
/// Largest batch the writer assembles from ready replies.
const MAX_BATCH: usize = 256 * 1024;

pub(crate) struct ConnectionSettings {
    /// Close after this long without a request (and none running).
    pub idle_timeout: Option<Duration>,
}

/// Serves one connection, given its read and write halves (plain TCP or TLS).
pub(crate) async fn serve<R, W>(
    mut rd: R,
    wr: W,
    peer: SocketAddr,
    protocol: Arc<dyn ServerProtocol>,
    settings: ConnectionSettings,
    mut shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Bytes>(REPLY_QUEUE);
    let writer = tokio::spawn(write_replies(wr, rx));
    let close = Arc::new(Notify::new());
    let running = Arc::new(AtomicUsize::new(0));
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut last_activity = Instant::now();
    'conn: loop {
        loop {
            match protocol.split_frame(&mut buf) {
                Ok(Some(request)) => {
                    let received = Instant::now();
                    let (protocol, tx, close, running) = (protocol.clone(), tx.clone(), close.clone(), running.clone());
                    let guard = in_flight.enter();
                    running.fetch_add(1, Ordering::AcqRel);
                    tokio::spawn(async move {
                        match protocol.handle(peer, request, received).await {
                            Reply::Send(bytes) => {
                                let _ = tx.send(bytes).await;
                            }
                            Reply::Nothing => {}
                            Reply::Close => close.notify_one(),
                        }
                        running.fetch_sub(1, Ordering::AcqRel);
                        drop(guard);
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "bad frame; closing the connection");
                    break 'conn;
                }
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        let idle = async {
            match settings.idle_timeout {
                Some(t) => tokio::time::sleep_until((last_activity + t).into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = rd.read_buf(&mut buf) => match read {
                Ok(0) => break,
                Ok(_) => last_activity = Instant::now(),
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "read failed");
                    break;
                }
            },
            _ = idle => {
                if running.load(Ordering::Acquire) == 0 {
                    tracing::debug!(%peer, "idle connection closed");
                    break;
                }
                last_activity = Instant::now();
            }
            _ = close.notified() => break,
            _ = shutdown.changed() => {
                if let Some(goodbye) = protocol.goodbye() {
                    let _ = tx.send(goodbye).await;
                }
                break;
            }
        }
    }
    // Requests still running keep their sender; the writer ends once they have replied.
    drop(tx);
    let _ = writer.await;
}

async fn write_replies<W: AsyncWrite + Unpin>(mut wr: W, mut rx: mpsc::Receiver<Bytes>) {
    let mut batch = BytesMut::new();
    while let Some(first) = rx.recv().await {
        let result = if rx.is_empty() {
            wr.write_all(&first).await
        } else {
            batch.extend_from_slice(&first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(more) => batch.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            let r = wr.write_all(&batch).await;
            batch.clear();
            r
        };
        if result.is_err() {
            // The peer is gone; drain so request tasks do not wait on a full queue.
            rx.close();
            while rx.recv().await.is_some() {}
            return;
        }
    }
    let _ = wr.shutdown().await;
}
