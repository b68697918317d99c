// A struct as a map key needs a key[] to order it.
mod m {
    tars::include_tars!("map_key_without_key.tars");
}

fn main() {}
