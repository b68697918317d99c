struct Calc;

#[tars::servant]
impl Calc {
    async fn add(&self, #[tars(tag = 3)] a: i32, b: i32) -> Result<i32, tars::Status> {
        Ok(a + b)
    }
}

fn main() {}
