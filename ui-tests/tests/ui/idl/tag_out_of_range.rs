// Tags are 0..=255.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/tag_out_of_range.tars");
}

fn main() {}
