use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    id: u64,
}

fn main() {}
