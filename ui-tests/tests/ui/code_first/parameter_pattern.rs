// Parameters are named on the wire (TUP and JSON): a pattern has no name.
struct Calc;

#[tars::servant]
impl Calc {
    async fn add(&self, (a, b): (i32, i32)) -> Result<i32, tars::Status> {
        Ok(a + b)
    }
}

fn main() {}
