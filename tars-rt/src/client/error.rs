//! The one error a call returns, and the typed causes inside it.

use std::fmt;
use std::sync::Arc;

use crate::codec::DecodeError;
use crate::discovery::DiscoveryError;
use crate::status::Code;
use crate::transport::endpoint::Endpoint;
use crate::transport::frame::FrameError;
use crate::Status;

/// Why a call failed: what went wrong ([`CallErrorKind`]), and where (servant, function,
/// endpoint). [`CallError::code`] gives the TARS return code for every case, and
/// [`std::error::Error::source`] the underlying cause. `Debug` prints the message and its
/// causes (what `main` shows when it returns the error); the fields are public.
#[derive(Clone)]
#[non_exhaustive]
pub struct CallError {
    /// The object called.
    pub servant: String,
    /// The function called.
    pub function: String,
    /// The endpoint the call went to, if it got that far.
    pub endpoint: Option<Arc<Endpoint>>,
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
    /// Could not connect to the endpoint (-8).
    Connect(Arc<std::io::Error>),
    /// The connection failed while the call was on it, or the request could not be sent
    /// (-13).
    Connection(ConnectionError),
    /// The reply could not be decoded (-12).
    Decode(DecodeError),
    /// No endpoint is known for the object (-10).
    Discovery(DiscoveryError),
    /// A filter rejected the call with this status.
    Rejected(Status),
    /// The proxy already has `limit` calls in flight (`objqueuemax`); sent nothing (-13).
    QueueFull {
        /// The limit.
        limit: usize,
    },
}

/// Why a connection failed the calls on it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The server closed the connection.
    #[error("the server closed the connection")]
    ClosedByPeer,
    /// Reading or writing failed.
    #[error("connection failed: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// The server sent something that is not a TARS frame.
    #[error("bad frame from the server: {0}")]
    BadFrame(#[source] FrameError),
    /// The server stopped sending half-way through a reply.
    #[error("the server stopped sending in the middle of a reply")]
    StalledReply,
    /// The connection was closed for being idle.
    #[error("the connection was closed for being idle")]
    Idle,
    /// The connection was gone before the request left: it was not sent.
    #[error("the connection is closed")]
    Closed,
    /// The server is going away and asked its clients to reconnect elsewhere (`_reconnect_`).
    #[error("the server asked its clients to reconnect (it is shutting down or restarting)")]
    Reconnect,
}

impl CallError {
    /// An error of `kind` for `servant.function`, at `endpoint` if the call got that far.
    pub fn new(servant: &str, function: &str, endpoint: Option<Arc<Endpoint>>, kind: CallErrorKind) -> Self {
        CallError {
            servant: servant.to_string(),
            function: function.to_string(),
            endpoint,
            kind,
        }
    }

    /// The TARS return code: the server's for [`CallErrorKind::Server`], the framework's
    /// client-side codes otherwise.
    pub fn code(&self) -> Code {
        match &self.kind {
            CallErrorKind::Server { code, .. } => Code::from_value(*code),
            CallErrorKind::Timeout => Code::InvokeTimeout,
            CallErrorKind::Connect(_) => Code::ProxyConnectError,
            CallErrorKind::Connection(_) => Code::SendRequestError,
            CallErrorKind::Decode(_) => Code::ClientDecodeError,
            CallErrorKind::Discovery(_) => Code::AdapterNull,
            CallErrorKind::Rejected(s) => s.code(),
            CallErrorKind::QueueFull { .. } => Code::SendRequestError,
        }
    }

    /// The server's description for server errors; a description of the failure otherwise.
    pub fn message(&self) -> String {
        match &self.kind {
            CallErrorKind::Server { message, .. } => message.clone(),
            CallErrorKind::Timeout => "timed out".into(),
            CallErrorKind::Connect(e) => format!("cannot connect: {e}"),
            CallErrorKind::Connection(e) => e.to_string(),
            CallErrorKind::Decode(e) => format!("cannot decode the reply: {e}"),
            CallErrorKind::Discovery(e) => e.to_string(),
            CallErrorKind::Rejected(s) => s.message().to_string(),
            CallErrorKind::QueueFull { limit } => {
                format!("invoke queue is full: {limit} calls in flight through this proxy (objqueuemax)")
            }
        }
    }

    /// Whether the request never left: the connect failed, or the connection was gone before
    /// it was sent. Such a call may go to another endpoint; any other may have run.
    pub fn was_not_sent(&self) -> bool {
        matches!(
            self.kind,
            CallErrorKind::Connect(_) | CallErrorKind::Connection(ConnectionError::Closed)
        )
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
        write!(f, " failed with {}: {}", self.code().value(), self.message())
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CallErrorKind::Connect(e) => Some(&**e),
            CallErrorKind::Connection(e) => Some(e),
            CallErrorKind::Decode(e) => Some(e),
            CallErrorKind::Discovery(e) => Some(e),
            CallErrorKind::Rejected(s) => Some(s),
            CallErrorKind::Server { .. } | CallErrorKind::Timeout | CallErrorKind::QueueFull { .. } => None,
        }
    }
}

crate::debug_as_display!(CallError);

impl From<CallError> for Status {
    fn from(e: CallError) -> Self {
        e.to_status()
    }
}
