//! A code-first servant (no `.tars` file): served, described, and printed as IDL.

use std::collections::BTreeMap;

use crate::support::raw::{args, request, Conn};
use tars::codec::{Reader, TarsEncode};
use tars::Application;
use tars::{Context, Status, TarsEnum, TarsStruct};

#[derive(TarsEnum, Debug, Clone, Copy, PartialEq, Default)]
#[tars(name = "Shop.Size")]
enum Size {
    #[default]
    Small = 1,
    Large = 2,
}

#[derive(TarsStruct, Debug, Clone, PartialEq)]
#[tars(name = "Shop.Order", default)]
struct Order {
    #[tars(tag = 0, require)]
    id: i64,
    #[tars(tag = 1, default = "tea")]
    item: String,
    #[tars(tag = 2, default = Size::Large)]
    size: Size,
    #[tars(tag = 3)]
    extras: BTreeMap<String, i32>,
}

struct Shop;

#[tars::servant(module = "Shop", interface = "ShopApi")]
impl Shop {
    /// Places an order; returns its id and the price.
    #[tars(outs = "price")]
    async fn place(
        &self,
        ctx: &Context,
        order: Order,
        #[tars(name = "sNote")] note: String,
    ) -> Result<(i64, f64), Status> {
        ctx.set_response_context("note", note);
        Ok((order.id, if order.size == Size::Large { 4.5 } else { 3.0 }))
    }

    async fn count(&self, items: Vec<String>) -> Result<i32, Status> {
        Ok(items.len() as i32)
    }

    async fn reset(&self) -> Result<(), ShopError> {
        Err(ShopError("disk on fire"))
    }

    /// Not served: not async.
    #[allow(dead_code)]
    fn helper(&self) {}
}

/// An application error type; methods may return any error that converts into `Status`.
struct ShopError(&'static str);

impl From<ShopError> for Status {
    fn from(e: ShopError) -> Self {
        Status::new(-500, e.0)
    }
}

#[tokio::test]
async fn code_first_servants_serve_and_describe_themselves() {
    let obj = "Shop.ShopServer.ShopObj";
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(obj, Shop)
        .endpoint(obj, "tcp -h 127.0.0.1 -p 0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut c = Conn::connect(server.local_addr(obj).unwrap()).await;
    let order = Order {
        id: 42,
        item: "coffee".into(),
        size: Size::Large,
        extras: BTreeMap::new(),
    };
    let body = args(|b| {
        order.encode(1, b);
        "by the window".to_string().encode(2, b);
    });
    let rsp = c.call(&request(1, obj, "place", body)).await;
    assert_eq!(rsp.i_ret, 0, "{}", rsp.s_result_desc);
    let mut r = Reader::from_bytes(&rsp.s_buffer);
    assert_eq!(r.read_field::<i64>(0).unwrap(), Some(42));
    assert_eq!(r.read_field::<f64>(3).unwrap(), Some(4.5));
    assert_eq!(rsp.context["note"], "by the window");

    let rsp = c
        .call(&request(
            2,
            obj,
            "count",
            args(|b| vec!["a".to_string(), "b".into()].encode(1, b)),
        ))
        .await;
    assert_eq!(Reader::from_bytes(&rsp.s_buffer).read_field::<i32>(0).unwrap(), Some(2));
    let rsp = c.call(&request(3, obj, "reset", Default::default())).await;
    assert_eq!((rsp.i_ret, rsp.s_result_desc.as_str()), (-500, "disk on fire"));
    let rsp = c.call(&request(4, obj, "helper", Default::default())).await;
    assert_eq!(rsp.i_ret, -3);
    server.shutdown().await;

    let idl = Shop::tars_idl();
    let expected = "module Shop
{
    enum Size
    {
        Small = 1,
        Large = 2
    };

    struct Order
    {
        0 require long id;
        1 optional string item = \"tea\";
        2 optional Shop::Size size = Large;
        3 optional map<string, int> extras;
    };

    interface ShopApi
    {
        long place(Shop::Order order, string sNote, out double price);
        int count(vector<string> items);
        void reset();
    };
};
";
    assert_eq!(idl, expected);
}

#[tokio::test]
async fn code_first_servants_get_a_proxy() {
    let obj = "Shop.ShopServer.ShopObj";
    let server = Application::new(tars::config::EMBEDDED_DEFAULT.parse().unwrap())
        .servant(obj, Shop)
        .endpoint(obj, "tcp -h 127.0.0.1 -p 0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let comm = tars::client::Communicator::new();
    let p: ShopProxy = comm
        .string_to_proxy(&format!("{obj}@{}", server.endpoint(obj).unwrap()))
        .unwrap();
    let order = Order {
        id: 9,
        item: "tea".into(),
        size: Size::Small,
        extras: BTreeMap::new(),
    };
    let reply = p
        .place_with(&tars::client::CallOptions::new(), &order, &"note".to_string())
        .await
        .unwrap();
    assert_eq!(reply.value, (9, 3.0));
    assert_eq!(reply.context["note"], "note");
    assert_eq!(p.count(&vec!["a".to_string()]).await.unwrap(), 1);
    assert_eq!(p.reset().await.unwrap_err().code(), -500);
    server.shutdown().await;
}
