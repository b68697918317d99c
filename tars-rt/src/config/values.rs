//! Typed values of the config: a log level, a set division, an adapter's protocol.

use std::fmt;
use std::str::FromStr;

/// A log level, as TARS names them (`logLevel`, `tars.setloglevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Everything, framework internals included (TarsCpp's `TARS`).
    Tars,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
    /// Nothing (`NONE`).
    None,
}

/// A level name that is not one of TARS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log level [{0}] (expected TARS, DEBUG, INFO, WARN, ERROR or NONE)")]
pub struct UnknownLevel(pub String);

impl FromStr for LogLevel {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "TARS" | "TRACE" => LogLevel::Tars,
            "DEBUG" => LogLevel::Debug,
            "INFO" => LogLevel::Info,
            "WARN" => LogLevel::Warn,
            "ERROR" => LogLevel::Error,
            "NONE" | "OFF" => LogLevel::None,
            _ => return Err(UnknownLevel(s.trim().to_string())),
        })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Tars => "TARS",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::None => "NONE",
        })
    }
}

/// A set division, `name.area.group` (`setdivision`): the set a service runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct SetDivision {
    /// The set's name.
    pub name: String,
    /// Its area.
    pub area: String,
    /// Its group (a number, or `*` in a lookup that takes any group).
    pub group: String,
}

impl SetDivision {
    /// The set `name.area.group`.
    pub fn new(name: impl Into<String>, area: impl Into<String>, group: impl Into<String>) -> Self {
        SetDivision {
            name: name.into(),
            area: area.into(),
            group: group.into(),
        }
    }
}

/// Why a set division is not `name.area.group`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a set division: expected name.area.group, with no `*` in the name or the area")]
pub struct BadSetDivision(pub String);

impl FromStr for SetDivision {
    type Err = BadSetDivision;

    /// As TarsCpp checks it: three parts, the first two not empty and without `*`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadSetDivision(s.to_string());
        let mut parts = s.trim().split('.');
        let (Some(name), Some(area), Some(group), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if name.is_empty() || area.is_empty() || group.is_empty() || name.contains('*') || area.contains('*') {
            return Err(bad());
        }
        Ok(SetDivision {
            name: name.into(),
            area: area.into(),
            group: group.into(),
        })
    }
}

impl fmt::Display for SetDivision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.name, self.area, self.group)
    }
}

/// What an adapter speaks (`protocol`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum AdapterProtocol {
    /// TARS, with TUP and JSON requests (`tars`, the default).
    #[default]
    Tars,
    /// A protocol the application registers under this name
    /// ([`Application::protocol`](crate::application::Application::protocol)).
    Named(String),
}

impl FromStr for AdapterProtocol {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "" | "tars" => AdapterProtocol::Tars,
            other => AdapterProtocol::Named(other.to_string()),
        })
    }
}

impl fmt::Display for AdapterProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdapterProtocol::Tars => f.write_str("tars"),
            AdapterProtocol::Named(n) => f.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_are_tars_names() {
        for (s, l) in [
            ("DEBUG", LogLevel::Debug),
            ("info", LogLevel::Info),
            ("WARN", LogLevel::Warn),
            ("ERROR", LogLevel::Error),
            ("NONE", LogLevel::None),
            ("TARS", LogLevel::Tars),
        ] {
            assert_eq!(s.parse::<LogLevel>(), Ok(l));
            assert_eq!(l.to_string(), s.to_ascii_uppercase());
        }
        assert_eq!("LOUD".parse::<LogLevel>(), Err(UnknownLevel("LOUD".into())));
    }

    #[test]
    fn set_divisions_are_checked_as_tarscpp_checks_them() {
        let s: SetDivision = "gz.sz.1".parse().unwrap();
        assert_eq!((s.name.as_str(), s.area.as_str(), s.group.as_str()), ("gz", "sz", "1"));
        assert_eq!(s.to_string(), "gz.sz.1");
        assert_eq!("gz.sz.*".parse::<SetDivision>().unwrap().group, "*");
        for bad in ["NULL", "gz.sz", "gz.sz.1.2", "*.sz.1", "gz..1", ""] {
            assert!(bad.parse::<SetDivision>().is_err(), "{bad}");
        }
    }
}
