//! The framework wing: what makes a tars-rs process a citizen of the TARS platform, as
//! tarsnode deploys it and the web console shows it. Each service plugs into the RPC core
//! through the core's own seams:
//!
//! | module | service | plugs in as |
//! |---|---|---|
//! | [`registry`] | tarsregistry: `App.Server.Obj` → endpoints | a [`Discover`](crate::discovery::Discover) source |
//! | [`stat`], [`reporter`] | tarsstat: every call made and request served | a [`CallObserver`](crate::client::CallObserver) and a [`ServeObserver`](crate::server::ServeObserver) |
//! | [`property`], [`reporter`] | tarsproperty: the service's values, and each adapter's | the same observers |
//! | [`notify`] | tarsnotify: start, stop, admin commands, the service's events | called by the application |
//! | [`node`] | tarsnode: the heartbeat of each live adapter | a task of the application |
//! | [`remote_config`] | tarsconfig: config files pulled into `basepath` | called at start and by `tars.loadconfig` |
//! | [`log`] | local rolling logs and tarslog | the process's `tracing` subscriber |
//! | [`admin`] | the admin object tarsnode and the console call | a servant on `local=` |
//! | [`platform`] | all of the above in one handle for servant code | — |
//!
//! [`FrameworkClient`] builds the process's one communicator on them: the registry as its
//! discovery source and the stat reporter as its observer, sharing its connections with the
//! wing's own calls. The wing's calls to the services go through a communicator of the same
//! connections that observes nothing, so reporting never reports itself.
//!
//! The services' interfaces are compiled here ([`idl`]), above the core: the core knows
//! none of them.

pub mod admin;
mod client;
pub mod idl;
pub mod log;
pub mod node;
pub mod notify;
pub(crate) mod panics;
pub mod platform;
pub mod property;
pub mod registry;
pub mod remote_config;
pub mod reporter;
pub mod stat;

pub use client::{FrameworkClient, FrameworkClientBuilder, NODE_NAME};
pub use platform::Platform;
