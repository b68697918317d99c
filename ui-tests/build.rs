//! Generates `hello.rs` and `helloworld.rs` into OUT_DIR with tars-build, as a user's build
//! script would, for `tests/generated.rs` to compare with what the macros make.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tars_build::configure().compile(
        &["../tests/idl/hello.tars", "../examples/proto/helloworld.proto"],
        &["../examples/proto"],
    )?;
    tars_build::configure()
        .client(true)
        .server(false)
        .out_dir({
            let dir = std::path::Path::new(&std::env::var("OUT_DIR")?).join("client");
            std::fs::create_dir_all(&dir)?;
            dir
        })
        .compile(&["../tests/idl/hello.tars"], &[] as &[&str])?;
    Ok(())
}
