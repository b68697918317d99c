use tars::TarsEnum;

#[derive(TarsEnum)]
#[repr(i64)]
enum Big {
    A = 1,
    B = (1 << 32) + 1,
}

fn main() {}
