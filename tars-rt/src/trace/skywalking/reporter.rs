//! The segments' way to the OAP: a bounded buffer that a request never waits on (a segment
//! that finds it full is dropped and counted, as go2sky drops what does not fit its send
//! queue), emptied by one thread of its own that sends what is queued in `collect` calls of
//! the OAP's `TraceSegmentReportService`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Endpoint;

use super::proto::{Commands, SegmentObject};

/// Segments waiting for the OAP, at most: go2sky's default send queue.
pub const DEFAULT_BUFFER: usize = 30_000;

/// The most segments sent in one `collect` call.
const BATCH: usize = 1024;

/// How long the reporter waits after a call the OAP did not take before it tries again
/// (segments queue meanwhile, and are dropped once the buffer is full).
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The longest a `collect` call, or the connection it needs, may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

const COLLECT: &str = "/skywalking.v3.TraceSegmentReportService/collect";

/// Where segments go and what they say about this process.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// The OAP's gRPC address: `host:port` (its port is 11800 by default), or an
    /// `http://` URI.
    pub oap: String,
    /// The service the segments are of (a TARS server is `App.Server`).
    pub service: String,
    /// The service instance (`App.Server@<ip>` for a TARS server).
    pub instance: String,
    /// The share of traces started here that are reported, 0.0 to 1.0 (default 1). A trace
    /// that came with `sw8` saying it is sampled is always reported, as go2sky does, so
    /// that its segments have no hole.
    pub sample_rate: f64,
    /// Segments waiting for the OAP, at most ([`DEFAULT_BUFFER`]).
    pub buffer: usize,
}

impl Settings {
    /// Segments of `service`'s `instance` sent to `oap`, every trace, through a buffer of
    /// [`DEFAULT_BUFFER`].
    pub fn new(oap: impl Into<String>, service: impl Into<String>, instance: impl Into<String>) -> Self {
        Settings {
            oap: oap.into(),
            service: service.into(),
            instance: instance.into(),
            sample_rate: 1.0,
            buffer: DEFAULT_BUFFER,
        }
    }

    /// Reports this share of the traces started here (0.0 to 1.0).
    pub fn sample_rate(mut self, rate: f64) -> Self {
        self.sample_rate = rate;
        self
    }

    /// Keeps at most `segments` waiting for the OAP.
    pub fn buffer(mut self, segments: usize) -> Self {
        self.buffer = segments;
        self
    }
}

/// Why a reporter cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SkyWalkingError {
    /// The OAP address is not one.
    #[error("SkyWalking OAP address '{0}' is not host:port or an http:// URI")]
    Address(String),
    /// The sample rate is not within 0.0–1.0.
    #[error("SkyWalking sample rate {0} is not within 0.0-1.0")]
    SampleRate(f64),
    /// A buffer of no segment.
    #[error("a SkyWalking buffer of 0 segments reports nothing")]
    Buffer,
    /// The reporter's thread could not start.
    #[error("cannot start the SkyWalking reporter thread: {0}")]
    Thread(std::io::Error),
}

/// What a reporter did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReporterStats {
    /// Segments the OAP took.
    pub reported: u64,
    /// Segments dropped because the buffer was full (the OAP slow or down).
    pub dropped: u64,
    /// Segments sent in calls the OAP did not take (unreachable, an error, a timeout).
    pub failed: u64,
    /// Traces (or, in a trace that came sampled out, requests) not reported by sampling.
    pub sampled_out: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    reported: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    pub(super) sampled_out: AtomicU64,
}

/// Reports segments to a SkyWalking OAP (see the module docs). Clones share it; its thread
/// ends when the last clone is gone and what was queued is sent.
#[derive(Clone)]
pub struct Reporter {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    queue: mpsc::Sender<SegmentObject>,
    pub(super) service: String,
    pub(super) instance: String,
    sample_rate: f64,
    pub(super) counters: Arc<Counters>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("service", &self.inner.service)
            .field("instance", &self.inner.instance)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Reporter {
    /// Starts reporting to `settings.oap`, from a thread of its own (so it needs no
    /// runtime of the caller's, and outlives none).
    pub fn start(settings: Settings) -> Result<Reporter, SkyWalkingError> {
        if !(0.0..=1.0).contains(&settings.sample_rate) {
            return Err(SkyWalkingError::SampleRate(settings.sample_rate));
        }
        if settings.buffer == 0 {
            return Err(SkyWalkingError::Buffer);
        }
        let uri = if settings.oap.contains("://") {
            settings.oap.clone()
        } else {
            format!("http://{}", settings.oap)
        };
        let endpoint = Endpoint::from_shared(uri)
            .map_err(|_| SkyWalkingError::Address(settings.oap.clone()))?
            .connect_timeout(CALL_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        let (tx, rx) = mpsc::channel(settings.buffer);
        let counters = Arc::new(Counters::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SkyWalkingError::Thread)?;
        let sending = counters.clone();
        std::thread::Builder::new()
            .name("tars-skywalking".into())
            .spawn(move || runtime.block_on(send_loop(endpoint, rx, sending)))
            .map_err(SkyWalkingError::Thread)?;
        Ok(Reporter {
            inner: Arc::new(Inner {
                queue: tx,
                service: settings.service,
                instance: settings.instance,
                sample_rate: settings.sample_rate,
                counters,
            }),
        })
    }

    /// What it did so far.
    pub fn stats(&self) -> ReporterStats {
        let c = &self.inner.counters;
        ReporterStats {
            reported: c.reported.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            sampled_out: c.sampled_out.load(Ordering::Relaxed),
        }
    }

    /// Whether a trace starting here is reported.
    pub(super) fn sample(&self) -> bool {
        let rate = self.inner.sample_rate;
        // 53 random bits as a fraction in [0, 1).
        let draw = || (crate::random::random_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let sampled = rate >= 1.0 || (rate > 0.0 && draw() < rate);
        if !sampled {
            self.inner.counters.sampled_out.fetch_add(1, Ordering::Relaxed);
        }
        sampled
    }

    /// Queues `segment` for the OAP, or drops it when the buffer is full. Never waits.
    pub(super) fn send(&self, segment: SegmentObject) {
        if self.inner.queue.try_send(segment).is_err() {
            self.inner.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sends what is queued, a batch per `collect` call, until every sender is gone.
async fn send_loop(endpoint: Endpoint, mut rx: mpsc::Receiver<SegmentObject>, counters: Arc<Counters>) {
    let mut grpc = tonic::client::Grpc::new(endpoint.connect_lazy());
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let n = batch.len() as u64;
        let segments = futures_util::stream::iter(std::mem::take(&mut batch));
        match collect(&mut grpc, segments).await {
            Ok(()) => {
                counters.reported.fetch_add(n, Ordering::Relaxed);
            }
            Err(status) => {
                counters.failed.fetch_add(n, Ordering::Relaxed);
                tracing::debug!(target: "tars_rt::trace::skywalking", error = %status, segments = n, "SkyWalking OAP did not take segments");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}

async fn collect(
    grpc: &mut tonic::client::Grpc<tonic::transport::Channel>,
    segments: impl futures_util::Stream<Item = SegmentObject> + Send + 'static,
) -> Result<(), tonic::Status> {
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<SegmentObject, Commands>::default();
    grpc.client_streaming(tonic::Request::new(segments), PathAndQuery::from_static(COLLECT), codec)
        .await
        .map(drop)
}
