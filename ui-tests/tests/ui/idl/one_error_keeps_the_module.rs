// One error in one item: the error is reported once, and the rest of the module is there
// (Good, the interface, and a stand-in for Bad), so using them adds no errors.
mod m {
    tars::include_tars!("one_error_keeps_the_module.tars");
}

use m::m::{Bad, Good, Svc};
use tars::{Context, Status};

struct Imp;

#[tars::servant]
impl Svc for Imp {
    async fn get(&self, _ctx: &Context, id: i32) -> Result<Good, Status> {
        Ok(Good { id, name: String::new() })
    }

    async fn put(&self, _ctx: &Context, b: Bad) -> Result<i32, Status> {
        Ok(b.id)
    }
}

fn main() {
    let _ = tars::codec::to_bytes(&Good::default());
    let _ = Bad::default();
}
