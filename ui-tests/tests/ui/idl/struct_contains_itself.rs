// A struct that contains itself by value, directly or through another struct.
mod m {
    tars::include_tars!("struct_contains_itself.tars");
}

fn main() {}
