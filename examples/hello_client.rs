//! Calls `testHello` on a TARS server and prints the reply and the endpoint that answered.
//!
//! ```text
//! cargo run --example hello_client -- 'TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015 -t 3000'
//! cargo run --example hello_client -- TestApp.HelloServer.HelloObj \
//!     --locator 'tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890'
//! cargo run --example hello_client -- OBJ --hash user-42               # mod hash
//! cargo run --example hello_client -- OBJ --hash user-42 --consistent  # Ketama
//! cargo run --example hello_client -- OBJ --protocol tup               # TUP v3 (also tup2, json)
//! ```
//!
//! With no object it calls `TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015 -t 3000`.
//! A `--hash` key that is a number is the hash code itself (TarsGo's
//! `current.SetClientHash(ctx, type, code)`); any other key is hashed as TarsGo's
//! `tars.HashString` does. `--set name.area.group` looks the object up in a set. `--protocol`
//! says how the call's arguments and results are encoded: `tars` (the default), `tup` (TUP
//! v3), `tup2` (TUP v2) or `json`.

use tars::client::{CallOptions, Communicator, Encoding};

mod hello {
    tars::include_tars!("tests/idl/hello.tars");
}

use hello::test_app::HelloProxy;

const DEFAULT_OBJ: &str = "TestApp.HelloServer.HelloObj@tcp -h 127.0.0.1 -p 10015 -t 3000";
const USAGE: &str =
    "usage: hello_client [OBJECT] [--locator LOCATOR] [--hash KEY [--consistent]] [--set SET] [--protocol tars|tup|tup2|json]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut object = None;
    let (mut locator, mut hash, mut consistent, mut set) = (None, None, false, None);
    let mut protocol = Encoding::Tars;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--locator" => locator = Some(value("--locator")?),
            "--hash" => hash = Some(value("--hash")?),
            "--consistent" => consistent = true,
            "--set" => set = Some(value("--set")?),
            "--protocol" => {
                protocol = value("--protocol")?
                    .parse()
                    .map_err(|e| format!("--protocol: {e}\n{USAGE}"))?
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'\n{USAGE}").into()),
            obj if object.is_none() => object = Some(obj.to_string()),
            extra => return Err(format!("unexpected argument '{extra}'\n{USAGE}").into()),
        }
    }
    // With a locator, names resolve through tarsregistry (the framework wing's communicator).
    let mut config = tars::config::ClientConfig::default();
    config.locator = locator;
    let comm = Communicator::from_config(&config)
        .to_builder()
        .set_division(set)
        .build();
    let object = object.unwrap_or_else(|| DEFAULT_OBJ.to_string());
    let proxy: HelloProxy = comm.string_to_proxy::<HelloProxy>(&object)?.with_protocol(protocol);
    let mut opts = CallOptions::new();
    if let Some(key) = &hash {
        opts = match (key.parse::<u32>(), consistent) {
            (Ok(code), false) => opts.hash(code),
            (Ok(code), true) => opts.consistent_hash(code),
            (Err(_), false) => opts.hash_key(key),
            (Err(_), true) => opts.consistent_hash_key(key),
        };
    }
    let reply = proxy.test_hello_with(&opts, "hello tars").await?;
    let (ret, s_rsp) = reply.value;
    let at = reply.endpoint.map_or_else(|| "?".to_string(), |e| e.address());
    println!("{at} testHello(\"hello tars\") over {protocol} returned {ret}, sRsp = {s_rsp:?}");
    Ok(())
}
