use tars::TarsStruct;

#[derive(TarsStruct)]
struct Request {
    #[tars(tag = 0)]
    id: i32,
    #[tars(require)]
    name: String,
}

fn main() {}
