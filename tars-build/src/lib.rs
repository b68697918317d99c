//! The compiler of tars-rs's IDLs, as a library: `.tars` files (the TARS IDL) and, with the
//! `protobuf` feature, `.proto` files, turned into Rust — structs, enums and consts with their
//! codec, and per interface or service a descriptor, a servant trait and a client proxy.
//!
//! The `tars` macros (`include_tars!`, `include_proto!`, the derives, `#[tars::servant]`) are
//! thin shells over it ([`macros`]); a `build.rs` uses the builder, as `prost-build` and
//! `tonic-build` users do, for generated files to read, document and navigate:
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     tars_build::configure()
//!         .client(true)
//!         .server(true)
//!         .compile(&["idl/hello.tars"], &["idl/"])?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs: OUT_DIR/hello.rs, the same code `include_tars!("idl/hello.tars")` makes.
//! mod hello {
//!     tars::include_generated!("hello");
//! }
//! ```
//!
//! Inside, in the style of serde_derive: front ends (`idl`, `proto`, the derives, code-first
//! servants) build a typed IR, report every problem with its place, and one code generator
//! turns the IR into code that calls `tars::__private`.

mod code_first;
mod codegen;
mod ctxt;
mod derive;
pub mod idl;
mod interface;
mod ir;
#[cfg(feature = "protobuf")]
mod proto;
mod servant;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

pub use idl::Parts;

/// A builder with every part on (types, descriptors, servant traits, proxies), writing into
/// `OUT_DIR`.
pub fn configure() -> Builder {
    Builder {
        client: true,
        server: true,
        with_tars: false,
        out_dir: None,
    }
}

/// What to generate, and where (see [`configure`]).
#[derive(Debug, Clone)]
pub struct Builder {
    client: bool,
    server: bool,
    with_tars: bool,
    out_dir: Option<PathBuf>,
}

impl Builder {
    /// Whether to generate client proxies (tonic-build's `build_client`).
    pub fn client(mut self, enable: bool) -> Self {
        self.client = enable;
        self
    }

    /// Whether to generate servant traits (tonic-build's `build_server`).
    pub fn server(mut self, enable: bool) -> Self {
        self.server = enable;
        self
    }

    /// Accepts `.tars` names starting with `tars` (tars2cpp's `--with-tars`), which are
    /// otherwise reserved for the framework.
    pub fn with_tars(mut self, enable: bool) -> Self {
        self.with_tars = enable;
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The parts the switches ask for.
    pub fn parts(&self) -> Parts {
        match (self.client, self.server) {
            (true, true) => Parts::All,
            (true, false) => Parts::ClientOnly,
            (false, true) => Parts::ServerOnly,
            (false, false) => Parts::TypesOnly,
        }
    }

    /// Compiles each of `files` (`.tars`, or `.proto` with the `protobuf` feature) into
    /// `<out_dir>/<file stem>.rs`, formatted. `.proto` imports resolve beside the file, then
    /// in `includes`, then to protobuf's well-known types; `.tars` `#include`s resolve beside
    /// the including file. Tells cargo to rerun when a file changes.
    pub fn compile(&self, files: &[impl AsRef<Path>], includes: &[impl AsRef<Path>]) -> Result<(), Error> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or(Error::NoOutDir)?,
        };
        let includes: Vec<PathBuf> = includes.iter().map(|i| i.as_ref().to_path_buf()).collect();
        for file in files {
            let file = file.as_ref();
            println!("cargo:rerun-if-changed={}", file.display());
            let tokens = self.generate(file, &includes)?;
            let stem = file
                .file_stem()
                .ok_or_else(|| Error::Idl(vec![format!("{}: not a file name", file.display())]))?;
            let out = out_dir.join(stem).with_extension("rs");
            std::fs::write(&out, format(tokens)?).map_err(|source| Error::Write { path: out, source })?;
        }
        Ok(())
    }

    /// The Rust code of `file`, as the macros generate it.
    pub fn generate(&self, file: &Path, includes: &[PathBuf]) -> Result<TokenStream, Error> {
        // Absolute: the generated code names the files it was made from (for rebuilds), and
        // is included from OUT_DIR.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let display = file.display().to_string();
        let file = &absolute(file);
        let includes: Vec<PathBuf> = includes.iter().map(|i| absolute(i)).collect();
        match file.extension().and_then(|e| e.to_str()) {
            Some("tars") => {
                let options = idl::Options {
                    with_tars: self.with_tars,
                };
                match idl::compile_lenient(&idl::FileSystem, file, &display, options, self.parts()) {
                    (tokens, errors) if errors.is_empty() => Ok(tokens),
                    (_, errors) => Err(Error::Idl(errors)),
                }
            }
            #[cfg(feature = "protobuf")]
            Some("proto") => {
                let mut all: Vec<PathBuf> = file.parent().map(Path::to_path_buf).into_iter().collect();
                all.extend(includes.iter().cloned());
                proto::compile(file, &all, self.parts()).map_err(Error::Idl)
            }
            _ => {
                let _ = includes;
                Err(Error::Idl(vec![format!(
                    "{}: tars-build compiles .tars files{}",
                    file.display(),
                    if cfg!(feature = "protobuf") {
                        " and .proto files"
                    } else {
                        " (and .proto files with its `protobuf` feature)"
                    }
                )]))
            }
        }
    }
}

