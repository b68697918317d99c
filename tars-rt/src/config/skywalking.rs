//! `<skywalking>`: reporting spans to a SkyWalking OAP (cargo feature `skywalking`; see
//! `trace::skywalking`).

use std::collections::BTreeMap;

use super::format::Domain;
use super::keys::{Keys, UnsupportedKey};
use super::ConfigError;

/// `<tars><application><skywalking>`: the application reports the spans of its requests and
/// calls to a SkyWalking OAP, as go2sky does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SkyWalkingConfig {
    /// `oap`: the OAP's gRPC address, `host:port` (required).
    pub oap: String,
    /// `service`: the service the spans are of (default `App.Server`).
    pub service: Option<String>,
    /// `instance`: the service instance (default `App.Server@<localip>`).
    pub instance: Option<String>,
    /// `samplerate`: the share of traces started here that are reported, 0.0 to 1.0
    /// (default 1).
    pub sample_rate: f64,
    /// `buffer`: segments waiting for the OAP, at most; past it they are dropped and counted
    /// (default 30000, go2sky's).
    pub buffer: usize,
    /// Every key of the section when tars-rs is built without its `skywalking` feature.
    pub unsupported: Vec<UnsupportedKey>,
    /// Keys tars-rs does not know: the application's own.
    pub extra: BTreeMap<String, String>,
}

/// go2sky's send queue, in segments.
const DEFAULT_BUFFER: usize = 30_000;

/// The keys of `<skywalking>`.
const KEYS: [&str; 5] = ["oap", "service", "instance", "samplerate", "buffer"];

pub(super) fn parse(d: &Domain) -> Result<SkyWalkingConfig, ConfigError> {
    let mut k = Keys::new(d);
    if cfg!(not(feature = "skywalking")) {
        for key in KEYS {
            k.unsupported(key, "tars-rs is built without its `skywalking` feature");
        }
        let (unsupported, extra) = k.finish();
        return Ok(SkyWalkingConfig {
            oap: String::new(),
            service: None,
            instance: None,
            sample_rate: 1.0,
            buffer: DEFAULT_BUFFER,
            unsupported,
            extra,
        });
    }
    let oap = k
        .string("oap")
        .ok_or_else(|| ConfigError::Missing("oap= (the OAP's host:port) in <skywalking>".into()))?;
    let service = k.string("service");
    let instance = k.string("instance");
    let sample_rate = match d.params.get("samplerate").filter(|p| !p.value.is_empty()) {
        None => 1.0,
        Some(p) => match k.parsed::<f64>("samplerate")? {
            Some(rate) if (0.0..=1.0).contains(&rate) => rate,
            _ => return Err(Keys::invalid(p, "samplerate", "not a rate from 0.0 to 1.0")),
        },
    };
    let buffer = k.int("buffer", DEFAULT_BUFFER)?;
    if buffer == 0 {
        let p = &d.params["buffer"];
        return Err(Keys::invalid(p, "buffer", "a buffer of 0 segments reports nothing"));
    }
    let (unsupported, extra) = k.finish();
    Ok(SkyWalkingConfig {
        oap,
        service,
        instance,
        sample_rate,
        buffer,
        unsupported,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};

    fn parse(section: &str) -> Result<Config, ConfigError> {
        format!("<tars><application><skywalking>\n{section}\n</skywalking></application></tars>").parse()
    }

    #[cfg(feature = "skywalking")]
    #[test]
    fn the_section_gives_the_oap_names_rate_and_buffer() {
        let c = parse("oap=oap:11800").unwrap();
        let s = c.skywalking.unwrap();
        assert_eq!(s.oap, "oap:11800");
        assert_eq!((s.service, s.instance), (None, None));
        assert_eq!((s.sample_rate, s.buffer), (1.0, 30_000));
        let c = parse("oap=oap:11800\nservice=App.S\ninstance=i-1\nsamplerate=0.25\nbuffer=100\nmine=1").unwrap();
        let s = c.skywalking.unwrap();
        assert_eq!(
            (s.service.as_deref(), s.instance.as_deref()),
            (Some("App.S"), Some("i-1"))
        );
        assert_eq!((s.sample_rate, s.buffer), (0.25, 100));
        assert_eq!(s.extra["mine"], "1");
        for (bad, key) in [
            ("samplerate=0.5", "oap="),
            ("oap=x:1\nsamplerate=1.5", "samplerate"),
            ("oap=x:1\nsamplerate=often", "samplerate"),
            ("oap=x:1\nbuffer=0", "buffer"),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(key), "{bad}: {e}");
        }
    }

    #[cfg(not(feature = "skywalking"))]
    #[test]
    fn without_the_feature_every_key_is_reported() {
        let c = parse("oap=oap:11800\nsamplerate=0.5").unwrap();
        let keys: Vec<&str> = c.unsupported().iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["oap", "samplerate"]);
    }
}
