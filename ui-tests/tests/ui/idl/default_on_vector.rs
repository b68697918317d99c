// Vector, map and struct fields take no default.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/default_on_vector.tars");
}

fn main() {}
