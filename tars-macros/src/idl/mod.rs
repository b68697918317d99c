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

/// Expands `include_tars!`. The path is relative to the crate's `CARGO_MANIFEST_DIR` or,
/// when no file is there, to `call_dir` (the directory of the file invoking the macro).
/// With errors, the items that are fine are still generated, next to the errors.
pub fn expand(input: Input, call_dir: Option<PathBuf>) -> TokenStream {
    let rel = input.path.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut path = base.join(&rel);
    if let Some(beside) = call_dir.map(|d| d.join(&rel)) {
        if !path.exists() && beside.exists() {
            path = beside;
        }
    }
    let (mut tokens, messages) = compile_lenient(&resolve::FileSystem, &path, &rel, input.options);
    let span = input.path.span();
    tokens.extend(messages.iter().map(|m| syn::Error::new(span, m).to_compile_error()));
    tokens
}

/// Compiles a `.tars` file to Rust, or returns every error as `file:line:col: message`.
#[cfg(test)]
pub fn compile(
    source: &dyn resolve::Source,
    path: &Path,
    display: &str,
    options: Options,
) -> Result<TokenStream, Vec<String>> {
    match compile_lenient(source, path, display, options) {
        (tokens, errors) if errors.is_empty() => Ok(tokens),
        (_, errors) => Err(errors),
    }
}

/// Compiles a `.tars` file to Rust and returns every error as `file:line:col: message`; the
/// code holds every item that resolved, and stand-ins for those in error (as serde_derive
/// emits fallback impls), so one mistake is one error, not a cascade at every use.
pub fn compile_lenient(
    source: &dyn resolve::Source,
    path: &Path,
    display: &str,
    options: Options,
) -> (TokenStream, Vec<String>) {
    let (spec, errors) = resolve::load(source, path, display, options);
    let names: Vec<String> = spec.files.iter().map(|(_, d)| d.clone()).collect();
    let names = if names.is_empty() {
        vec![display.to_string()]
    } else {
        names
    };
    let messages = errors
        .iter()
        .map(|e| {
            error::Rendered {
                error: e,
                file_names: &names,
            }
            .to_string()
        })
        .collect();
    let _ = Span::call_site();
    (gen::generate(&spec), messages)
}
