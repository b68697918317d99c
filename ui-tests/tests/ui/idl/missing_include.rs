// An #include of a file that does not exist: the error points at the #include.
mod m {
    tars::include_tars!("missing_include.tars");
}

fn main() {}
