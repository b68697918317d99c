use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    id: i32,
    #[tars(tag = 1)]
    name: String,
    #[tars(tag = 1)]
    age: i32,
}

fn main() {}
