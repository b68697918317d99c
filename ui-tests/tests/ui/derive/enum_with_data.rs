use tars::TarsEnum;

#[derive(TarsEnum)]
enum Shape {
    Circle,
    Square(i32),
}

fn main() {}
