//! Calls `testHello` on a TARS server and prints the reply.
//!
//! ```text
//! cargo run --example hello_client -- 'TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015 -t 3000'
//! ```
//!
//! With no argument it calls that same default.

use tars::client::Communicator;

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

use hello::test_app::HelloProxy;

const DEFAULT_OBJ: &str = "TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015 -t 3000";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let obj = std::env::args().nth(1).unwrap_or_else(|| DEFAULT_OBJ.to_string());
    let comm = Communicator::new();
    let proxy: HelloProxy = comm.string_to_proxy(&obj)?;
    let (ret, s_rsp) = proxy.test_hello("hello tars").await?;
    println!("testHello(\"hello tars\") returned {ret}, sRsp = {s_rsp:?}");
    Ok(())
}
