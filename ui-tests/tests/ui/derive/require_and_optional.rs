use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0, require, optional)]
    id: i32,
}

fn main() {}
