// Names starting with 'tars' are reserved for the framework (unless with_tars is given).
mod m {
    tars::include_tars!("tars_prefix.tars");
}

fn main() {}
