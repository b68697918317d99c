//! Why a server cannot start: every mistake in its config, its servants or its endpoints,
//! named with the adapter or servant it concerns.

use crate::config::ConfigError;
use crate::transport::endpoint::EndpointError;
use crate::transport::tls::TlsError;

/// Why a server cannot start.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The config has no `<server>` section.
    #[error("the config file has no <tars><application><server> section")]
    NoServerSection,
    /// A command-line argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// An endpoint string is wrong.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// A servant was added but no adapter serves it.
    #[error("no adapter serves {servant}: add a <...Adapter> with servant={servant} to the config, or call Application::endpoint")]
    NoAdapter {
        /// The servant name.
        servant: String,
    },
    /// An adapter names a servant the application does not provide.
    #[error("adapter {adapter} serves {servant}, which the application does not provide")]
    UnknownServant {
        /// The adapter section.
        adapter: String,
        /// The servant name.
        servant: String,
    },
    /// An adapter's protocol is neither `tars` nor one the application registered.
    #[error("adapter {adapter} uses protocol '{protocol}', which is not tars and was not registered with Application::protocol (an HTTP object is added with Application::http_servant, with the cargo feature `http`)")]
    UnknownProtocol {
        /// The adapter section.
        adapter: String,
        /// The protocol name.
        protocol: String,
    },
    /// Adapters name the same endpoint, and not all of them speak TARS (only TARS adapters
    /// can share one, their servants told apart by name).
    #[error("adapters {adapters:?} name the same endpoint {endpoint}, and only TARS adapters can share one")]
    SharedEndpoint {
        /// The endpoint.
        endpoint: String,
        /// The adapter sections.
        adapters: Vec<String>,
    },
    /// An HTTP servant's adapter cannot serve HTTP.
    #[error("adapter {adapter} serves an HTTP servant, but {reason}")]
    HttpAdapter {
        /// The adapter section.
        adapter: String,
        /// What is wrong.
        reason: String,
    },
    /// An `ssl` adapter's TLS settings are unusable.
    #[error("adapter {adapter}: {source}")]
    Tls {
        /// The adapter section.
        adapter: String,
        /// What is wrong.
        source: TlsError,
    },
    /// The SkyWalking reporter cannot start (feature `skywalking`).
    #[cfg(feature = "skywalking")]
    #[error(transparent)]
    SkyWalking(crate::trace::skywalking::SkyWalkingError),
    /// A listener could not be bound.
    #[error("cannot listen on {endpoint} for {servant}: {source}")]
    Bind {
        /// The servant.
        servant: String,
        /// The endpoint.
        endpoint: String,
        /// The OS error.
        source: std::io::Error,
    },
}

crate::debug_as_display!(ServerError);
