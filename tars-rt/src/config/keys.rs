//! Typed access to one section's keys. Every key is taken once: by a typed getter (the key
//! acts), by [`Keys::unsupported`] (a TARS key this runtime does not act on, reported at
//! start), or by [`Keys::tarsnode`] (a key tarsnode writes for itself). What is left is the
//! application's own (`extra`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::format::{Domain, Param};
use super::ConfigError;
use crate::transport::endpoint::{Endpoint, EndpointError};
use crate::transport::tls::TlsConfig;

/// A key of the standard TARS config that this runtime reads but does not act on: reported
/// at start, with why and what acts instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsupportedKey {
    /// The section (`server`, `client`, an adapter's or an object's name).
    pub section: String,
    /// The key.
    pub key: String,
    /// Its 1-based line in the file.
    pub line: usize,
    /// Why it does nothing here.
    pub why: &'static str,
}

impl std::fmt::Display for UnsupportedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: <{}> {} has no effect here: {}",
            self.line, self.section, self.key, self.why
        )
    }
}

pub(super) struct Keys<'a> {
    domain: &'a Domain,
    left: BTreeMap<String, String>,
    unsupported: Vec<UnsupportedKey>,
}

impl<'a> Keys<'a> {
    pub(super) fn new(domain: &'a Domain) -> Self {
        let left = domain
            .params
            .iter()
            .map(|(k, p)| (k.clone(), p.value.clone()))
            .collect();
        Keys {
            domain,
            left,
            unsupported: Vec::new(),
        }
    }

    fn take(&mut self, key: &str) -> Option<&'a Param> {
        self.left.remove(key);
        self.domain.params.get(key).filter(|p| !p.value.is_empty())
    }

    pub(super) fn invalid(p: &Param, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            line: p.line,
            key: key.to_string(),
            value: p.value.clone(),
            reason: reason.into(),
        }
    }

    /// `key`, a TARS key this runtime does not act on: reported (when present) as `why`.
    pub(super) fn unsupported(&mut self, key: &str, why: &'static str) {
        if let Some(p) = self.take(key) {
            self.unsupported.push(UnsupportedKey {
                section: self.domain.name.clone(),
                key: key.to_string(),
                line: p.line,
                why,
            });
        }
    }

    /// `key`, written by tarsnode for itself (it reads it back from the same file): not the
    /// server's.
    pub(super) fn tarsnode(&mut self, key: &str) {
        self.take(key);
    }

    pub(super) fn string(&mut self, key: &str) -> Option<String> {
        self.take(key).map(|p| p.value.clone())
    }

    pub(super) fn int<T: std::str::FromStr>(&mut self, key: &str, default: T) -> Result<T, ConfigError> {
        match self.take(key) {
            None => Ok(default),
            Some(p) => p
                .value
                .parse()
                .map_err(|_| Self::invalid(p, key, "not a non-negative integer")),
        }
    }

    pub(super) fn ms(&mut self, key: &str, default_ms: u64) -> Result<Duration, ConfigError> {
        match self.take(key) {
            None => Ok(Duration::from_millis(default_ms)),
            Some(p) => p
                .value
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| Self::invalid(p, key, "not a number of milliseconds")),
        }
    }

    pub(super) fn opt_ms(&mut self, key: &str) -> Result<Option<Duration>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(p) => p
                .value
                .parse()
                .map(|ms| Some(Duration::from_millis(ms)))
                .map_err(|_| Self::invalid(p, key, "not a number of milliseconds")),
        }
    }

    pub(super) fn bool(&mut self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.take(key) {
            None => Ok(default),
            Some(p) => parse_bool(&p.value).ok_or_else(|| Self::invalid(p, key, "expected Y or N")),
        }
    }

    /// `1048576`, `512K`, `10M`, `10MB`, `1G`.
    pub(super) fn size(&mut self, key: &str, default: u64) -> Result<u64, ConfigError> {
        let Some(p) = self.take(key) else {
            return Ok(default);
        };
        let v = p.value.to_ascii_uppercase();
        let v = v.trim_end_matches('B');
        let (num, mult) = match v.chars().last() {
            Some('K') => (&v[..v.len() - 1], 1u64 << 10),
            Some('M') => (&v[..v.len() - 1], 1 << 20),
            Some('G') => (&v[..v.len() - 1], 1 << 30),
            _ => (v, 1),
        };
        num.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .ok_or_else(|| Self::invalid(p, key, "not a size (e.g. 1048576, 512K, 10M)"))
    }

    pub(super) fn endpoint(&mut self, key: &str) -> Result<Option<Endpoint>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(p) => p
                .value
                .parse()
                .map(Some)
                .map_err(|e: EndpointError| Self::invalid(p, key, e.reason)),
        }
    }

    pub(super) fn parsed<T: std::str::FromStr>(&mut self, key: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.take(key) {
            None => Ok(None),
            Some(p) => p
                .value
                .parse::<T>()
                .map(Some)
                .map_err(|e| Self::invalid(p, key, e.to_string())),
        }
    }

    /// `ca`, `cert`, `key`, `verifyclient`; `ciphers` is reported: TarsCpp reads it as an
    /// OpenSSL cipher list and TarsGo as the key's password, and rustls keeps its own safe
    /// cipher suites.
    pub(super) fn tls(&mut self) -> Result<TlsConfig, ConfigError> {
        self.unsupported(
            "ciphers",
            "rustls uses its safe default cipher suites (TarsCpp reads this as an OpenSSL cipher list, TarsGo as the key's password)",
        );
        Ok(TlsConfig {
            ca: self.string("ca"),
            cert: self.string("cert"),
            key: self.string("key"),
            verify_client: self.bool("verifyclient", false)?,
        })
    }

    /// What was reported unsupported, and the keys left (the application's own).
    pub(super) fn finish(self) -> (Vec<UnsupportedKey>, BTreeMap<String, String>) {
        (self.unsupported, self.left)
    }
}

/// `Y`/`N` and their spellings.
pub(super) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}
