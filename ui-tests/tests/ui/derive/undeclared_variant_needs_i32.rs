use tars::TarsEnum;

// The `undeclared` variant holds the value it keeps: `Variant(i32)`.
#[derive(TarsEnum)]
enum Level {
    Low = 1,
    #[tars(undeclared)]
    Other(String),
}

fn main() {}
