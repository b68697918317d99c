struct Calc;

#[tars::servant(modul = "App")]
impl Calc {
    async fn add(&self, a: i32, b: i32) -> Result<i32, tars::Status> {
        Ok(a + b)
    }
}

fn main() {}
