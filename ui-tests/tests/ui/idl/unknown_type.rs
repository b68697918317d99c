// A misspelt builtin type gets a 'did you mean' hint.
mod m {
    tars::include_tars!("../../../../ui-tests/tests/ui/idl/unknown_type.tars");
}

fn main() {}
