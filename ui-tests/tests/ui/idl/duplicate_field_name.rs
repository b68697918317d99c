// Two fields with the same name (different tags).
mod m {
    tars::include_tars!("duplicate_field_name.tars");
}

fn main() {}
