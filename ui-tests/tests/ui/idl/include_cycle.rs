// include_cycle.tars includes include_cycle_b.tars, which includes include_cycle.tars.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/include_cycle.tars");
}

fn main() {}
