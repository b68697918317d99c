//! Procedural macros of tars-rs. Use them through the `tars` crate.
//!
//! This file only parses macro input and hands it to the pipeline, in the style of
//! serde_derive: front-ends build a typed IR ([`ir`]) and report every problem through a
//! [`ctxt::Ctxt`]; [`codegen`] turns a valid IR into code that calls `tars::__private`.

mod codegen;
mod ctxt;
mod derive;
mod idl;
mod ir;

use proc_macro::TokenStream;

/// Derives the TARS codec (`TarsStruct`, `TarsEncode`, `TarsDecode`) for a struct with
/// named fields.
///
/// Field attributes: `#[tars(tag = N)]` (required, 0..=255), then optionally `require` or
/// `optional` (the default), `default = <literal or path>` (the IDL default, applied when an
/// optional field is absent and used to leave it out when writing), and `name = "sReq"` (the
/// IDL name, used in errors). Container attributes: `name = "Module.Struct"`, `default`
/// (also implement `Default` with the IDL defaults) and `crate = "path"` (where the runtime
/// is, `::tars` unless renamed).
#[proc_macro_derive(TarsStruct, attributes(tars))]
pub fn derive_tars_struct(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand_struct(&input).into()
}

/// Derives `TarsEnum` and the int32 codec for a C-like enum. Decoding a value the enum does
/// not declare is an error (`DecodeError::UnknownEnumValue`), never another variant.
///
/// Container attributes: `name = "Module.Enum"`, `crate = "path"`.
#[proc_macro_derive(TarsEnum, attributes(tars))]
pub fn derive_tars_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand_enum(&input).into()
}

/// Compiles a `.tars` file at build time into Rust: a `pub mod` per TARS module with its
/// structs (codec, `Default` with the IDL defaults), enums, consts and interface descriptors.
///
/// ```ignore
/// mod hello {
///     tars::include_tars!("idl/hello.tars");
/// }
/// ```
///
/// The path is relative to the crate root (`CARGO_MANIFEST_DIR`); `#include`s are relative
/// to the including file. Errors point into the `.tars` file. The option `with_tars` accepts
/// names starting with `tars`, which are otherwise reserved for the framework (tars2cpp's
/// `--with-tars`).
#[proc_macro]
pub fn include_tars(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as idl::Input);
    idl::expand(input).into()
}
