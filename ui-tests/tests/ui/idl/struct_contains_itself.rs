// A struct that contains itself by value, directly or through another struct.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/struct_contains_itself.tars");
}

fn main() {}
