// A string default on an int field, and an int default that does not fit a byte.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/default_wrong_type.tars");
}

fn main() {}
