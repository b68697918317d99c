// `with_tars` is the only option of include_tars!.
mod m {
    tars::include_tars!("x.tars", nope);
}

fn main() {}
