//! The `.proto` front end behind `include_proto!`: protox parses the file and its imports
//! (pure Rust, no `protoc`), prost-build generates the message types (what tonic users
//! have), and each `service` is lowered to the [`Interface`] model, so its servant
//! dispatcher and client proxy come from the same code as IDL interfaces, with the protobuf
//! wire format of TarsGo's `protoc-gen-go-tarsrpc`: the whole `sBuffer` is the request (or
//! response) message, and `sFuncName` is the method's Go name.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use prost_types::{FileDescriptorProto, FileDescriptorSet};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};

use crate::idl::names;
use crate::idl::Parts;
use crate::interface::{Interface, Method, Param, TypeText, Value, WireFormat};

/// `include_proto!("file.proto" [, include = "dir"]… [, types_only | client_only | server_only])`
pub(crate) struct Input {
    path: syn::LitStr,
    includes: Vec<syn::LitStr>,
    parts: Parts,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: syn::LitStr = input.parse()?;
        let (mut includes, mut parts, mut chosen) = (Vec::new(), Parts::All, None::<syn::Ident>);
        while input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let flag: syn::Ident = input.parse()?;
            if flag == "include" {
                input.parse::<syn::Token![=]>()?;
                includes.push(input.parse()?);
                continue;
            }
            let Some((_, p)) = Parts::OPTIONS.iter().find(|(n, _)| flag == n) else {
                return Err(syn::Error::new(
                    flag.span(),
                    format!("unknown include_proto! option `{flag}`; expected `include = \"dir\"`, `types_only`, `client_only` or `server_only`"),
                ));
            };
            if let Some(first) = &chosen {
                return Err(syn::Error::new(
                    flag.span(),
                    format!("include_proto! options `{first}` and `{flag}` conflict: give at most one (with none, everything is generated)"),
                ));
            }
            parts = *p;
            chosen = Some(flag);
        }
        Ok(Input { path, includes, parts })
    }
}

/// Expands `include_proto!`: paths are relative to `CARGO_MANIFEST_DIR`, or, when no file is
/// there, to `call_dir`; imports resolve relative to the file's directory, then to the
/// `include` directories, then to protobuf's own well-known types.
pub(crate) fn expand(input: Input, call_dir: Option<PathBuf>) -> TokenStream {
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let locate = |rel: &str| {
        let path = base.join(rel);
        match call_dir.as_ref().map(|d| d.join(rel)) {
            Some(beside) if !path.exists() && beside.exists() => beside,
            _ => path,
        }
    };
    let path = locate(&input.path.value());
    let mut includes: Vec<PathBuf> = path.parent().map(Path::to_path_buf).into_iter().collect();
    includes.extend(input.includes.iter().map(|d| locate(&d.value())));
    match compile(&path, &includes, input.parts) {
        Ok(tokens) => tokens,
        Err(messages) => {
            let span = input.path.span();
            messages
                .iter()
                .map(|m| syn::Error::new(span, m).to_compile_error())
                .collect()
        }
    }
}

