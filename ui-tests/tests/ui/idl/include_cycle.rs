// include_cycle.tars includes include_cycle_b.tars, which includes include_cycle.tars.
mod m {
    tars::include_tars!("include_cycle.tars");
}

fn main() {}
