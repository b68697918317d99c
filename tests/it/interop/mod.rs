//! The official Node.js implementation (`@tars/rpc`) calling tars-rs, and called by it.

mod node_client;
mod node_server;
