// A string default on an int field, and an int default that does not fit a byte.
mod m {
    tars::include_tars!("default_wrong_type.tars");
}

fn main() {}
