// A parameter of a type that has no TARS form.
struct Calc;

struct Point {
    x: i32,
}

#[tars::servant]
impl Calc {
    async fn norm(&self, p: Point) -> Result<i32, tars::Status> {
        Ok(p.x)
    }
}

fn main() {}
