// The `client_only` and `server_only` expansions of one IDL, in two modules as a client crate
// and a server crate would have them: each half compiles without the other, the proxy is
// usable from one and the servant trait is implemented with `#[tars::servant]` in the other.
mod client {
    tars::include_tars!("idl_client_server.tars", client_only);
}

mod server {
    // Options go in any order.
    tars::include_tars!("idl_client_server.tars", with_tars, server_only);
}

use tars::client::{CallError, Communicator};
use tars::server::Servant;
use tars::{Context, Status};

struct HelloImp;

#[tars::servant]
impl server::demo::Hello for HelloImp {
    async fn greet(
        &self,
        _ctx: &Context,
        greeting: server::demo::Greeting,
    ) -> Result<(String, server::demo::Mood), Status> {
        let times = greeting.times.clamp(0, server::demo::MAX_TIMES) as usize;
        Ok((greeting.text.repeat(times), server::demo::Mood::Loud))
    }

    async fn ping(&self, _ctx: &Context) -> Result<(), Status> {
        Ok(())
    }
}

/// Every proxy method, type-checked (not run: no server listens here).
async fn call(proxy: &client::demo::HelloProxy) -> Result<(String, client::demo::Mood), CallError> {
    proxy.ping().await?;
    let greeting = client::demo::Greeting {
        text: "hi".into(),
        times: client::demo::MAX_TIMES,
    };
    proxy.greet(&greeting).await
}

fn main() {
    // The server side serves the interface the IDL describes.
    let desc = Servant::interface(&HelloImp);
    assert!(std::ptr::eq(desc, &server::demo::HELLO_INTERFACE));
    assert_eq!((desc.module, desc.name, desc.methods.len()), ("Demo", "Hello", 2));

    // The client side has the same descriptor and a proxy.
    assert_eq!(
        client::demo::HELLO_INTERFACE.method("greet").unwrap().ret,
        Some("string")
    );
    let proxy: client::demo::HelloProxy = Communicator::new()
        .string_to_proxy("Demo.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015")
        .unwrap();
    drop(call(&proxy));

    // The two expansions' types are distinct Rust types with one wire form.
    let sent = client::demo::Greeting {
        text: "hi".into(),
        times: 2,
    };
    let got: server::demo::Greeting = tars::codec::from_bytes(&tars::codec::to_bytes(&sent)).unwrap();
    assert_eq!((got.text.as_str(), got.times), ("hi", 2));
    assert_eq!(server::demo::Greeting::default().times, 1);
}
