//! The outcome of a call at the wire: a TARS return code (`iRet`) and a description
//! (`sResultDesc`). Servant methods return `Result<T, Status>`; the server maps the error to
//! the response in one place, and the client turns a non-zero `iRet` back into a `Status`.
//! The return codes have names ([`Code`]), mapped to and from the wire value in one place.

use std::fmt;

use crate::protocol as f;

/// A TARS return code: one of the framework's (`BaseF.tars`), by name, or an application's
/// own. Compares equal to its wire value (`code == -7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// 0: success.
    Success,
    /// -1: the server could not decode the request or a parameter.
    ServerDecodeError,
    /// -2: the server could not encode the response.
    ServerEncodeError,
    /// -3: the servant has no such function.
    NoSuchFunction,
    /// -4: the server has no such servant.
    NoSuchServant,
    /// -5: grid (gray release) state mismatch.
    ServerResetGrid,
    /// -6: the request waited in the server's queue past its timeout.
    QueueTimeout,
    /// -7: the call timed out (client side).
    InvokeTimeout,
    /// -8: the client could not connect.
    ProxyConnectError,
    /// -9: the server is over capacity.
    ServerOverload,
    /// -10: no endpoint (adapter) is available.
    AdapterNull,
    /// -11: the call broke the set rules.
    InvalidSet,
    /// -12: the client could not decode the response.
    ClientDecodeError,
    /// -13: the client could not send the request.
    SendRequestError,
    /// -99: any other failure.
    Unknown,
    /// A code of the application's own.
    Other(i32),
}

impl Code {
    /// The wire value.
    pub const fn value(self) -> i32 {
        match self {
            Code::Success => f::TARSSERVERSUCCESS,
            Code::ServerDecodeError => f::TARSSERVERDECODEERR,
            Code::ServerEncodeError => f::TARSSERVERENCODEERR,
            Code::NoSuchFunction => f::TARSSERVERNOFUNCERR,
            Code::NoSuchServant => f::TARSSERVERNOSERVANTERR,
            Code::ServerResetGrid => f::TARSSERVERRESETGRID,
            Code::QueueTimeout => f::TARSSERVERQUEUETIMEOUT,
            Code::InvokeTimeout => f::TARSINVOKETIMEOUT,
            Code::ProxyConnectError => f::TARSPROXYCONNECTERR,
            Code::ServerOverload => f::TARSSERVEROVERLOAD,
            Code::AdapterNull => f::TARSADAPTERNULL,
            Code::InvalidSet => f::TARSINVOKEBYINVALIDESET,
            Code::ClientDecodeError => f::TARSCLIENTDECODEERR,
            Code::SendRequestError => f::TARSSENDREQUESTERR,
            Code::Unknown => f::TARSSERVERUNKNOWNERR,
            Code::Other(v) => v,
        }
    }

    /// The code of a wire value.
    pub const fn from_value(value: i32) -> Code {
        match value {
            f::TARSSERVERSUCCESS => Code::Success,
            f::TARSSERVERDECODEERR => Code::ServerDecodeError,
            f::TARSSERVERENCODEERR => Code::ServerEncodeError,
            f::TARSSERVERNOFUNCERR => Code::NoSuchFunction,
            f::TARSSERVERNOSERVANTERR => Code::NoSuchServant,
            f::TARSSERVERRESETGRID => Code::ServerResetGrid,
            f::TARSSERVERQUEUETIMEOUT => Code::QueueTimeout,
            f::TARSINVOKETIMEOUT => Code::InvokeTimeout,
            f::TARSPROXYCONNECTERR => Code::ProxyConnectError,
            f::TARSSERVEROVERLOAD => Code::ServerOverload,
            f::TARSADAPTERNULL => Code::AdapterNull,
            f::TARSINVOKEBYINVALIDESET => Code::InvalidSet,
            f::TARSCLIENTDECODEERR => Code::ClientDecodeError,
            f::TARSSENDREQUESTERR => Code::SendRequestError,
            f::TARSSERVERUNKNOWNERR => Code::Unknown,
            v => Code::Other(v),
        }
    }

    /// The framework's name for the code (`TARSINVOKETIMEOUT`), `None` for application codes.
    pub const fn tars_name(self) -> Option<&'static str> {
        Some(match self {
            Code::Success => "TARSSERVERSUCCESS",
            Code::ServerDecodeError => "TARSSERVERDECODEERR",
            Code::ServerEncodeError => "TARSSERVERENCODEERR",
            Code::NoSuchFunction => "TARSSERVERNOFUNCERR",
            Code::NoSuchServant => "TARSSERVERNOSERVANTERR",
            Code::ServerResetGrid => "TARSSERVERRESETGRID",
            Code::QueueTimeout => "TARSSERVERQUEUETIMEOUT",
            Code::InvokeTimeout => "TARSINVOKETIMEOUT",
            Code::ProxyConnectError => "TARSPROXYCONNECTERR",
            Code::ServerOverload => "TARSSERVEROVERLOAD",
            Code::AdapterNull => "TARSADAPTERNULL",
            Code::InvalidSet => "TARSINVOKEBYINVALIDESET",
            Code::ClientDecodeError => "TARSCLIENTDECODEERR",
            Code::SendRequestError => "TARSSENDREQUESTERR",
            Code::Unknown => "TARSSERVERUNKNOWNERR",
            Code::Other(_) => return None,
        })
    }
}

