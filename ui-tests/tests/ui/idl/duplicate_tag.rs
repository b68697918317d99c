// Two fields with the same tag.
mod m {
    tars::include_tars!("duplicate_tag.tars");
}

fn main() {}
