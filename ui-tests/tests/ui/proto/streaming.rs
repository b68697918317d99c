// Streaming rpcs have no TARS equivalent: each is an error naming the method, at its line.
mod pb {
    tars::include_proto!("streaming.proto");
}

fn main() {}