impl From<i32> for Code {
    fn from(value: i32) -> Self {
        Code::from_value(value)
    }
}

impl From<Code> for i32 {
    fn from(code: Code) -> Self {
        code.value()
    }
}

impl PartialEq<i32> for Code {
    fn eq(&self, other: &i32) -> bool {
        self.value() == *other
    }
}

impl PartialEq<Code> for i32 {
    fn eq(&self, other: &Code) -> bool {
        *self == other.value()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tars_name() {
            Some(name) => write!(f, "{} ({name})", self.value()),
            None => write!(f, "{}", self.value()),
        }
    }
}

/// Return codes defined by the framework (`BaseF.tars`), as wire values.
pub mod codes {
    use super::Code;

    /// Success.
    pub const SUCCESS: i32 = Code::Success.value();
    /// The server could not decode the request or its parameters.
    pub const SERVER_DECODE_ERROR: i32 = Code::ServerDecodeError.value();
    /// The server could not encode the response.
    pub const SERVER_ENCODE_ERROR: i32 = Code::ServerEncodeError.value();
    /// No such function on the servant.
    pub const NO_SUCH_FUNCTION: i32 = Code::NoSuchFunction.value();
    /// No such servant on the server.
    pub const NO_SUCH_SERVANT: i32 = Code::NoSuchServant.value();
    /// The request waited in the server's queue past its timeout.
    pub const QUEUE_TIMEOUT: i32 = Code::QueueTimeout.value();
    /// The call timed out (client side).
    pub const INVOKE_TIMEOUT: i32 = Code::InvokeTimeout.value();
    /// The client could not connect.
    pub const PROXY_CONNECT_ERROR: i32 = Code::ProxyConnectError.value();
    /// The server is over capacity.
    pub const SERVER_OVERLOAD: i32 = Code::ServerOverload.value();
    /// No adapter (endpoint) is available.
    pub const ADAPTER_NULL: i32 = Code::AdapterNull.value();
    /// The call's set is invalid.
    pub const INVALID_SET: i32 = Code::InvalidSet.value();
    /// The client could not decode the response.
    pub const CLIENT_DECODE_ERROR: i32 = Code::ClientDecodeError.value();
    /// The client could not send the request.
    pub const SEND_REQUEST_ERROR: i32 = Code::SendRequestError.value();
    /// Anything else.
    pub const UNKNOWN: i32 = Code::Unknown.value();
}

/// A TARS return code with its description.
#[derive(Clone, PartialEq, Eq)]
pub struct Status {
    code: Code,
    message: String,
}

impl Status {
    /// Any code: the framework's ([`Code`]) or an application's own (an `i32`).
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Status {
            code: code.into(),
            message: message.into(),
        }
    }

    /// -1: the request or a parameter could not be decoded.
    pub fn decode_error(message: impl Into<String>) -> Self {
        Status::new(Code::ServerDecodeError, message)
    }

    /// -3: the servant has no such function.
    pub fn no_such_function(servant: &str, function: &str) -> Self {
        Status::new(
            Code::NoSuchFunction,
            format!("servant {servant} has no function '{function}'"),
        )
    }

    /// -4: the server has no such servant.
    pub fn no_such_servant(servant: &str) -> Self {
        Status::new(Code::NoSuchServant, format!("no servant '{servant}' on this server"))
    }

    /// -6: the request waited too long before it could run.
    pub fn queue_timeout(message: impl Into<String>) -> Self {
        Status::new(Code::QueueTimeout, message)
    }

    /// -9: the server is over capacity.
    pub fn overload(message: impl Into<String>) -> Self {
        Status::new(Code::ServerOverload, message)
    }

    /// -99: any other failure, with the error's text.
    pub fn unknown(message: impl fmt::Display) -> Self {
        Status::new(Code::Unknown, message.to_string())
    }

    /// The return code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Status")
            .field("code", &self.code.value())
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TARS return code {}: {}", self.code, self.message)
    }
}

impl std::error::Error for Status {}

impl From<crate::codec::DecodeError> for Status {
    fn from(e: crate::codec::DecodeError) -> Self {
        Status::decode_error(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_and_from_the_wire_once() {
        for v in [0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -99, 1, -77] {
            let code = Code::from_value(v);
            assert_eq!(code.value(), v);
            assert_eq!(code, v);
            assert_eq!(code.tars_name().is_none(), matches!(code, Code::Other(_)), "{v}");
        }
        assert_eq!(Code::from_value(-7), Code::InvokeTimeout);
        assert_eq!(Code::InvokeTimeout.to_string(), "-7 (TARSINVOKETIMEOUT)");
        let s = Status::new(-77, "custom");
        assert_eq!((s.code(), s.code().value()), (Code::Other(-77), -77));
        assert_eq!(s.to_string(), "TARS return code -77: custom");
    }
}
