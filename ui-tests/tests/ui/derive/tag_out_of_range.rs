use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 1)]
    id: i32,
    #[tars(tag = 256)]
    name: String,
}

fn main() {}
