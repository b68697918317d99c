//! The outcome of a call at the wire: a TARS return code (`iRet`) and a description
//! (`sResultDesc`). Servant methods return `Result<T, Status>`; the server maps the error to
//! the response in one place, and the client turns a non-zero `iRet` back into a `Status`.

use std::fmt;

use crate::protocol::framework as f;

/// Return codes defined by the framework (`BaseF.tars`).
pub mod codes {
    use super::f;

    /// Success.
    pub const SUCCESS: i32 = f::TARSSERVERSUCCESS;
    /// The server could not decode the request or its parameters.
    pub const SERVER_DECODE_ERROR: i32 = f::TARSSERVERDECODEERR;
    /// The server could not encode the response.
    pub const SERVER_ENCODE_ERROR: i32 = f::TARSSERVERENCODEERR;
    /// No such function on the servant.
    pub const NO_SUCH_FUNCTION: i32 = f::TARSSERVERNOFUNCERR;
    /// No such servant on the server.
    pub const NO_SUCH_SERVANT: i32 = f::TARSSERVERNOSERVANTERR;
    /// The request waited in the server's queue past its timeout.
    pub const QUEUE_TIMEOUT: i32 = f::TARSSERVERQUEUETIMEOUT;
    /// The call timed out (client side).
    pub const INVOKE_TIMEOUT: i32 = f::TARSINVOKETIMEOUT;
    /// The client could not connect.
    pub const PROXY_CONNECT_ERROR: i32 = f::TARSPROXYCONNECTERR;
    /// The server is over capacity.
    pub const SERVER_OVERLOAD: i32 = f::TARSSERVEROVERLOAD;
    /// No adapter (endpoint) is available.
    pub const ADAPTER_NULL: i32 = f::TARSADAPTERNULL;
    /// The call's set is invalid.
    pub const INVALID_SET: i32 = f::TARSINVOKEBYINVALIDESET;
    /// The client could not decode the response.
    pub const CLIENT_DECODE_ERROR: i32 = f::TARSCLIENTDECODEERR;
    /// The client could not send the request.
    pub const SEND_REQUEST_ERROR: i32 = f::TARSSENDREQUESTERR;
    /// Anything else.
    pub const UNKNOWN: i32 = f::TARSSERVERUNKNOWNERR;
}

/// A TARS return code with its description.
#[derive(Clone, PartialEq, Eq)]
pub struct Status {
    code: i32,
    message: String,
}

impl Status {
    /// Any code: the framework's (see [`codes`]) or an application's own.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Status {
            code,
            message: message.into(),
        }
    }

    /// -1: the request or a parameter could not be decoded.
    pub fn decode_error(message: impl Into<String>) -> Self {
        Status::new(codes::SERVER_DECODE_ERROR, message)
    }

    /// -3: the servant has no such function.
    pub fn no_such_function(servant: &str, function: &str) -> Self {
        Status::new(
            codes::NO_SUCH_FUNCTION,
            format!("servant {servant} has no function '{function}'"),
        )
    }

    /// -4: the server has no such servant.
    pub fn no_such_servant(servant: &str) -> Self {
        Status::new(codes::NO_SUCH_SERVANT, format!("no servant '{servant}' on this server"))
    }

    /// -6: the request waited too long before it could run.
    pub fn queue_timeout(message: impl Into<String>) -> Self {
        Status::new(codes::QUEUE_TIMEOUT, message)
    }

    /// -9: the server is over capacity.
    pub fn overload(message: impl Into<String>) -> Self {
        Status::new(codes::SERVER_OVERLOAD, message)
    }

    /// -99: any other failure, with the error's text.
    pub fn unknown(message: impl fmt::Display) -> Self {
        Status::new(codes::UNKNOWN, message.to_string())
    }

    /// The return code.
    pub fn code(&self) -> i32 {
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
            .field("code", &self.code)
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
