use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 1, requird)]
    id: i32,
}

fn main() {}
