//! The official Node.js implementation (`@tars/rpc`) calling tars-rs, and called by it.

#[cfg(feature = "http")]
mod http_to_node;
mod node_client;
mod node_server;
mod tarsgo_push;
