// Nothing to serve: no `async fn` taking `&self`.
struct Calc;

#[tars::servant]
impl Calc {
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
