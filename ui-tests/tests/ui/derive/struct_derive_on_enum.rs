use tars::TarsStruct;

#[derive(TarsStruct)]
enum Color {
    Red = 1,
    Green = 2,
}

fn main() {}
