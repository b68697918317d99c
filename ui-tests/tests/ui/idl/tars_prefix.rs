// Names starting with 'tars' are reserved for the framework (unless with_tars is given).
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/tars_prefix.tars");
}

fn main() {}
