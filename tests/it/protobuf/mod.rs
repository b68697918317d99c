//! Protobuf servants and proxies (`include_proto!`): every kind of field end to end, the
//! bytes TarsGo's `protoc-gen-go-tarsrpc` code sends and expects, errors and one-way calls.

mod rich;
mod wire;
