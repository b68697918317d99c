// Vector, map and struct fields take no default.
mod m {
    tars::include_tars!("default_on_vector.tars");
}

fn main() {}
