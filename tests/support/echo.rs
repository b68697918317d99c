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

/// Calls every method shape of `hello.tars` and `interop.tars` through `hello` and `echo` and
/// checks the answers (of [`HelloImp`] and [`EchoImp`], or the Node.js peer's, which answer
/// alike): no arguments, in and out parameters, every scalar, strings, bytes, structs,
/// vectors, maps, enums (an undeclared value too), void, one-way, and a servant's error code
/// with its message. `what` names the case in failures.
pub(crate) async fn every_shape(what: &str, hello: &hello::test_app::HelloProxy, echo: &interop::interop::EchoProxy) {
    use std::time::Instant;
    assert_eq!(hello.test().await.expect(what), 0, "{what}");
    assert_eq!(
        hello.test_hello("héllo").await.expect(what),
        (0, "héllo".to_string()),
        "{what}"
    );
    let (ret, sum) = echo
        .scalars(
            true,
            -128,
            -32768,
            i32::MAX,
            -9_007_199_254_740_993,
            1.5,
            -2.25,
            255,
            65535,
            u32::MAX,
        )
        .await
        .expect(what);
    let want = -128 - 32768 + i32::MAX as i64 - 9_007_199_254_740_993 + 255 + 65535 + u32::MAX as i64;
    assert_eq!((ret, sum), (0, want), "{what}");
    for s in ["", &"x".repeat(300), "héllo 世界"] {
        assert_eq!(echo.echo_string(s).await.expect(what), s, "{what}");
    }
    let blob: Vec<u8> = (0..1000).map(|i| i as u8).collect();
    assert_eq!(echo.echo_bytes(&blob).await.expect(what).as_ref(), &blob[..], "{what}");
    assert_eq!(echo.echo_item(&item(5)).await.expect(what), item(5), "{what}");
    let groups = BTreeMap::from([("g".to_string(), vec![1, 2]), ("h".to_string(), vec![])]);
    let (n, ids, names) = echo.collections(&[item(1), item(2)], &groups).await.expect(what);
    assert_eq!(
        (n, ids, names),
        (
            2,
            vec![1, 2],
            BTreeMap::from([(1, "item-1".to_string()), (2, "item-2".to_string())])
        ),
        "{what}"
    );
    assert_eq!(echo.echo_kind(Kind::KindB).await.expect(what), Kind::KindB, "{what}");
    assert_eq!(
        echo.echo_kind(Kind::from_value(7)).await.expect(what),
        Kind::Undeclared(7),
        "{what}"
    );
    echo.nothing().await.expect(what);
    // One-way, then read it back.
    let note = format!("note over {what}");
    echo.note_oneway(&note).await.expect(what);
    let start = Instant::now();
    while echo.last_note().await.expect(what).1 != note {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what}: the one-way note never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A servant's error code and message.
    let e = echo.fail(-77, "custom failure").await.unwrap_err();
    assert_eq!(e.code(), -77, "{what}: {e}");
    assert!(e.to_string().contains("custom failure"), "{what}: {e}");
}
