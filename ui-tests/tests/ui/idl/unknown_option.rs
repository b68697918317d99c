// An unknown option of include_tars!: the error lists every option.
mod m {
    tars::include_tars!("x.tars", nope);
}

fn main() {}
