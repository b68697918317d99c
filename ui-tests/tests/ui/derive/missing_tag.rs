use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    id: i32,
    name: String,
}

fn main() {}
