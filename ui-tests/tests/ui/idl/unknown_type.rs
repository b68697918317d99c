// A misspelt builtin type gets a 'did you mean' hint.
mod m {
    tars::include_tars!("unknown_type.tars");
}

fn main() {}
