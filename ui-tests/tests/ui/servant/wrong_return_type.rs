// A method that returns the wrong type: the error points at its signature.
mod admin {
    tars::include_tars!("admin.tars");
}
use admin::ops::Admin as AdminF;
use tars::{Context, Status};

struct Admin;

#[tars::servant]
impl AdminF for Admin {
    async fn shutdown(&self, _ctx: &Context) -> Result<(), Status> {
        Ok(())
    }

    async fn get_pid(&self, _ctx: &Context) -> Result<i64, Status> {
        Ok(1)
    }

    async fn notify(&self, _ctx: &Context, command: String) -> Result<i32, Status> {
        Ok(command.len() as i32)
    }
}

fn main() {}
