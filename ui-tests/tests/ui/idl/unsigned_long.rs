// TARS has no unsigned long.
mod m {
    tars::include_tars!("unsigned_long.tars");
}

fn main() {}