/// Generated code as a formatted file.
fn format(tokens: TokenStream) -> Result<String, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Idl(vec![format!("the generated code: {e}")]))?;
    Ok(prettyplease::unparse(&file))
}

/// Why a file could not be compiled.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Mistakes in the IDL, each `file:line:col: message`.
    Idl(Vec<String>),
    /// No `OUT_DIR` (not run by cargo as a build script) and no [`Builder::out_dir`].
    NoOutDir,
    /// The generated file could not be written.
    Write {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Idl(errors) => f.write_str(&errors.join("\n")),
            Error::NoOutDir => {
                f.write_str("OUT_DIR is not set: run tars-build from a build script, or set Builder::out_dir")
            }
            Error::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What the `tars` procedural macros call: each takes the macro's input tokens and returns
/// the expansion (compile errors included). Not for other use.
#[doc(hidden)]
pub mod macros {
    use std::path::PathBuf;

    use proc_macro2::TokenStream;

    /// `#[derive(TarsStruct)]`.
    pub fn derive_struct(input: TokenStream) -> TokenStream {
        match syn::parse2::<syn::DeriveInput>(input) {
            Ok(input) => crate::derive::expand_struct(&input),
            Err(e) => e.to_compile_error(),
        }
    }

    /// `#[derive(TarsEnum)]`.
    pub fn derive_enum(input: TokenStream) -> TokenStream {
        match syn::parse2::<syn::DeriveInput>(input) {
            Ok(input) => crate::derive::expand_enum(&input),
            Err(e) => e.to_compile_error(),
        }
    }

    /// `include_tars!`, invoked from a file in `call_dir`.
    pub fn include_tars(input: TokenStream, call_dir: Option<PathBuf>) -> TokenStream {
        match syn::parse2::<crate::idl::Input>(input) {
            Ok(input) => crate::idl::expand(input, call_dir),
            Err(e) => e.to_compile_error(),
        }
    }

    /// `include_proto!`, invoked from a file in `call_dir`.
    #[cfg(feature = "protobuf")]
    pub fn include_proto(input: TokenStream, call_dir: Option<PathBuf>) -> TokenStream {
        match syn::parse2::<crate::proto::Input>(input) {
            Ok(input) => crate::proto::expand(input, call_dir),
            Err(e) => e.to_compile_error(),
        }
    }

    /// `#[tars::servant]`.
    pub fn servant(args: TokenStream, item: TokenStream) -> TokenStream {
        match syn::parse2::<syn::ItemImpl>(item) {
            Ok(item) => crate::servant::expand(args, item),
            Err(e) => e.to_compile_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use quote::quote;

    /// A build script and a macro given the same file make the same code, token for token.
    #[test]
    fn the_builder_and_the_macros_generate_the_same_code() {
        let builder = super::configure();
        let hello = "../tests/idl/hello.tars";
        assert_eq!(
            super::macros::include_tars(quote!(#hello), None).to_string(),
            builder.generate(Path::new(hello), &[]).unwrap().to_string()
        );
        let client_only = super::configure().server(false);
        assert_eq!(
            super::macros::include_tars(quote!(#hello, client_only), None).to_string(),
            client_only.generate(Path::new(hello), &[]).unwrap().to_string()
        );
        #[cfg(feature = "protobuf")]
        {
            let proto = "../examples/proto/helloworld.proto";
            assert_eq!(
                super::macros::include_proto(quote!(#proto), None).to_string(),
                builder.generate(Path::new(proto), &[]).unwrap().to_string()
            );
        }
    }
}
