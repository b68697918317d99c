// Options: an unknown one, and two choices of parts.
mod unknown {
    tars::include_proto!("x.proto", grpc);
}

mod conflict {
    tars::include_proto!("x.proto", client_only, server_only);
}

fn main() {}
