use tars::TarsStruct;

#[derive(TarsStruct)]
#[tars(nmae = "Test.Request")]
struct Request {
    #[tars(tag = 0)]
    id: i32,
}

fn main() {}
