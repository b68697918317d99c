use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    ids: Vec<Option<i32>>,
}

fn main() {}
