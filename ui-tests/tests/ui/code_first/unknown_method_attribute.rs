struct Calc;

#[tars::servant]
impl Calc {
    #[tars(rename = "plus")]
    async fn add(&self, a: i32, b: i32) -> Result<i32, tars::Status> {
        Ok(a + b)
    }
}

fn main() {}
