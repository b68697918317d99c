// TARS has no unsigned long.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/unsigned_long.tars");
}

fn main() {}
