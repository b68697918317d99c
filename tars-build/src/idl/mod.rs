//! The `.tars` compiler behind `include_tars!`: lexer → parser → resolver (includes, names,
//! checks) → model → Rust. Each stage is a plain module with its own tests; errors point
//! into the `.tars` files (`hello.tars:7:12: unknown type 'strin'`).

mod ast;
mod error;
mod gen;
mod lexer;
pub(crate) mod model;
pub(crate) mod names;
mod parser;
mod resolve;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};

pub use gen::Parts;
pub use resolve::{FileSystem, Options, Source};

/// `include_tars!("path/to/file.tars" [, with_tars] [, types_only | client_only | server_only])`
pub(crate) struct Input {
    pub path: syn::LitStr,
    pub options: Options,
    pub parts: Parts,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: syn::LitStr = input.parse()?;
        let mut options = Options::default();
        let mut parts = Parts::All;
        let mut given: Vec<syn::Ident> = Vec::new();
        while input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let flag: syn::Ident = input.parse()?;
            check_conflicts(&flag, &given)?;
            match flag.to_string().as_str() {
                "with_tars" => options.with_tars = true,
                other => parts = parts_option(other).ok_or_else(|| unknown_option(&flag))?,
            }
            given.push(flag);
        }
        Ok(Input { path, options, parts })
    }
}

/// The [`Parts`] an option names, if it names one.
fn parts_option(name: &str) -> Option<Parts> {
    Parts::OPTIONS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// Every option, in the order the errors list them.
fn option_names() -> Vec<&'static str> {
    std::iter::once("with_tars")
        .chain(Parts::OPTIONS.iter().map(|(n, _)| *n))
        .collect()
}

/// `a`, `b`, `c` or `d`, for an error message.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

fn unknown_option(flag: &syn::Ident) -> syn::Error {
    syn::Error::new(
        flag.span(),
        format!(
            "unknown include_tars! option `{flag}`; expected {}",
            one_of(&option_names())
        ),
    )
}

/// An option given twice, or a second choice of parts (`types_only, client_only` would
/// silently keep one of them): an error on `flag`, the later one, naming the earlier.
fn check_conflicts(flag: &syn::Ident, given: &[syn::Ident]) -> syn::Result<()> {
    let message = if given.contains(flag) {
        format!("include_tars! option `{flag}` is given twice; remove one")
    } else if let Some(first) = given.iter().find(|g| chooses_parts(g) && chooses_parts(flag)) {
        let parts: Vec<&str> = Parts::OPTIONS.iter().map(|(n, _)| *n).collect();
        format!(
            "include_tars! options `{first}` and `{flag}` conflict: give at most one of {} (with none, everything is generated)",
            one_of(&parts)
        )
    } else {
        return Ok(());
    };
    Err(syn::Error::new(flag.span(), message))
}

fn chooses_parts(flag: &syn::Ident) -> bool {
    parts_option(&flag.to_string()).is_some()
}

/// Expands `include_tars!`. The path is relative to the crate's `CARGO_MANIFEST_DIR` or,
/// when no file is there, to `call_dir` (the directory of the file invoking the macro).
/// With errors, the items that are fine are still generated, next to the errors.
pub(crate) fn expand(input: Input, call_dir: Option<PathBuf>) -> TokenStream {
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
    let (mut tokens, messages) = compile_lenient(&FileSystem, &path, &rel, input.options, input.parts);
    let span = input.path.span();
    tokens.extend(messages.iter().map(|m| syn::Error::new(span, m).to_compile_error()));
    tokens
}

/// Compiles a `.tars` file to Rust, or returns every error as `file:line:col: message`.
#[cfg(test)]
pub(crate) fn compile(
    source: &dyn Source,
    path: &Path,
    display: &str,
    options: Options,
    parts: Parts,
) -> Result<TokenStream, Vec<String>> {
    match compile_lenient(source, path, display, options, parts) {
        (tokens, errors) if errors.is_empty() => Ok(tokens),
        (_, errors) => Err(errors),
    }
}

/// Compiles a `.tars` file to Rust (with the interface code `parts` asks for) and returns
/// every error as `file:line:col: message`; the code holds every item that resolved, and
/// stand-ins for those in error (as serde_derive emits fallback impls), so one mistake is one
/// error, not a cascade at every use.
pub fn compile_lenient(
    source: &dyn Source,
    path: &Path,
    display: &str,
    options: Options,
    parts: Parts,
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
    (gen::generate_parts(&spec, parts), messages)
}
