// `module` and `interface` belong to code-first servants; a trait impl takes only `hooks`.
mod admin {
    tars::include_tars!("admin.tars");
}
use admin::ops::Admin as AdminF;
use tars::{Context, Status};

struct Admin;

#[tars::servant(interface = "Other")]
impl AdminF for Admin {
    async fn shutdown(&self, _ctx: &Context) -> Result<(), Status> {
        Ok(())
    }

    async fn get_pid(&self, _ctx: &Context) -> Result<i64, Status> {
        Ok(1)
    }

    async fn notify(&self, _ctx: &Context, command: String) -> Result<String, Status> {
        Ok(command)
    }
}

fn main() {}
