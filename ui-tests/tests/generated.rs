#![allow(dead_code)] // Only some of the generated items are used here.

//! The build.rs path (`tars_build::configure()…compile`, then `tars::include_generated!`)
//! gives the code the macros give: the same descriptors and the same bytes on the wire.

mod by_build {
    tars::include_generated!("hello");
}

mod by_macro {
    tars::include_tars!("../tests/idl/hello.tars");
}

mod pb_by_build {
    tars::include_generated!("helloworld");
}

mod pb_by_macro {
    tars::include_proto!("../examples/proto/helloworld.proto");
}

#[test]
fn descriptors_and_encodings_are_the_same_either_way() {
    assert_eq!(by_build::test_app::HELLO_INTERFACE, by_macro::test_app::HELLO_INTERFACE);
    assert_eq!(
        pb_by_build::helloworld::GREETER_SERVICE,
        pb_by_macro::helloworld::GREETER_SERVICE
    );
    use tars::protobuf::prost::Message;
    let a = pb_by_build::helloworld::HelloRequest { name: "x".into() }.encode_to_vec();
    let b = pb_by_macro::helloworld::HelloRequest { name: "x".into() }.encode_to_vec();
    assert_eq!(a, b);
}

#[test]
fn the_generated_files_are_formatted_rust_with_the_same_items() {
    let out = std::path::Path::new(env!("OUT_DIR"));
    let text = std::fs::read_to_string(out.join("hello.rs")).unwrap();
    assert!(text.contains("pub trait Hello"), "the servant trait");
    assert!(text.contains("pub struct HelloProxy"), "the proxy");
    assert!(text.lines().count() > 50, "formatted over lines, to be read");
    // `.client(true).server(false)`: proxies, no servant traits.
    let client = std::fs::read_to_string(out.join("client/hello.rs")).unwrap();
    assert!(client.contains("pub struct HelloProxy") && !client.contains("pub trait Hello"));
}
