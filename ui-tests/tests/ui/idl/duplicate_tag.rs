// Two fields with the same tag.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/duplicate_tag.tars");
}

fn main() {}
