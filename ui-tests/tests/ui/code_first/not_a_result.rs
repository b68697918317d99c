struct Calc;

#[tars::servant]
impl Calc {
    async fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
