use tars::TarsStruct;

struct NotTars;

// The error points at the field's type, not at the derive.
#[derive(TarsStruct)]
struct Bad {
    #[tars(tag = 0, require)]
    field: NotTars,
}

fn main() {}
