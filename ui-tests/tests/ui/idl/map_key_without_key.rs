// A struct as a map key needs a key[] to order it.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/map_key_without_key.tars");
}

fn main() {}
