// The error type must convert into a TARS status.
struct Calc;

#[tars::servant]
impl Calc {
    async fn add(&self, a: i32, b: i32) -> Result<i32, String> {
        Ok(a + b)
    }
}

fn main() {}
