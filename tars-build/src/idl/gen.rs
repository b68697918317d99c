//! Model → Rust: one `pub mod` per TARS module with its structs, enums, consts and, for each
//! interface, its descriptor, servant trait and client proxy ([`Parts`] leaves out the side a
//! crate does not need). Struct codecs come from the same [`crate::codegen`] as
//! `#[derive(TarsStruct)]`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::model::{self, Spec, Type, Value};
use super::names;
use crate::codegen;
use crate::interface;
use crate::ir;

/// What to generate for interfaces, as tonic-build's `build_client` / `build_server`: a crate
/// that only calls a service needs no servant traits, one that only serves it needs no
/// proxies, and one that only shares the types needs neither. Types are always generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parts {
    /// Descriptors, servant traits and proxies.
    #[default]
    All,
    /// No interface code at all: `types_only`.
    TypesOnly,
    /// Descriptors and proxies, no servant traits: `client_only`.
    ClientOnly,
    /// Descriptors and servant traits, no proxies: `server_only`.
    ServerOnly,
}

impl Parts {
    /// The `include_tars!` options that choose parts, and what each chooses.
    pub(crate) const OPTIONS: [(&'static str, Parts); 3] = [
        ("types_only", Parts::TypesOnly),
        ("client_only", Parts::ClientOnly),
        ("server_only", Parts::ServerOnly),
    ];

    /// Interface descriptors: both sides describe the interface (the servant trait returns
    /// it; a client may list it), so only `types_only` leaves them out.
    pub(crate) fn descriptors(self) -> bool {
        self != Parts::TypesOnly
    }

    pub(crate) fn servant_traits(self) -> bool {
        matches!(self, Parts::All | Parts::ServerOnly)
    }

    pub(crate) fn proxies(self) -> bool {
        matches!(self, Parts::All | Parts::ClientOnly)
    }
}

/// Everything, as the fuzz target generates it: `fuzz/src/idl` builds this file on its own
/// and calls this function, so it stays even though the macro goes through [`generate_parts`].
#[allow(dead_code)]
pub(super) fn generate(spec: &Spec) -> TokenStream {
    generate_parts(spec, Parts::All)
}

/// The code for `spec`, with the interface code `parts` asks for.
pub(super) fn generate_parts(spec: &Spec, parts: Parts) -> TokenStream {
    let mut out = TokenStream::new();
    // Cargo rebuilds the crate when any file read changes.
    for (path, _) in &spec.files {
        let path = path.to_string_lossy();
        out.extend(quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        ));
    }
    for m in &spec.modules {
        out.extend(module(m, parts));
    }
    out
}

fn module(m: &model::Module, parts: Parts) -> TokenStream {
    let name = names::ident(&names::snake_case(&m.name));
    let doc = docs(&m.doc);
    let module_doc = format!(" TARS module `{}`.", m.name);
    let structs = m.structs.iter().map(|s| struct_(m, s));
    let enums = m.enums.iter().map(|e| enum_(m, e));
    let consts = m.consts.iter().map(|c| const_(m, c));
    let interfaces: &[model::Interface] = if parts.descriptors() { &m.interfaces } else { &[] };
    let interfaces = interfaces.iter().map(|i| interface(m, i, parts));
    quote! {
        #[doc = #module_doc]
        #doc
        #[allow(missing_docs, clippy::all)]
        pub mod #name {
            #(#structs)*
            #(#enums)*
            #(#consts)*
            #(#interfaces)*
        }
    }
}

fn docs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// The IDL doc, then a line naming the item in the IDL.
fn with_wire_name(doc: &[String], kind: &str, module: &str, name: &str) -> Vec<String> {
    let mut lines = doc.to_vec();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("TARS {kind} `{module}::{name}`."));
    lines
}

