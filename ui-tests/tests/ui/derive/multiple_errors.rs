// Three unrelated mistakes in one struct: all three are reported in one build, and the
// struct is still usable as a TARS struct (no "trait bound not satisfied" follow-ups).
use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    id: i32,
    #[tars(tag = 0)]
    duplicate: i32,
    #[tars(tag = 2)]
    count: u64,
    untagged: String,
}

fn main() {
    let r = Request {
        id: 1,
        duplicate: 2,
        count: 3,
        untagged: String::new(),
    };
    let bytes = tars::codec::to_bytes(&r);
    let _: Request = tars::codec::from_bytes(&bytes).unwrap();
}
