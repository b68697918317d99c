// Two fields with the same name (different tags).
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/duplicate_field_name.tars");
}

fn main() {}
