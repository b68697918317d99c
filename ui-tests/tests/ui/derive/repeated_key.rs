use tars::TarsStruct;

#[derive(TarsStruct)]
struct Bad {
    #[tars(tag = 0, tag = 1)]
    id: i32,
}

fn main() {}
