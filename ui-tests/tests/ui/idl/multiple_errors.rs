// Four unrelated mistakes in different places: all four are reported in one build.
mod m {
    tars::include_tars!("multiple_errors.tars");
}

fn main() {}
