// A missing ';' after a field: one error at the next token, and the rest of the struct still parses.
mod m {
    tars::include_tars!("syntax_error.tars");
}

fn main() {}
