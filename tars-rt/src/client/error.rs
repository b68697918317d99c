//! The one error a call returns.

use std::fmt;
use std::sync::Arc;

use crate::codec::DecodeError;
use crate::status::codes;
use crate::Status;

/// Why a call failed: what went wrong ([`CallErrorKind`]), and where (servant, function,
/// endpoint). [`CallError::code`] gives the TARS return code for every case.
#[derive(Debug, Clone)]
pub struct CallError {
    /// The object called.
    pub servant: String,
    /// The function called.
    pub function: String,
    /// The endpoint the call went to, if it got that far.
    pub endpoint: Option<String>,
    /// What went wrong.
    pub kind: CallErrorKind,
}

/// The cases of a [`CallError`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CallErrorKind {
    /// The server answered with a non-zero return code.
    Server {
        /// `iRet`.
        code: i32,
        /// `sResultDesc`.
        message: String,
    },
    /// No reply before the deadline (-7).
    Timeout,
    /// Could not connect to any endpoint (-8).
    Connect(Arc<std::io::Error>),
    /// The connection failed while the call was in flight, or the request could not be sent
    /// (-13).
    Send(String),
    /// The reply could not be decoded (-12).
    Decode(DecodeError),
    /// The object string or an endpoint is invalid, or no endpoint is known (-10).
    NoEndpoint(String),
    /// A filter rejected the call with this status.
    Rejected(Status),
}

impl CallError {
    pub(crate) fn new(servant: &str, function: &str, endpoint: Option<String>, kind: CallErrorKind) -> Self {
        CallError {
            servant: servant.to_string(),
            function: function.to_string(),
            endpoint,
            kind,
        }
    }

    /// The TARS return code: the server's for [`CallErrorKind::Server`], the framework's
    /// client-side codes otherwise.
    pub fn code(&self) -> i32 {
        match &self.kind {
            CallErrorKind::Server { code, .. } => *code,
            CallErrorKind::Timeout => codes::INVOKE_TIMEOUT,
            CallErrorKind::Connect(_) => codes::PROXY_CONNECT_ERROR,
            CallErrorKind::Send(_) => codes::SEND_REQUEST_ERROR,
            CallErrorKind::Decode(_) => codes::CLIENT_DECODE_ERROR,
            CallErrorKind::NoEndpoint(_) => codes::ADAPTER_NULL,
            CallErrorKind::Rejected(s) => s.code(),
        }
    }

    /// The server's description for server errors; a description of the failure otherwise.
    pub fn message(&self) -> String {
        match &self.kind {
            CallErrorKind::Server { message, .. } => message.clone(),
            CallErrorKind::Timeout => "timed out".into(),
            CallErrorKind::Connect(e) => format!("cannot connect: {e}"),
            CallErrorKind::Send(e) => e.clone(),
            CallErrorKind::Decode(e) => format!("cannot decode the reply: {e}"),
            CallErrorKind::NoEndpoint(e) => e.clone(),
            CallErrorKind::Rejected(s) => s.message().to_string(),
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, CallErrorKind::Timeout)
    }

    /// As a [`Status`] (code and message), e.g. to return it from a servant.
    pub fn to_status(&self) -> Status {
        Status::new(self.code(), self.message())
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.servant, self.function)?;
        if let Some(ep) = &self.endpoint {
            write!(f, " at {ep}")?;
        }
        write!(f, " failed with {}: {}", self.code(), self.message())
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CallErrorKind::Connect(e) => Some(&**e),
            CallErrorKind::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CallError> for Status {
    fn from(e: CallError) -> Self {
        e.to_status()
    }
}
