//! SkyWalking reporting for the application (cargo feature `skywalking`): the reporter from
//! the config's `<skywalking>` section (or [`Application::skywalking`](super::Application::skywalking)),
//! and the layer that reports to it in the process's `tracing` subscriber.

use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::config::{Config, ServerConfig};
use crate::framework::idl::LogProxy;
use crate::framework::log::{self, LogError, LogHandle, LogSettings};
use crate::framework::Platform;
use crate::trace::skywalking::{self, Reporter, Settings};

/// The settings `<skywalking>` gives: service `App.Server` and instance `App.Server@<localip>`
/// unless it names them.
pub(super) fn settings_from_config(config: &Config, server: &ServerConfig, platform: &Platform) -> Option<Settings> {
    let section = config.skywalking.as_ref()?;
    let service = section
        .service
        .clone()
        .unwrap_or_else(|| format!("{}.{}", server.app, server.server));
    let instance = section
        .instance
        .clone()
        .unwrap_or_else(|| format!("{service}@{}", platform.local_ip()));
    Some(
        Settings::new(section.oap.clone(), service, instance)
            .sample_rate(section.sample_rate)
            .buffer(section.buffer),
    )
}

/// Starts the reporter of the process's [`skywalking::layer()`]s.
pub(super) fn start(settings: Settings) -> Result<(), skywalking::SkyWalkingError> {
    let reporter = Reporter::start(settings)?;
    tracing::info!(reporter = ?reporter, "reporting spans to SkyWalking");
    skywalking::set_reporter(Some(reporter));
    Ok(())
}

/// The server's logs as [`log::install`] installs them, with the SkyWalking layer beside
/// them. The log level does not filter the spans it reports.
pub(super) fn install_with_logs(settings: &LogSettings, remote: Option<LogProxy>) -> Result<LogHandle, LogError> {
    if tracing::dispatcher::has_been_set() {
        return Err(LogError::SubscriberSet);
    }
    let (layer, filter, handle) = log::layer(settings, remote);
    let subscriber = tracing_subscriber::registry()
        .with(TarsSpansThrough(filter))
        .with(layer)
        .with(skywalking::layer());
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LogError::SubscriberSet)?;
    Ok(handle)
}

/// With the reporter started: the process's subscriber has the layer, or is this one when
/// the process has none; a subscriber of the process's own without it is told about.
pub(super) fn ensure_layer() {
    if !tracing::dispatcher::has_been_set() {
        let subscriber = tracing_subscriber::registry().with(skywalking::layer());
        if tracing::subscriber::set_global_default(subscriber).is_ok() {
            return;
        }
    }
    if !skywalking::layer_installed() {
        tracing::warn!(
            "<skywalking> is configured but the process's tracing subscriber has no tars::trace::skywalking::layer(): nothing is reported until it has"
        );
    }
}

/// A level filter that lets the spans of requests and calls through whatever its level, so
/// that a server logging only warnings still reports them.
struct TarsSpansThrough<F>(F);

fn tars_span(meta: &Metadata<'_>) -> bool {
    meta.is_span() && matches!(meta.name(), "tars.server" | "tars.client")
}

impl<S: Subscriber, F: Layer<S>> Layer<S> for TarsSpansThrough<F> {
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.0.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber);
    }

    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if tars_span(meta) {
            Interest::always()
        } else {
            self.0.register_callsite(meta)
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        tars_span(meta) || self.0.enabled(meta, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.max_level_hint().map(|level| level.max(LevelFilter::INFO))
    }
}
