// Tags are 0..=255.
mod m {
    tars::include_tars!("tag_out_of_range.tars");
}

fn main() {}
