//! The TARS endpoint grammar: `tcp|udp|ssl -h HOST -p PORT [-t TIMEOUT_MS] [-g GRID]
//! [-q QOS] [-w WEIGHT] [-v WEIGHT_TYPE] [-e AUTH_TYPE] [-b BIND_HOST]`, several joined by
//! `:`, and the object form `App.Server.Obj@ep[:ep...]`.

use std::fmt;
use std::str::FromStr;

/// What an endpoint speaks over: TCP, UDP or TLS (TarsGo's `Proto`, the registry's `istcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP: one packet per datagram.
    Udp,
    /// TLS over TCP.
    Ssl,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Ssl => "ssl",
        })
    }
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Endpoint {
    /// tcp, udp or ssl.
    pub proto: Proto,
    /// `-h`: host name or IP.
    pub host: String,
    /// `-p`: port.
    pub port: u16,
    /// `-t`: timeout in milliseconds (server: idle connections close after it; client: the
    /// connection's idle time). TARS' default is 3000.
    pub timeout_ms: u64,
    /// `-g`: grid (gray release) flag.
    pub grid: i32,
    /// `-q`: QoS (DSCP) value.
    pub qos: i32,
    /// `-w`: static weight.
    pub weight: i32,
    /// `-v`: weight type (0 round-robin, 1 static weight).
    pub weight_type: i32,
    /// `-e`: auth type.
    pub auth_type: i32,
    /// `-b`: local address to bind before connecting.
    pub bind: Option<String>,
}

/// The default `-t`.
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;

/// Why an endpoint string is invalid; the message quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint '{input}': {reason}")]
#[non_exhaustive]
pub struct EndpointError {
    /// The string as given.
    pub input: String,
    /// What is wrong.
    pub reason: String,
}

impl Endpoint {
    /// A TCP endpoint with default options.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            proto: Proto::Tcp,
            host: host.into(),
            port,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            grid: 0,
            qos: 0,
            weight: -1,
            weight_type: 0,
            auth_type: 0,
            bind: None,
        }
    }

    /// A UDP endpoint with default options.
    pub fn udp(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            proto: Proto::Udp,
            ..Endpoint::tcp(host, port)
        }
    }

    /// `host:port`, for connecting and binding.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Parses `ep[:ep...]`.
    pub fn parse_list(s: &str) -> Result<Vec<Endpoint>, EndpointError> {
        let list: Vec<Endpoint> = s
            .split(':')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|e: EndpointError| EndpointError {
                input: s.to_string(),
                reason: e.reason,
            })?;
        if list.is_empty() {
            return Err(EndpointError {
                input: s.to_string(),
                reason: "no endpoint".into(),
            });
        }
        Ok(list)
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| EndpointError {
            input: s.to_string(),
            reason,
        };
        let mut words = s.split_whitespace();
        let proto = match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("tcp") => Proto::Tcp,
            Some("udp") => Proto::Udp,
            Some("ssl") => Proto::Ssl,
            Some(other) => return Err(bad(format!("unknown transport '{other}' (expected tcp, udp or ssl)"))),
            None => return Err(bad("empty".into())),
        };
        let mut ep = Endpoint {
            proto,
            ..Endpoint::tcp("", 0)
        };
        let mut port = None;
        while let Some(flag) = words.next() {
            let value = words.next().ok_or_else(|| bad(format!("'{flag}' needs a value")))?;
            let int = |v: &str| {
                v.parse::<i32>()
                    .map_err(|_| bad(format!("'{flag} {v}' is not a number")))
            };
            match flag {
                "-h" => ep.host = value.to_string(),
                "-p" => {
                    let p = value
                        .parse::<u16>()
                        .map_err(|_| bad(format!("port '{value}' is not in 0..=65535")))?;
                    port = Some(p);
                }
                "-t" => {
                    ep.timeout_ms = value
                        .parse()
                        .map_err(|_| bad(format!("timeout '{value}' is not a number of milliseconds")))?
                }
                "-g" => ep.grid = int(value)?,
                "-q" => ep.qos = int(value)?,
                "-w" => ep.weight = int(value)?,
                "-v" => ep.weight_type = int(value)?,
                "-e" => ep.auth_type = int(value)?,
                "-b" => ep.bind = Some(value.to_string()),
                other => return Err(bad(format!("unknown option '{other}'"))),
            }
        }
        if ep.host.is_empty() {
            return Err(bad("missing '-h HOST'".into()));
        }
        ep.port = port.ok_or_else(|| bad("missing '-p PORT'".into()))?;
        Ok(ep)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -h {} -p {} -t {}",
            self.proto, self.host, self.port, self.timeout_ms
        )?;
        if self.grid != 0 {
            write!(f, " -g {}", self.grid)?;
        }
        if self.qos != 0 {
            write!(f, " -q {}", self.qos)?;
        }
        if self.weight != -1 {
            write!(f, " -w {}", self.weight)?;
        }
        if self.weight_type != 0 {
            write!(f, " -v {}", self.weight_type)?;
        }
        if self.auth_type != 0 {
            write!(f, " -e {}", self.auth_type)?;
        }
        if let Some(b) = &self.bind {
            write!(f, " -b {b}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_flag() {
        let ep: Endpoint = "tcp -h 127.0.0.1 -p 10015 -t 60000 -g 1 -q 2 -w 3 -v 1 -e 1 -b 10.0.0.1"
            .parse()
            .unwrap();
        assert_eq!(
            (ep.proto, ep.host.as_str(), ep.port, ep.timeout_ms),
            (Proto::Tcp, "127.0.0.1", 10015, 60000)
        );
        assert_eq!(
            (ep.grid, ep.qos, ep.weight, ep.weight_type, ep.auth_type),
            (1, 2, 3, 1, 1)
        );
        assert_eq!(ep.bind.as_deref(), Some("10.0.0.1"));
        assert_eq!(ep.to_string().parse::<Endpoint>().unwrap(), ep);
        assert_eq!(
            "udp -h h -p 1".parse::<Endpoint>().unwrap().timeout_ms,
            DEFAULT_TIMEOUT_MS
        );
    }

    #[test]
    fn lists_and_errors_quote_the_input() {
        let l = Endpoint::parse_list("tcp -h a -p 1:udp -h b -p 2").unwrap();
        assert_eq!(l.len(), 2);
        let e = Endpoint::parse_list("tcp -h a -p 1:tcp -h b -p 99999").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid endpoint 'tcp -h a -p 1:tcp -h b -p 99999': port '99999' is not in 0..=65535"
        );
        assert_eq!("tcp -h a".parse::<Endpoint>().unwrap_err().reason, "missing '-p PORT'");
        assert_eq!(
            "http -h a -p 1".parse::<Endpoint>().unwrap_err().reason,
            "unknown transport 'http' (expected tcp, udp or ssl)"
        );
        assert_eq!(
            "tcp -h a -p 1 -x 2".parse::<Endpoint>().unwrap_err().reason,
            "unknown option '-x'"
        );
        assert_eq!(
            "tcp -h a -p".parse::<Endpoint>().unwrap_err().reason,
            "'-p' needs a value"
        );
    }
}
