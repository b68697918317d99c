//! Graceful restart, TarsGo's way and with its names: the running server starts a new process
//! of the same binary that inherits every listening socket (`LISTEN_FD_INHERIT_<proto>_<addr>=<fd>`
//! in its environment, with `GRACE_RESTART=1`); the new process binds nothing, takes the
//! sockets, serves, and tells its parent with SIGUSR2; the parent then stops gracefully
//! (`_reconnect_` to its connections, drain). The listening sockets never close, so a client
//! sees no refused connection and no failed call.

use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// TarsGo's prefix of the variables naming inherited sockets.
pub const INHERIT_PREFIX: &str = "LISTEN_FD_INHERIT";
/// Set in the new process's environment.
pub const GRACE_RESTART: &str = "GRACE_RESTART";

/// The variable naming the socket of `proto` (`tcp`, `udp`) listening on `addr` (`host:port`
/// as the endpoint says it).
pub(crate) fn key(proto: &str, addr: &str) -> String {
    format!("{INHERIT_PREFIX}_{proto}_{addr}")
}

/// Inherited descriptors already taken (each is owned once).
static TAKEN: Mutex<BTreeSet<RawFd>> = Mutex::new(BTreeSet::new());

/// The socket the parent left for `key`, if it did: the descriptor the variable names, when
/// it is an open socket not taken yet.
fn take(key: &str) -> Option<OwnedFd> {
    let fd: RawFd = std::env::var(key).ok()?.trim().parse().ok()?;
    // What the descriptor is, without touching it: the kernel's own view.
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    if !target.to_string_lossy().starts_with("socket:") {
        tracing::warn!(%key, fd, "the inherited descriptor is not a socket; binding anew");
        return None;
    }
    if !crate::sync::lock(&TAKEN).insert(fd) {
        return None;
    }
    // SAFETY: `fd` is open (the kernel lists it under /proc/self/fd) and is a socket; the
    // parent process put its number into our environment for this listener and left it open
    // across exec for us alone, so no other owner exists in this process, and TAKEN ensures
    // it is wrapped (owned) once.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The TCP listener the parent left for `addr`, ready for tokio.
pub(crate) fn take_tcp(addr: &str) -> Option<TcpListener> {
    let listener = TcpListener::from(take(&key("tcp", addr))?);
    listener.set_nonblocking(true).ok()?;
    tracing::info!(%addr, "listening on the socket inherited from the previous process");
    Some(listener)
}

/// The UDP socket the parent left for `addr`, ready for tokio.
pub(crate) fn take_udp(addr: &str) -> Option<UdpSocket> {
    let socket = UdpSocket::from(take(&key("udp", addr))?);
    socket.set_nonblocking(true).ok()?;
    tracing::info!(%addr, "serving the UDP socket inherited from the previous process");
    Some(socket)
}

/// A listening socket to hand over: its variable and a duplicate of its descriptor (the
/// same socket; the duplicate is what the new process inherits).
#[derive(Debug)]
pub(crate) struct Inheritable {
    pub(crate) key: String,
    fd: OwnedFd,
}

impl Inheritable {
    /// `socket`, under variable `key`.
    pub(crate) fn of(key: String, socket: &impl AsFd) -> std::io::Result<Self> {
        Ok(Inheritable {
            key,
            fd: socket.as_fd().try_clone_to_owned()?,
        })
    }
}

/// Starts the new process: this binary with these arguments, the environment without
/// inherited-socket variables of our own, plus one per socket in `sockets` (left open across
/// exec) and `GRACE_RESTART=1`.
pub(crate) fn spawn(sockets: &[Inheritable]) -> std::io::Result<std::process::Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with(INHERIT_PREFIX) {
            cmd.env_remove(name);
        }
    }
    for socket in sockets {
        rustix::io::fcntl_setfd(&socket.fd, rustix::io::FdFlags::empty())?;
        cmd.env(&socket.key, socket.fd.as_raw_fd().to_string());
    }
    cmd.env(GRACE_RESTART, "1");
    let child = cmd.spawn();
    // Later children of ours need not inherit them.
    for socket in sockets {
        let _ = rustix::io::fcntl_setfd(&socket.fd, rustix::io::FdFlags::CLOEXEC);
    }
    child
}

/// In a process started by a graceful restart: tells the parent the listeners are up
/// (SIGUSR2), so that it stops.
pub(crate) fn tell_parent_ready() {
    if std::env::var_os(GRACE_RESTART).is_none_or(|v| v != "1") {
        return;
    }
    match rustix::process::getppid() {
        Some(parent) => match rustix::process::kill_process(parent, rustix::process::Signal::USR2) {
            Ok(()) => tracing::info!(
                parent = parent.as_raw_nonzero().get(),
                "graceful restart: told the previous process to stop"
            ),
            Err(e) => tracing::warn!(error = %e, "graceful restart: cannot signal the previous process"),
        },
        None => tracing::warn!("graceful restart: no parent process to tell"),
    }
}
