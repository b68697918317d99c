// `outs` names two out parameters; the tuple after the return value has one.
struct Calc;

#[tars::servant]
impl Calc {
    #[tars(outs = "quotient, remainder")]
    async fn divide(&self, a: i32, b: i32) -> Result<(i32, i32), tars::Status> {
        Ok((0, a / b))
    }
}

fn main() {}