/// The Rust type for an IDL type, as seen from inside module `from`.
pub(super) fn rust_type(ty: &Type, from: &str) -> TokenStream {
    match ty {
        Type::Bool => quote!(bool),
        Type::Byte => quote!(i8),
        Type::Short => quote!(i16),
        Type::Int => quote!(i32),
        Type::Long => quote!(i64),
        Type::Float => quote!(f32),
        Type::Double => quote!(f64),
        Type::String => quote!(::std::string::String),
        Type::UByte => quote!(u8),
        Type::UShort => quote!(u16),
        Type::UInt => quote!(u32),
        Type::Vector(inner) => match **inner {
            Type::Byte => quote!(::tars::__private::Bytes),
            Type::UByte => quote!(::std::vec::Vec<::tars::__private::UByte>),
            ref t => {
                let t = rust_type(t, from);
                quote!(::std::vec::Vec<#t>)
            }
        },
        Type::Map(k, v) => {
            let (k, v) = (rust_type(k, from), rust_type(v, from));
            quote!(::std::collections::BTreeMap<#k, #v>)
        }
        Type::Struct(q) | Type::Enum(q) => item_path(&q.module, &q.name, from),
    }
}

fn item_path(module: &str, name: &str, from: &str) -> TokenStream {
    let name = names::ident(&names::upper_camel(name));
    if module == from {
        quote!(#name)
    } else {
        let m = names::ident(&names::snake_case(module));
        quote!(super::#m::#name)
    }
}

/// A stand-in for a struct an error was reported in: the type, with the fields that can be
/// given a Rust type (one per name; none that nests a struct by value, which could be the
/// reported cycle), and trait impls that never run, so that uses of the type add no errors.
fn struct_stand_in(m: &model::Module, s: &model::Struct) -> TokenStream {
    let ident = names::ident(&names::upper_camel(&s.name));
    let mut seen = std::collections::HashSet::new();
    let fields: Vec<ir::Field> = s
        .fields
        .iter()
        .filter(|f| !matches!(f.ty, Type::Struct(_)) && seen.insert(names::snake_case(&f.name)))
        .map(|f| ir::Field {
            ident: names::ident(&names::snake_case(&f.name)),
            wire_name: f.name.clone(),
            tag: f.tag,
            required: f.required,
            ty: syn::parse2(rust_type(&f.ty, &m.name)).expect("generated types parse"),
            default: None,
        })
        .collect();
    let decls: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let (name, ty) = (&f.ident, &f.ty);
            quote!(pub #name: #ty,)
        })
        .collect();
    let ir = ir::Struct {
        ident: ident.clone(),
        generics: syn::Generics::default(),
        wire_name: format!("{}.{}", m.name, s.name),
        fields,
        impl_default: true,
        idl: None,
    };
    let fallback = codegen::struct_fallback(&ir, &syn::parse_quote!(::tars));
    quote! {
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        pub struct #ident {
            #(#decls)*
        }
        #fallback
    }
}

fn struct_(m: &model::Module, s: &model::Struct) -> TokenStream {
    if s.had_errors {
        return struct_stand_in(m, s);
    }
    let ident = names::ident(&names::upper_camel(&s.name));
    let doc = docs(&with_wire_name(&s.doc, "struct", &m.name, &s.name));
    let fields: Vec<ir::Field> = s
        .fields
        .iter()
        .map(|f| ir::Field {
            ident: names::ident(&names::snake_case(&f.name)),
            wire_name: f.name.clone(),
            tag: f.tag,
            required: f.required,
            ty: syn::parse2(rust_type(&f.ty, &m.name)).expect("generated types parse"),
            default: f.default.as_ref().map(|v| default_value(v, &f.ty, &m.name)),
        })
        .collect();
    let decls = s
        .fields
        .iter()
        .zip(&fields)
        .map(|(f, irf)| {
            let doc = docs(&f.doc);
            let wire = format!(
                " `{} {} {} {}`",
                f.tag,
                if f.required { "require" } else { "optional" },
                f.ty.idl(),
                f.name
            );
            let (name, ty) = (&irf.ident, &irf.ty);
            let separator = (!f.doc.is_empty()).then(|| quote!(#[doc = ""]));
            quote! {
                #doc
                #separator
                #[doc = #wire]
                pub #name: #ty,
            }
        })
        .collect::<Vec<_>>();
    let idl = idl_text(m, s, &fields);
    let ir = ir::Struct {
        ident: ident.clone(),
        generics: syn::Generics::default(),
        wire_name: format!("{}.{}", m.name, s.name),
        fields,
        impl_default: true,
        idl: Some(idl),
    };
    let codec = codegen::struct_impls(&ir, &syn::parse_quote!(::tars));
    let (derives, key_impls) = match &s.key {
        None => (
            quote!(#[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]),
            quote!(),
        ),
        Some(key) => {
            let key: Vec<_> = key.iter().map(|k| names::ident(&names::snake_case(k))).collect();
            let note = format!(
                " Compared, ordered and hashed by its `key[]` fields only: {}.",
                key.iter()
                    .map(|k| format!("`{}`", k.to_string().trim_start_matches("r#")))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            (
                quote!(#[doc = ""] #[doc = #note] #[derive(::core::fmt::Debug, ::core::clone::Clone)]),
                key_impls(&ident, &key),
            )
        }
    };
    quote! {
        #doc
        #derives
        pub struct #ident {
            #(#decls)*
        }
        #codec
        #key_impls
    }
}

/// The struct as `.tars` text, written out at compile time, and the types it refers to.
fn idl_text(m: &model::Module, s: &model::Struct, fields: &[ir::Field]) -> ir::IdlText {
    let mut order: Vec<(&model::Field, &ir::Field)> = s.fields.iter().zip(fields).collect();
    order.sort_by_key(|(f, _)| f.tag);
    let mut definition = format!("struct {}\n{{\n", s.name);
    for (f, irf) in &order {
        let kind = if f.required { "require" } else { "optional" };
        let default = irf
            .default
            .as_ref()
            .map(|d| format!(" = {}", d.idl_text()))
            .unwrap_or_default();
        definition.push_str(&format!("    {} {kind} {} {}{default};\n", f.tag, f.ty.idl(), f.name));
    }
    definition.push_str("};");
    let mut deps: Vec<TokenStream> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (f, _) in &order {
        named_types(&f.ty, &mut |q| {
            if seen.insert((q.module.clone(), q.name.clone())) {
                deps.push(item_path(&q.module, &q.name, &m.name));
            }
        });
    }
    ir::IdlText {
        qualified: format!("{}::{}", m.name, s.name),
        definition,
        deps,
    }
}

/// Calls `f` with every struct or enum `ty` names, however deep.
fn named_types(ty: &Type, f: &mut impl FnMut(&model::QualName)) {
    match ty {
        Type::Struct(q) | Type::Enum(q) => f(q),
        Type::Vector(t) => named_types(t, f),
        Type::Map(k, v) => {
            named_types(k, f);
            named_types(v, f);
        }
        _ => {}
    }
}

fn key_impls(ident: &syn::Ident, key: &[syn::Ident]) -> TokenStream {
    let key: Vec<TokenStream> = key.iter().map(|k| quote!(#k)).collect();
    compared_by(ident, &key)
}

/// `PartialEq`, `Eq`, `PartialOrd`, `Ord` and `Hash` for `ident`, by the values of
/// `accessors` (`field` or `method()`, read on `self` and `other`), in order.
fn compared_by(ident: &syn::Ident, accessors: &[TokenStream]) -> TokenStream {
    let first = &accessors[0];
    let rest = &accessors[1..];
    quote! {
        impl ::core::cmp::PartialEq for #ident {
            fn eq(&self, other: &Self) -> bool {
                #(self.#accessors == other.#accessors)&&*
            }
        }
        impl ::core::cmp::Eq for #ident {}
        impl ::core::cmp::PartialOrd for #ident {
            fn partial_cmp(&self, other: &Self) -> ::core::option::Option<::core::cmp::Ordering> {
                ::core::option::Option::Some(::core::cmp::Ord::cmp(self, other))
            }
        }
        impl ::core::cmp::Ord for #ident {
            fn cmp(&self, other: &Self) -> ::core::cmp::Ordering {
                ::core::cmp::Ord::cmp(&self.#first, &other.#first)
                    #(.then_with(|| ::core::cmp::Ord::cmp(&self.#rest, &other.#rest)))*
            }
        }
        impl ::core::hash::Hash for #ident {
            fn hash<H: ::core::hash::Hasher>(&self, state: &mut H) {
                #(::core::hash::Hash::hash(&self.#accessors, state);)*
            }
        }
    }
}

fn default_value(v: &Value, ty: &Type, from: &str) -> ir::DefaultValue {
    match v {
        Value::Str(s) => ir::DefaultValue::Str(syn::LitStr::new(s, proc_macro2::Span::call_site())),
        other => ir::DefaultValue::Expr(value_expr(other, ty, from)),
    }
}

/// A typed Rust expression for an IDL value (`5i32`, `i64::MIN`, `1.5f32`, `Color::Red`).
fn value_expr(v: &Value, ty: &Type, from: &str) -> TokenStream {
    match v {
        Value::Bool(b) => quote!(#b),
        Value::Int(i) => {
            let rt = rust_type(ty, from);
            let min = match ty {
                Type::Byte => i8::MIN as i128,
                Type::Short => i16::MIN as i128,
                Type::Int => i32::MIN as i128,
                Type::Long => i64::MIN as i128,
                _ => i128::MIN,
            };
            if *i == min {
                return quote!(#rt::MIN);
            }
            let lit = match ty {
                Type::Byte => Literal::i8_suffixed(*i as i8),
                Type::Short => Literal::i16_suffixed(*i as i16),
                Type::Int => Literal::i32_suffixed(*i as i32),
                Type::Long => Literal::i64_suffixed(*i as i64),
                Type::UByte => Literal::u8_suffixed(*i as u8),
                Type::UShort => Literal::u16_suffixed(*i as u16),
                Type::UInt => Literal::u32_suffixed(*i as u32),
                Type::Float => Literal::f32_suffixed(*i as f32),
                Type::Double => Literal::f64_suffixed(*i as f64),
                _ => Literal::i128_unsuffixed(*i),
            };
            quote!(#lit)
        }
        Value::Float(f) => {
            let lit = match ty {
                Type::Float => Literal::f32_suffixed(*f as f32),
                _ => Literal::f64_suffixed(*f),
            };
            quote!(#lit)
        }
        Value::Str(s) => quote!(#s),
        Value::EnumMember { enum_name, member } => {
            let path = item_path(&enum_name.module, &enum_name.name, from);
            let variant = names::ident(&names::upper_camel(member));
            quote!(#path::#variant)
        }
    }
}

/// A method as IDL text: `int testHello(string sReq, out string sRsp)`.
fn signature(meth: &model::Method) -> String {
    let params: Vec<String> = meth
        .params
        .iter()
        .map(|p| {
            format!(
                "{}{}{} {}",
                if p.out { "out " } else { "" },
                if p.routekey { "routekey " } else { "" },
                p.ty.idl(),
                p.name
            )
        })
        .collect();
    format!(
        "{} {}({})",
        meth.ret.as_ref().map_or("void".to_string(), Type::idl),
        meth.name,
        params.join(", ")
    )
}

/// The TUP v2 type name (TarsCpp's `TarsClass`): enums are `int32`, structs `Module.Name`.
fn tup_type(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Byte => "char".into(),
        Type::Short | Type::UByte => "short".into(),
        Type::Int | Type::UShort | Type::Enum(_) => "int32".into(),
        Type::Long | Type::UInt => "int64".into(),
        Type::Float => "float".into(),
        Type::Double => "double".into(),
        Type::String => "string".into(),
        Type::Vector(t) => format!("list<{}>", tup_type(t)),
        Type::Map(k, v) => format!("map<{},{}>", tup_type(k), tup_type(v)),
        Type::Struct(q) => format!("{}.{}", q.module, q.name),
    }
}

/// The catch-all variant's name, which must not clash with a member's.
fn undeclared_variant(e: &model::Enum) -> syn::Ident {
    let taken: Vec<String> = e.members.iter().map(|m| names::upper_camel(&m.name)).collect();
    let mut name = "Undeclared".to_string();
    while taken.contains(&name) {
        name.push('_');
    }
    format_ident!("{}", name)
}

fn enum_(m: &model::Module, e: &model::Enum) -> TokenStream {
    if e.had_errors && e.members.is_empty() {
        // A stand-in (see `struct_stand_in`): nothing to generate the members from.
        let ident = names::ident(&names::upper_camel(&e.name));
        let fallback = codegen::enum_fallback(
            &ir::Enum {
                ident: ident.clone(),
                wire_name: format!("{}.{}", m.name, e.name),
                variants: Vec::new(),
                catch_all: None,
            },
            &syn::parse_quote!(::tars),
        );
        return quote! {
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq)]
            pub enum #ident {
                Undeclared(i32),
            }
            #fallback
        };
    }
    let ident = names::ident(&names::upper_camel(&e.name));
    let doc = docs(&with_wire_name(&e.doc, "enum", &m.name, &e.name));
    let wire_name = format!("{}.{}", m.name, e.name);
    let undeclared = undeclared_variant(e);
    let variants: Vec<_> = e
        .members
        .iter()
        .map(|x| names::ident(&names::upper_camel(&x.name)))
        .collect();
    let values: Vec<_> = e.members.iter().map(|x| x.value).collect();
    let idl_names: Vec<_> = e.members.iter().map(|x| x.name.as_str()).collect();
    let member_docs = e.members.iter().map(|x| {
        let d = docs(&x.doc);
        let v = format!(" `{} = {}`", x.name, x.value);
        quote!(#d #[doc = #v])
    });
    // Members sharing a value (`B = A`): the first one is what a wire value decodes to.
    let mut seen = std::collections::HashSet::new();
    let (from_values, from_variants): (Vec<_>, Vec<_>) = values
        .iter()
        .zip(&variants)
        .filter(|(v, _)| seen.insert(**v))
        .map(|(v, id)| (*v, id.clone()))
        .unzip();
    let first = &variants[0];
    // Compared as their wire values (an undeclared value too).
    let compared = compared_by(&ident, &[quote!(value())]);
    // The codec, as for `#[derive(TarsEnum)]`, with `Undeclared` keeping unknown values.
    let codec = codegen::enum_impls(
        &ir::Enum {
            ident: ident.clone(),
            wire_name: wire_name.clone(),
            variants: variants
                .iter()
                .zip(&values)
                .map(|(v, x)| (v.clone(), quote!(#x)))
                .collect(),
            catch_all: Some(undeclared.clone()),
        },
        &syn::parse_quote!(::tars),
    );
    quote! {
        #doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
        pub enum #ident {
            #(#member_docs #variants,)*
            /// A value this IDL does not declare, e.g. sent by a peer built from a newer IDL.
            #undeclared(i32),
        }

        impl #ident {
            /// The value on the wire.
            pub const fn value(self) -> i32 {
                match self {
                    #(Self::#variants => #values,)*
                    Self::#undeclared(v) => v,
                }
            }

            /// The member for a wire value; values the IDL does not declare are kept as they are.
            pub const fn from_value(value: i32) -> Self {
                match value {
                    #(#from_values => Self::#from_variants,)*
                    v => Self::#undeclared(v),
                }
            }

            /// The member's name in the IDL, `None` for an undeclared value.
            pub const fn idl_name(self) -> ::core::option::Option<&'static str> {
                match self {
                    #(Self::#variants => ::core::option::Option::Some(#idl_names),)*
                    Self::#undeclared(_) => ::core::option::Option::None,
                }
            }
        }

        /// The first member, as TarsCpp initializes enum fields.
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                Self::#first
            }
        }

        #compared

        #codec
    }
}

fn const_(m: &model::Module, c: &model::Const) -> TokenStream {
    let ident = names::ident(&names::screaming_snake(&c.name));
    let doc = docs(&c.doc);
    let ty = match c.ty {
        Type::String => quote!(&str),
        ref t => rust_type(t, &m.name),
    };
    let value = value_expr(&c.value, &c.ty, &m.name);
    let wire = format!(" `const {} {}`", c.ty.idl(), c.name);
    quote! {
        #doc
        #[doc = #wire]
        pub const #ident: #ty = #value;
    }
}

/// The interface in the one model both front-ends lower to.
fn lower(m: &model::Module, i: &model::Interface) -> interface::Interface {
    let value = |t: &Type| interface::Value {
        ty: rust_type(t, &m.name),
        text: interface::TypeText::Static {
            idl: t.idl(),
            tup: tup_type(t),
        },
    };
    interface::Interface {
        module: m.name.clone(),
        name: i.name.clone(),
        format: interface::WireFormat::Tars,
        methods: i
            .methods
            .iter()
            .map(|meth| interface::Method {
                ident: names::ident(&names::snake_case(&meth.name)),
                wire: meth.name.clone(),
                doc: meth.doc.clone(),
                takes_context: true,
                params: meth
                    .params
                    .iter()
                    .map(|prm| interface::Param {
                        ident: names::ident(&names::snake_case(&prm.name)),
                        wire: prm.name.clone(),
                        tag: prm.tag,
                        out: prm.out,
                        routekey: prm.routekey,
                        value: value(&prm.ty),
                        arg_ty: arg_type(&prm.ty, &m.name),
                    })
                    .collect(),
                ret: meth.ret.as_ref().map(value),
            })
            .collect(),
    }
}

/// The descriptor, and the servant trait and proxy that `parts` asks for. Neither of those two
/// names the other, so each compiles without it.
fn interface(m: &model::Module, i: &model::Interface, parts: Parts) -> TokenStream {
    let ident = format_ident!("{}_INTERFACE", names::screaming_snake(&i.name));
    let summary = format!(
        " Description of interface `{}`: methods, parameters, tags and types.",
        i.name
    );
    let mut lines = i.doc.clone();
    lines.push(String::new());
    for meth in &i.methods {
        let what = if meth.doc.is_empty() {
            String::new()
        } else {
            format!(": {}", meth.doc.join(" "))
        };
        lines.push(format!("- `{}`{what}", signature(meth)));
    }
    let doc = docs(&lines);
    let p = quote!(::tars::__private);
    let lowered = lower(m, i);
    let desc = lowered
        .static_descriptor(&p)
        .expect("IDL types are spelled at compile time");
    let servant_trait = parts.servant_traits().then(|| servant_trait(m, i, &lowered, &ident));
    let proxy = parts.proxies().then(|| proxy(m, i, &lowered));
    quote! {
        #[doc = #summary]
        #doc
        pub static #ident: #p::InterfaceDesc = #desc;

        #servant_trait

        #proxy
    }
}

/// The client proxy `<Name>Proxy`.
fn proxy(m: &model::Module, i: &model::Interface, lowered: &interface::Interface) -> TokenStream {
    let proxy_ident = format_ident!("{}Proxy", names::upper_camel(&i.name));
    let proxy_doc = format!(
        " Client proxy of TARS interface `{}::{}`: `communicator.string_to_proxy::<{}>(\"App.Server.Obj@tcp -h HOST -p PORT\")`.",
        m.name, i.name, proxy_ident
    );
    lowered.proxy(&proxy_ident, &proxy_doc, &[])
}

/// The type a proxy method takes for an input parameter: borrowed for strings, vectors,
/// maps and structs, by value for scalars and enums.
fn arg_type(ty: &Type, from: &str) -> TokenStream {
    match ty {
        Type::String => quote!(&str),
        Type::Vector(inner) => match **inner {
            Type::Byte => quote!(&[u8]),
            Type::UByte => quote!(&[::tars::__private::UByte]),
            ref t => {
                let t = rust_type(t, from);
                quote!(&[#t])
            }
        },
        Type::Map(..) | Type::Struct(_) => {
            let t = rust_type(ty, from);
            quote!(&#t)
        }
        other => rust_type(other, from),
    }
}

/// The servant trait users implement, with a hidden dispatcher `#[tars::servant]` calls.
fn servant_trait(
    m: &model::Module,
    i: &model::Interface,
    lowered: &interface::Interface,
    desc: &syn::Ident,
) -> TokenStream {
    let p = quote!(::tars::__private);
    let trait_ident = names::ident(&names::upper_camel(&i.name));
    let mut trait_doc = i.doc.clone();
    if !trait_doc.is_empty() {
        trait_doc.push(String::new());
    }
    trait_doc.push(format!(
        "Servant trait of TARS interface `{}::{}`. Implement it with `async fn`s, put `#[tars::servant]` on the impl, and add the type to a `tars::server::Application`.",
        m.name, i.name
    ));
    trait_doc.push(String::new());
    trait_doc.push("Each method returns its IDL return value followed by its `out` parameters (a tuple when there are several); an `Err` becomes the reply's return code and description.".into());
    let trait_doc = docs(&trait_doc);
    let sigs = i.methods.iter().zip(&lowered.methods).map(|(meth, lm)| {
        let fn_ident = &lm.ident;
        let inputs: Vec<&interface::Param> = lm.params.iter().filter(|prm| !prm.out).collect();
        let arg_idents = inputs.iter().map(|prm| &prm.ident);
        let arg_types = inputs.iter().map(|prm| &prm.value.ty);
        let output = lm.output();
        let mut doc_lines = meth.doc.clone();
        if !doc_lines.is_empty() {
            doc_lines.push(String::new());
        }
        doc_lines.push(format!("`{}`", signature(meth)));
        let fn_doc = docs(&doc_lines);
        quote! {
            #fn_doc
            fn #fn_ident(&self, ctx: &#p::Context #(, #arg_idents: #arg_types)*)
                -> impl ::core::future::Future<Output = ::core::result::Result<#output, #p::Status>> + ::core::marker::Send;
        }
    });
    lowered.servant_trait(&trait_ident, &trait_doc, sigs, desc)
}
