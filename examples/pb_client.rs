//! Calls `SayHello` of the protobuf `Greeter` service over TARS and prints the reply.
//!
//! ```text
//! cargo run --example pb_client -- 'TestApp.PbServer.GreeterObj@tcp -h 127.0.0.1 -p 10019 -t 3000' [NAME]
//! ```
//!
//! With no object it calls `TestApp.PbServer.GreeterObj@tcp -h 127.0.0.1 -p 10019 -t 3000`;
//! `--locator LOCATOR` resolves the object through tarsregistry.

use tars::client::Communicator;

mod pb {
    tars::include_proto!("examples/proto/helloworld.proto", client_only);
}

use pb::helloworld::{GreeterProxy, HelloRequest};

const DEFAULT_OBJ: &str = "TestApp.PbServer.GreeterObj@tcp -h 127.0.0.1 -p 10019 -t 3000";
const USAGE: &str = "usage: pb_client [OBJECT] [NAME] [--locator LOCATOR]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut positional, mut locator) = (Vec::new(), None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--locator" => locator = Some(args.next().ok_or(format!("--locator needs a value\n{USAGE}"))?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'\n{USAGE}").into()),
            _ if positional.len() < 2 => positional.push(arg),
            extra => return Err(format!("unexpected argument '{extra}'\n{USAGE}").into()),
        }
    }
    let mut config = tars::config::ClientConfig::default();
    config.locator = locator;
    let comm = Communicator::from_config(&config);
    let object = positional.first().map_or(DEFAULT_OBJ, String::as_str);
    let name = positional.get(1).map_or("tars", String::as_str);
    let greeter: GreeterProxy = comm.string_to_proxy(object)?;
    let reply = greeter.say_hello(&HelloRequest { name: name.into() }).await?;
    println!("SayHello({name:?}) = {:?}", reply.message);
    Ok(())
}
