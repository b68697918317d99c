//! How a call's arguments and results are encoded in `sBuffer`, told by the packet's
//! `iVersion`: the one setting clients choose per proxy (TarsGo's `TarsSetProtocol`, TarsCpp's
//! `tars_set_protocol`) and servers read from each request.

use std::fmt;
use std::str::FromStr;

use super::{JSONVERSION, TARSVERSION, TUPVERSION};

/// How a request's `sBuffer` (and its reply's) is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// `iVersion` 1: fields by tag (`tars`).
    #[default]
    Tars,
    /// `iVersion` 2: `map<name, map<type name, bytes>>` (`tup2`).
    TupV2,
    /// `iVersion` 3: `map<name, bytes>` (`tup`).
    TupV3,
    /// `iVersion` 5: a JSON object (`json`).
    Json,
}

impl Encoding {
    /// The encoding for an `iVersion`, `None` for versions no TARS server serves.
    pub fn from_version(version: i16) -> Option<Encoding> {
        match version {
            TARSVERSION => Some(Encoding::Tars),
            2 => Some(Encoding::TupV2),
            TUPVERSION => Some(Encoding::TupV3),
            JSONVERSION => Some(Encoding::Json),
            _ => None,
        }
    }

    /// The `iVersion` of packets in this encoding.
    pub fn version(self) -> i16 {
        match self {
            Encoding::Tars => TARSVERSION,
            Encoding::TupV2 => 2,
            Encoding::TupV3 => TUPVERSION,
            Encoding::Json => JSONVERSION,
        }
    }

    /// The name in configs and on command lines: `tars`, `tup2`, `tup`, `json`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Tars => "tars",
            Encoding::TupV2 => "tup2",
            Encoding::TupV3 => "tup",
            Encoding::Json => "json",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A protocol name that is not one of `tars`, `tup`, `tup2`, `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol [{0}] (expected tars, tup, tup2 or json)")]
pub struct UnknownEncoding(pub String);

impl FromStr for Encoding {
    type Err = UnknownEncoding;

    /// `tars`, `tup` (TUP v3; `tup3` too), `tup2`, `json`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "tars" => Encoding::Tars,
            "tup" | "tup3" => Encoding::TupV3,
            "tup2" => Encoding::TupV2,
            "json" => Encoding::Json,
            _ => return Err(UnknownEncoding(s.trim().to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_round_trip() {
        for e in [Encoding::Tars, Encoding::TupV2, Encoding::TupV3, Encoding::Json] {
            assert_eq!(e.name().parse::<Encoding>(), Ok(e));
            assert_eq!(Encoding::from_version(e.version()), Some(e));
        }
        assert_eq!(" TUP ".parse::<Encoding>(), Ok(Encoding::TupV3));
        assert_eq!(
            "xml".parse::<Encoding>().unwrap_err().to_string(),
            "unknown protocol [xml] (expected tars, tup, tup2 or json)"
        );
        assert_eq!(Encoding::from_version(4), None);
    }
}
