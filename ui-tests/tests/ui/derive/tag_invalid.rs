use tars::TarsStruct;

// A bad tag is reported once, and does not collide with the real tag 0.
#[derive(TarsStruct)]
struct Bad {
    #[tars(tag = 0)]
    id: i32,
    #[tars(tag = -1)]
    negative: i32,
    #[tars(tag = "1")]
    quoted: i32,
}

fn main() {}