/// Compiles `path` (with its imports) to Rust, or returns every error as
/// `file:line:col: message`.
pub(crate) fn compile(path: &Path, includes: &[PathBuf], parts: Parts) -> Result<TokenStream, Vec<String>> {
    let set = parse(path, includes)?;
    let root = set
        .file
        .iter()
        .find(|f| Path::new(f.name()).file_name() == path.file_name())
        .or(set.file.last())
        .ok_or_else(|| vec![format!("{}: no file was compiled", path.display())])?;
    let types = TypeIndex::new(&set);
    let mut errors = Vec::new();
    let mut services: BTreeMap<Vec<String>, TokenStream> = BTreeMap::new();
    if parts.descriptors() {
        for (i, service) in root.service.iter().enumerate() {
            match lower(root, i, service, &types) {
                Ok(lowered) => {
                    let code = service_code(&lowered, parts);
                    services.entry(package_parts(root.package())).or_default().extend(code);
                }
                Err(e) => errors.extend(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let messages = messages(&set).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let mut modules: BTreeMap<Vec<String>, TokenStream> = BTreeMap::new();
    for (module, code) in messages {
        let tokens: TokenStream = code
            .parse()
            .map_err(|e| vec![format!("{}: the generated messages do not parse: {e}", path.display())])?;
        modules.entry(module).or_default().extend(tokens);
    }
    for (module, code) in services {
        modules.entry(module).or_default().extend(code);
    }
    // Rebuild when any of the files changes.
    let tracked = set.file.iter().filter_map(|f| {
        includes.iter().map(|d| d.join(f.name())).find(|p| p.exists()).map(|p| {
            let p = p.display().to_string();
            quote!(
                const _: &[u8] = ::core::include_bytes!(#p);
            )
        })
    });
    let mut out: TokenStream = tracked.collect();
    out.extend(nest(&modules, &[]));
    Ok(out)
}

/// Parses `path` and its imports.
fn parse(path: &Path, includes: &[PathBuf]) -> Result<FileDescriptorSet, Vec<String>> {
    let mut compiler = protox::Compiler::new(includes).map_err(|e| vec![render(&e, includes)])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_file(path).map_err(|e| vec![render(&e, includes)])?;
    Ok(compiler.file_descriptor_set())
}

/// `file:line:col: message` for a protox error (the first place it points at).
fn render(error: &protox::Error, includes: &[PathBuf]) -> String {
    use miette::Diagnostic;
    let message = error.to_string();
    let mut diagnostics: Vec<&dyn Diagnostic> = vec![error];
    diagnostics.extend(error.related().into_iter().flatten());
    for d in diagnostics {
        let Some(label) = d.labels().and_then(|mut l| l.next()) else {
            continue;
        };
        let Some(file) = error.file() else { continue };
        let Some(text) = includes
            .iter()
            .map(|dir| dir.join(file))
            .find_map(|p| std::fs::read_to_string(p).ok())
        else {
            continue;
        };
        let before = &text[..label.offset().min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let what = d.to_string();
        let what = if what == message {
            message.clone()
        } else {
            format!("{message}: {what}")
        };
        return format!("{file}:{line}:{col}: {what}");
    }
    match error.file() {
        Some(file) if !message.contains(file) => format!("{file}: {message}"),
        _ => message,
    }
}

/// The message types of every file but protobuf's own (`prost-types` has those), by module.
fn messages(set: &FileDescriptorSet) -> Result<Vec<(Vec<String>, String)>, std::io::Error> {
    let requests: Vec<(prost_build::Module, FileDescriptorProto)> = set
        .file
        .iter()
        .filter(|f| f.package() != "google.protobuf")
        .map(|f| (prost_build::Module::from_protobuf_package_name(f.package()), f.clone()))
        .collect();
    let mut config = prost_build::Config::new();
    config
        // Paths whose segments are snake case: prost-build rewrites the others.
        .prost_path("::tars::protobuf::prost")
        .prost_types_path("::tars::protobuf::prost_types");
    let generated = config.generate(requests)?;
    let mut out: Vec<(Vec<String>, String)> = generated
        .into_iter()
        .map(|(module, code)| (module.parts().map(str::to_string).collect(), code))
        .collect();
    out.sort();
    Ok(out)
}

/// `pub mod a { pub mod b { … } }` for every module path, its code inside.
fn nest(modules: &BTreeMap<Vec<String>, TokenStream>, at: &[String]) -> TokenStream {
    let mut out = modules.get(at).cloned().unwrap_or_default();
    let mut children: Vec<&String> = modules
        .keys()
        .filter(|k| k.len() > at.len() && k.starts_with(at))
        .map(|k| &k[at.len()])
        .collect();
    children.dedup();
    for child in children {
        let mut path = at.to_vec();
        path.push(child.clone());
        let ident = names::ident(child);
        let inner = nest(modules, &path);
        out.extend(quote! {
            #[allow(clippy::all, missing_docs, unreachable_pub)]
            pub mod #ident {
                #inner
            }
        });
    }
    out
}

/// A package's module path, as prost-build names it.
fn package_parts(package: &str) -> Vec<String> {
    prost_build::Module::from_protobuf_package_name(package)
        .parts()
        .map(str::to_string)
        .collect()
}

/// Where every message type of the set lives: its package and the names of the messages it
/// is nested in.
struct TypeIndex {
    /// `.pkg.Outer.Inner` → (package, [Outer, Inner]).
    types: HashMap<String, (String, Vec<String>)>,
}

impl TypeIndex {
    fn new(set: &FileDescriptorSet) -> Self {
        fn walk(
            types: &mut HashMap<String, (String, Vec<String>)>,
            package: &str,
            outer: &[String],
            messages: &[prost_types::DescriptorProto],
        ) {
            for m in messages {
                let mut path = outer.to_vec();
                path.push(m.name().to_string());
                let full = if package.is_empty() {
                    format!(".{}", path.join("."))
                } else {
                    format!(".{package}.{}", path.join("."))
                };
                types.insert(full, (package.to_string(), path.clone()));
                walk(types, package, &path, &m.nested_type);
            }
        }
        let mut types = HashMap::new();
        for f in &set.file {
            walk(&mut types, f.package(), &[], &f.message_type);
        }
        TypeIndex { types }
    }

    /// The Rust type of message `full` (`.pkg.Msg`), seen from the module of package `from`.
    fn rust_type(&self, full: &str, from: &str) -> Option<TokenStream> {
        if let Some(builtin) = well_known(full) {
            return Some(builtin);
        }
        let (package, path) = self.types.get(full)?;
        let ups = package_parts(from).len();
        let mut segments: Vec<syn::Ident> = Vec::new();
        segments.extend((0..ups).map(|_| format_ident!("super")));
        segments.extend(package_parts(package).iter().map(|p| names::ident(p)));
        let (last, outer) = path.split_last()?;
        segments.extend(outer.iter().map(|o| names::ident(&names::snake_case(o))));
        // prost-build names messages in upper camel case.
        segments.push(names::ident(&names::upper_camel(last)));
        Some(if ups == 0 {
            quote!(self #(:: #segments)*)
        } else {
            quote!(#(#segments)::*)
        })
    }
}

/// Protobuf's own messages as prost-build maps them: `Empty` to `()`, wrappers to the
/// primitives they wrap, the others to `prost-types`.
fn well_known(full: &str) -> Option<TokenStream> {
    let name = full.strip_prefix(".google.protobuf.")?;
    Some(match name {
        "Empty" => quote!(()),
        "BoolValue" => quote!(bool),
        "BytesValue" => quote!(::std::vec::Vec<u8>),
        "DoubleValue" => quote!(f64),
        "FloatValue" => quote!(f32),
        "Int32Value" => quote!(i32),
        "Int64Value" => quote!(i64),
        "StringValue" => quote!(::std::string::String),
        "UInt32Value" => quote!(u32),
        "UInt64Value" => quote!(u64),
        other => {
            let ident = names::ident(other);
            quote!(::tars::protobuf::prost_types::#ident)
        }
    })
}

/// A method's Go name, as `protoc-gen-go` derives it (protogen's `GoCamelCase`): TarsGo
/// sends it as `sFuncName` and dispatches on it.
pub(crate) fn go_camel_case(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        if c == b'.' && next_lower {
            // Skip '.' in ".{lowercase}".
        } else if c == b'.' {
            out.push('_');
        } else if c == b'_' && (i == 0 || b[i - 1] == b'.') {
            out.push('X');
        } else if c == b'_' && next_lower {
            // Skip '_' in "_{lowercase}".
        } else if c.is_ascii_digit() {
            out.push(c as char);
        } else {
            out.push(c.to_ascii_uppercase() as char);
            while b.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
                i += 1;
                out.push(b[i] as char);
            }
        }
        i += 1;
    }
    out
}

/// Service `index` of `file` in the interface model; streaming methods (which TARS cannot
/// carry) are errors naming them, at their line.
fn lower(
    file: &FileDescriptorProto,
    index: usize,
    service: &prost_types::ServiceDescriptorProto,
    types: &TypeIndex,
) -> Result<Interface, Vec<String>> {
    let mut errors = Vec::new();
    let mut methods = Vec::new();
    for (j, m) in service.method.iter().enumerate() {
        let at = location(file, &[6, index as i32, 2, j as i32]);
        if m.client_streaming() || m.server_streaming() {
            errors.push(format!(
                "{at}: rpc {}.{} streams ({}): TARS calls carry one request and one response; remove `stream` or serve it over gRPC",
                service.name(),
                m.name(),
                match (m.client_streaming(), m.server_streaming()) {
                    (true, true) => "both ways",
                    (true, false) => "its request",
                    _ => "its response",
                }
            ));
            continue;
        }
        let ty = |full: &str| {
            types
                .rust_type(full, file.package())
                .ok_or_else(|| format!("{at}: rpc {}.{}: unknown type {full}", service.name(), m.name()))
        };
        let (input, output) = match (ty(m.input_type()), ty(m.output_type())) {
            (Ok(i), Ok(o)) => (i, o),
            (i, o) => {
                errors.extend(i.err().into_iter().chain(o.err()));
                continue;
            }
        };
        let text = |full: &str| TypeText::Static {
            idl: full.trim_start_matches('.').to_string(),
            tup: String::new(),
        };
        methods.push(Method {
            ident: names::ident(&names::snake_case(m.name())),
            wire: go_camel_case(m.name()),
            doc: comments(file, &[6, index as i32, 2, j as i32]),
            takes_context: true,
            params: vec![Param {
                ident: format_ident!("req"),
                wire: "req".into(),
                tag: 1,
                out: false,
                routekey: false,
                arg_ty: quote!(&#input),
                value: Value {
                    ty: input,
                    text: text(m.input_type()),
                },
            }],
            ret: Some(Value {
                ty: output,
                text: text(m.output_type()),
            }),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Interface {
        module: file.package().to_string(),
        name: service.name().to_string(),
        methods,
        format: WireFormat::Protobuf,
    })
}

/// The comment before the element at `path` in `file`, as doc lines.
fn comments(file: &FileDescriptorProto, path: &[i32]) -> Vec<String> {
    file.source_code_info
        .as_ref()
        .and_then(|info| info.location.iter().find(|l| l.path == path))
        .and_then(|l| l.leading_comments.as_deref())
        .map(|c| {
            c.lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `file:line:col` of the element at `path` in `file` (source info), or the file's name.
fn location(file: &FileDescriptorProto, path: &[i32]) -> String {
    let span = file
        .source_code_info
        .as_ref()
        .and_then(|info| info.location.iter().find(|l| l.path == path))
        .map(|l| l.span.clone());
    match span.as_deref() {
        Some([line, col, ..]) => format!("{}:{}:{}", file.name(), line + 1, col + 1),
        _ => file.name().to_string(),
    }
}

/// The descriptor, servant trait and proxy of a service, as `parts` asks.
fn service_code(i: &Interface, parts: Parts) -> TokenStream {
    let p = quote!(::tars::__private);
    let desc_ident = format_ident!("{}_SERVICE", names::screaming_snake(&i.name));
    let desc = i
        .static_descriptor(&p)
        .expect("protobuf types are spelled at compile time");
    let full = if i.module.is_empty() {
        i.name.clone()
    } else {
        format!("{}.{}", i.module, i.name)
    };
    let desc_doc = format!(" Description of protobuf service `{full}`: its methods and message types.");
    let servant = parts.servant_traits().then(|| servant_trait(i, &desc_ident, &full));
    let proxy = parts.proxies().then(|| {
        let ident = format_ident!("{}Proxy", names::upper_camel(&i.name));
        let doc = format!(
            " Client proxy of protobuf service `{full}` over TARS: `communicator.string_to_proxy::<{ident}>(\"App.Server.Obj@tcp -h HOST -p PORT\")`."
        );
        i.proxy(&ident, &doc, &[])
    });
    quote! {
        #[doc = #desc_doc]
        pub static #desc_ident: #p::InterfaceDesc = #desc;

        #servant

        #proxy
    }
}

/// The servant trait of a service, with the hidden dispatcher `#[tars::servant]` calls.
fn servant_trait(i: &Interface, desc: &syn::Ident, full: &str) -> TokenStream {
    let p = quote!(::tars::__private);
    let trait_ident = names::ident(&names::upper_camel(&i.name));
    let doc = format!(
        " Servant trait of protobuf service `{full}`, served over TARS. Implement it with `async fn`s, put `#[tars::servant]` on the impl, and add the type to a `tars::server::Application`. An `Err` becomes the reply's return code and description."
    );
    let sigs = i.methods.iter().map(|m| {
        let fn_ident = &m.ident;
        let req = &m.params[0].value.ty;
        let output = m.output();
        let mut lines: Vec<String> = m.doc.iter().map(|l| format!(" {l}")).collect();
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(" `{}` on the wire.", m.wire));
        quote! {
            #(#[doc = #lines])*
            fn #fn_ident(&self, ctx: &#p::Context, req: #req)
                -> impl ::core::future::Future<Output = ::core::result::Result<#output, #p::Status>> + ::core::marker::Send;
        }
    });
    i.servant_trait(&trait_ident, &quote!(#[doc = #doc]), sigs, desc)
}

#[cfg(test)]
mod tests {
    use super::go_camel_case;

    #[test]
    fn method_names_are_go_camel_case_as_protoc_gen_go_writes_them() {
        for (proto, go) in [
            ("SayHello", "SayHello"),
            ("say_hello", "SayHello"),
            ("sayHello", "SayHello"),
            ("_private", "XPrivate"),
            ("get_v2_item", "GetV2Item"),
            ("HTTPGet", "HTTPGet"),
            ("a_b_c", "ABC"),
        ] {
            assert_eq!(go_camel_case(proto), go, "{proto}");
        }
    }
}
