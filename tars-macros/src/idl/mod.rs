//! The `.tars` compiler behind `include_tars!`: lexer → parser → resolver (includes, names,
//! checks) → model → Rust. Each stage is a plain module with its own tests; errors point
//! into the `.tars` files (`hello.tars:7:12: unknown type 'strin'`).

mod ast;
mod error;
mod gen;
mod lexer;
pub mod model;
pub(crate) mod names;
mod parser;
mod resolve;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};

pub use resolve::Options;

/// `include_tars!("path/to/file.tars" [, with_tars])`
pub struct Input {
    pub path: syn::LitStr,
    pub options: Options,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: syn::LitStr = input.parse()?;
        let mut options = Options::default();
        while input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let flag: syn::Ident = input.parse()?;
            match flag.to_string().as_str() {
                "with_tars" => options.with_tars = true,
                other => {
                    return Err(syn::Error::new(
                        flag.span(),
                        format!("unknown include_tars! option `{other}`; the only option is `with_tars`"),
                    ))
                }
            }
        }
        Ok(Input { path, options })
    }
}

/// Expands `include_tars!`. The path is relative to the crate's `CARGO_MANIFEST_DIR`.
pub fn expand(input: Input) -> TokenStream {
    let rel = input.path.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    match compile(&resolve::FileSystem, &base.join(&rel), &rel, input.options) {
        Ok(tokens) => tokens,
        Err(messages) => {
            let span = input.path.span();
            let errors = messages.iter().map(|m| syn::Error::new(span, m).to_compile_error());
            quote!(#(#errors)*)
        }
    }
}

/// Compiles a `.tars` file to Rust, or returns every error as `file:line:col: message`.
pub fn compile(
    source: &dyn resolve::Source,
    path: &Path,
    display: &str,
    options: Options,
) -> Result<TokenStream, Vec<String>> {
    let (spec, errors) = resolve::load(source, path, display, options);
    if !errors.is_empty() {
        let names: Vec<String> = spec.files.iter().map(|(_, d)| d.clone()).collect();
        let names = if names.is_empty() {
            vec![display.to_string()]
        } else {
            names
        };
        return Err(errors
            .iter()
            .map(|e| {
                error::Rendered {
                    error: e,
                    file_names: &names,
                }
                .to_string()
            })
            .collect());
    }
    let _ = Span::call_site();
    Ok(gen::generate(&spec))
}
