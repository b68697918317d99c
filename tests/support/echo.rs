//! A Rust implementation of `tests/idl/interop.tars` (`Interop.Echo`) and `hello.tars`,
//! served to foreign clients.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tars::{Context, Status};

pub(crate) use super::server::hello;

pub(crate) mod interop {
    tars::include_tars!("tests/idl/interop.tars");
}

use interop::interop::{Echo, Item, Kind};

pub(crate) struct HelloImp;

#[tars::servant]
impl hello::test_app::Hello for HelloImp {
    async fn test(&self, _ctx: &Context) -> Result<i32, Status> {
        Ok(0)
    }

    async fn test_hello(&self, _ctx: &Context, s_req: String) -> Result<(i32, String), Status> {
        Ok((0, s_req))
    }
}

#[derive(Default)]
pub(crate) struct EchoImp {
    last_note: Mutex<String>,
}

#[tars::servant]
impl Echo for EchoImp {
    #[allow(clippy::too_many_arguments)]
    async fn scalars(
        &self,
        _ctx: &Context,
        _b: bool,
        y: i8,
        s: i16,
        i: i32,
        l: i64,
        _f: f32,
        _d: f64,
        ub: u8,
        us: u16,
        ui: u32,
    ) -> Result<(i32, i64), Status> {
        let sum = y as i64 + s as i64 + i as i64 + l + ub as i64 + us as i64 + ui as i64;
        Ok((0, sum))
    }

    async fn echo_string(&self, _ctx: &Context, s: String) -> Result<String, Status> {
        Ok(s)
    }

    async fn echo_bytes(&self, _ctx: &Context, data: tars::bytes::Bytes) -> Result<tars::bytes::Bytes, Status> {
        Ok(data)
    }

    async fn echo_item(&self, _ctx: &Context, item: Item) -> Result<Item, Status> {
        Ok(item)
    }

    async fn collections(
        &self,
        _ctx: &Context,
        items: Vec<Item>,
        _groups: BTreeMap<String, Vec<i32>>,
    ) -> Result<(i32, Vec<i32>, BTreeMap<i32, String>), Status> {
        let ids = items.iter().map(|i| i.id).collect();
        let names = items.iter().map(|i| (i.id, i.name.clone())).collect();
        Ok((items.len() as i32, ids, names))
    }

    async fn echo_kind(&self, _ctx: &Context, k: Kind) -> Result<Kind, Status> {
        Ok(k)
    }

    async fn note(&self, _ctx: &Context, text: String) -> Result<(), Status> {
        *self.last_note.lock().unwrap() = text;
        Ok(())
    }

    async fn last_note(&self, _ctx: &Context) -> Result<(i32, String), Status> {
        Ok((0, self.last_note.lock().unwrap().clone()))
    }

    async fn slow(&self, _ctx: &Context, ms: i32) -> Result<i32, Status> {
        tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)).await;
        Ok(ms)
    }

    async fn fail(&self, _ctx: &Context, code: i32, message: String) -> Result<i32, Status> {
        Err(Status::new(code, message))
    }

    async fn nothing(&self, _ctx: &Context) -> Result<(), Status> {
        Ok(())
    }
}

/// A fully populated `Item`, for round trips.
pub(crate) fn item(id: i32) -> Item {
    Item {
        id,
        name: format!("item-{id}"),
        data: vec![0u8, 255, id as u8].into(),
        tags: BTreeMap::from([("k".into(), "v".into())]),
        kind: Kind::KindA,
    }
}
