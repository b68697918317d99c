//! The standard TARS config file (`--config=HelloServer.conf`, written by tarsnode for every
//! service) as typed settings: `<tars><application>` with its `<server>` (and one section per
//! adapter) and `<client>` sections.
//!
//! Every key of the standard config (what tarsnode writes, and what TarsCpp and TarsGo read)
//! is taken once: it acts, or it is reported by [`Config::unsupported`] (the application logs
//! each at start, naming the key and its line), or it is one tarsnode writes for itself.
//! Keys no TARS runtime knows are kept in `extra` for the application. A value that does not
//! parse is an error naming its line.
//!
//! This module only reads settings; it starts nothing.

mod client;
mod format;
mod keys;
mod server;
mod skywalking;
mod values;

use std::path::Path;

pub use client::{ClientConfig, ObjectConfig};
pub use format::{Domain, Param, ParseError};
pub use keys::UnsupportedKey;
pub use server::{
    AdapterConfig, ServerConfig, DEFAULT_BACKLOG, DEFAULT_MAX_CONNS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REQUEST_MEMORY,
    DEFAULT_QUEUE_CAP, DEFAULT_QUEUE_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS,
};
pub use skywalking::SkyWalkingConfig;
pub use values::{AdapterProtocol, BadSetDivision, LogLevel, SetDivision, UnknownLevel};

use keys::Keys;

/// Why a config file cannot be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not in the TARS config format.
    #[error("config syntax error at {0}")]
    Syntax(#[from] ParseError),
    /// A value does not parse.
    #[error("line {line}: invalid {key}={value}: {reason}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A required section or key is absent.
    #[error("missing {0}")]
    Missing(String),
}

crate::debug_as_display!(ConfigError);

/// The whole file: `<tars><application>…</application></tars>`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// `enableset`: the service runs in a set.
    pub enable_set: bool,
    /// `setdivision` (`name.area.group`), read when `enableset` is on (tarsnode writes `NULL`
    /// otherwise).
    pub set_division: Option<SetDivision>,
    /// `<server>`, absent in client-only processes.
    pub server: Option<ServerConfig>,
    /// `<client>`.
    pub client: ClientConfig,
    /// `<skywalking>`, when the application reports spans to a SkyWalking OAP.
    pub skywalking: Option<SkyWalkingConfig>,
    /// The parsed tree, for sections and keys of the application's own.
    pub tree: Domain,
}

/// The config a server runs on when started without `--config`: `TestApp.HelloServer`
/// with no adapters (the application adds its servants' adapters).
pub const EMBEDDED_DEFAULT: &str = "<tars>
  <application>
    <server>
      app=TestApp
      server=HelloServer
    </server>
    <client>
      async-invoke-timeout=3000
    </client>
  </application>
</tars>
";

impl Config {
    /// Reads and parses a config file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        text.parse()
    }

    /// The set the service runs in: `setdivision` when `enableset` is on.
    pub fn set(&self) -> Option<&SetDivision> {
        self.set_division.as_ref().filter(|_| self.enable_set)
    }

    /// Every key of the file that this runtime reads but does not act on, in file order.
    pub fn unsupported(&self) -> Vec<&UnsupportedKey> {
        let mut all: Vec<&UnsupportedKey> = self.client.unsupported_keys().collect();
        if let Some(s) = &self.server {
            all.extend(s.unsupported_keys());
        }
        if let Some(s) = &self.skywalking {
            all.extend(&s.unsupported);
        }
        all.sort_by_key(|k| k.line);
        all
    }
}

impl std::str::FromStr for Config {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Config, ConfigError> {
        let tree = Domain::parse(text)?;
        let app = tree
            .domain("tars/application")
            .ok_or_else(|| ConfigError::Missing("section <tars><application>".into()))?;
        let mut keys = Keys::new(app);
        let enable_set = keys.bool("enableset", false)?;
        // tarsnode writes `setdivision=NULL` when set division is off.
        let set_division = match enable_set {
            true => Some(
                keys.parsed::<SetDivision>("setdivision")?
                    .ok_or_else(|| ConfigError::Missing("setdivision= (enableset=Y) in <application>".into()))?,
            ),
            false => {
                keys.string("setdivision");
                None
            }
        };
        let server = app.domain("server").map(server::parse).transpose()?;
        let client = app.domain("client").map(client::parse).transpose()?.unwrap_or_default();
        let skywalking = app.domain("skywalking").map(skywalking::parse).transpose()?;
        Ok(Config {
            enable_set,
            set_division,
            server,
            client,
            skywalking,
            tree: tree.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
