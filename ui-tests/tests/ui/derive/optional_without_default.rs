use tars::{TarsEnum, TarsStruct};

#[derive(TarsEnum, Clone, Copy)]
enum Color {
    Red = 1,
}

// An optional field needs a value for when it is absent: `default = ...` or `Default`.
#[derive(TarsStruct)]
struct Paint {
    #[tars(tag = 0, optional)]
    color: Color,
}

fn main() {}
