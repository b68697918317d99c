//! The client: calls, faults of servers and connections, the registry, routing.

mod basic;
mod faults;
mod protocols;
mod registry;
mod routing;
mod settings;
