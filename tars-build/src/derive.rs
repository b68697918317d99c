//! Front-end for `#[derive(TarsStruct)]` and `#[derive(TarsEnum)]`: reads `#[tars(..)]`
//! attributes into the IR and checks them, reporting every problem with its span.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type};

use crate::codegen;
use crate::ctxt::Ctxt;
use crate::ir::{DefaultValue, Enum, Field, Struct};

/// Expands `#[derive(TarsStruct)]`.
pub(crate) fn expand_struct(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = parse_container(&mut cx, input, true);
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => parse_fields(&mut cx, named.named.iter()),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(_) => {
                cx.error_spanned_by(
                    &data.fields,
                    "TarsStruct needs named fields: each field carries #[tars(tag = N)]",
                );
                Vec::new()
            }
        },
        Data::Enum(data) => {
            cx.error_spanned_by(
                data.enum_token,
                "TarsStruct is for structs; derive TarsEnum for a C-like enum",
            );
            Vec::new()
        }
        Data::Union(data) => {
            cx.error_spanned_by(data.union_token, "TarsStruct is for structs, not unions");
            Vec::new()
        }
    };
    let ir = Struct {
        ident: input.ident.clone(),
        generics: input.generics.clone(),
        wire_name: container.name.unwrap_or_else(|| input.ident.unraw().to_string()),
        fields,
        impl_default: container.impl_default,
        idl: None,
    };
    if cx.is_ok() {
        codegen::struct_impls(&ir, &container.krate)
    } else {
        let mut out = cx.to_compile_errors();
        out.extend(codegen::struct_fallback(&ir, &container.krate));
        out
    }
}

/// Expands `#[derive(TarsEnum)]`.
pub(crate) fn expand_enum(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let container = parse_container(&mut cx, input, false);
    let mut units: Vec<&syn::Variant> = Vec::new();
    let mut catch_all: Option<syn::Ident> = None;
    match &input.data {
        Data::Enum(data) => {
            for v in &data.variants {
                let mut undeclared = false;
                for attr in v.attrs.iter().filter(|a| a.path().is_ident("tars")) {
                    let r = attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("undeclared") {
                            undeclared = true;
                            Ok(())
                        } else {
                            Err(meta.error(
                                "unknown TarsEnum variant attribute; the only one is `undeclared`, on a `Variant(i32)` that keeps values no variant declares",
                            ))
                        }
                    });
                    if let Err(e) = r {
                        cx.syn_error(e);
                    }
                }
                let keeps_i32 = matches!(&v.fields, Fields::Unnamed(f)
                    if f.unnamed.len() == 1 && matches!(&f.unnamed[0].ty, syn::Type::Path(t) if t.path.is_ident("i32")));
                if undeclared {
                    if !keeps_i32 {
                        cx.error_spanned_by(
                            &v.fields,
                            "the `undeclared` variant holds the value: write it `Variant(i32)`",
                        );
                    } else if catch_all.replace(v.ident.clone()).is_some() {
                        cx.error_spanned_by(&v.ident, "only one variant can be `#[tars(undeclared)]`");
                    }
                } else if matches!(v.fields, Fields::Unit) {
                    units.push(v);
                } else {
                    cx.error_spanned_by(
                        &v.fields,
                        format_args!(
                            "TarsEnum variant `{}` carries data: TARS enums are int32 values, so every variant must be a unit variant (or one `#[tars(undeclared)] Variant(i32)` that keeps values no variant declares)",
                            v.ident
                        ),
                    );
                }
            }
            if !input.generics.params.is_empty() {
                cx.error_spanned_by(&input.generics, "TarsEnum cannot be generic");
            }
        }
        _ => cx.error_spanned_by(&input.ident, "TarsEnum is for C-like enums"),
    }
    let ident = &input.ident;
    // Values: the discriminants. Without a data variant they are read with `as`, so any
    // constant expression works; with one, `as` is not allowed and they must be literals.
    let mut variants = Vec::new();
    let mut next: i128 = 0;
    for v in &units {
        let value = if catch_all.is_none() {
            let name = &v.ident;
            quote!(#ident::#name as i32)
        } else {
            let value = match &v.discriminant {
                None => Some(next),
                Some((_, expr)) => tag_value(expr),
            };
            match value.filter(|v| i32::try_from(*v).is_ok()) {
                Some(x) => {
                    next = x + 1;
                    let x = x as i32;
                    quote!(#x)
                }
                None => {
                    cx.error_spanned_by(
                        &v.ident,
                        "with an `undeclared` variant, each value must be an int32 literal (`Variant = 3`)",
                    );
                    quote!(0)
                }
            }
        };
        variants.push((v.ident.clone(), value));
    }
    let ir = Enum {
        ident: input.ident.clone(),
        wire_name: container.name.unwrap_or_else(|| input.ident.unraw().to_string()),
        variants,
        catch_all,
    };
    if cx.is_ok() {
        let overflow = (ir.catch_all.is_none()).then(|| {
            let names = units.iter().map(|v| &v.ident);
            let messages = units
                .iter()
                .map(|v| format!("{ident}::{} does not fit in a TARS enum (int32)", v.ident));
            quote! {
                const _: () = {
                    #(::core::assert!(
                        #ident::#names as i128 >= i32::MIN as i128 && #ident::#names as i128 <= i32::MAX as i128,
                        #messages
                    );)*
                };
            }
        });
        let impls = codegen::enum_impls(&ir, &container.krate);
        quote!(#overflow #impls)
    } else {
        let mut out = cx.to_compile_errors();
        if input.generics.params.is_empty() && matches!(input.data, Data::Enum(_)) {
            out.extend(codegen::enum_fallback(&ir, &container.krate));
        }
        out
    }
}

enum TagState {
    Missing,
    /// Given, but not a valid tag (already reported).
    Invalid,
    Valid(u8, Span),
}

/// The value of a tag expression: an integer literal, possibly negated (to report it as out
/// of range rather than as a parse error).
fn tag_value(expr: &syn::Expr) -> Option<i128> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => tag_value(expr).map(|v| -v),
        syn::Expr::Paren(p) => tag_value(&p.expr),
        _ => None,
    }
}

struct Container {
    name: Option<String>,
    krate: syn::Path,
    impl_default: bool,
}

fn parse_container(cx: &mut Ctxt, input: &DeriveInput, is_struct: bool) -> Container {
    let mut c = Container {
        name: None,
        krate: syn::parse_quote!(::tars),
        impl_default: false,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("tars")) {
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                if c.name.is_some() {
                    cx.error_spanned_by(&meta.path, "`name` is given twice");
                }
                c.name = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.path.is_ident("crate") {
                let lit = meta.value()?.parse::<syn::LitStr>()?;
                c.krate = lit.parse().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        "`crate` is the path of the tars runtime, e.g. `crate = \"::tars\"`",
                    )
                })?;
            } else if is_struct && meta.path.is_ident("default") {
                c.impl_default = true;
            } else {
                let allowed = if is_struct {
                    "`name`, `crate`, `default`"
                } else {
                    "`name`, `crate`"
                };
                cx.error_spanned_by(
                    &meta.path,
                    format_args!(
                        "unknown tars attribute `{}`; expected one of {allowed}",
                        path_str(&meta.path)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    c
}

fn parse_fields<'a>(cx: &mut Ctxt, fields: impl Iterator<Item = &'a syn::Field>) -> Vec<Field> {
    let mut out = Vec::new();
    let mut seen_tags: HashMap<u8, String> = HashMap::new();
    for field in fields {
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let mut tag = TagState::Missing;
        let mut required = false;
        let mut optional_span: Option<Span> = None;
        let mut require_span: Option<Span> = None;
        let mut wire_name = None;
        let mut default = None;
        let mut saw_attr = false;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("tars")) {
            saw_attr = true;
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("tag") {
                    if !matches!(tag, TagState::Missing) {
                        cx.error_spanned_by(&meta.path, "`tag` is given twice");
                    }
                    // Invalid until proven otherwise, so a parse error does not also read as
                    // "missing tag" or collide with a real tag.
                    tag = TagState::Invalid;
                    let expr: syn::Expr = meta.value()?.parse()?;
                    match tag_value(&expr) {
                        Some(n) if (0..=255).contains(&n) => tag = TagState::Valid(n as u8, expr.span()),
                        Some(n) => cx.error_spanned_by(&expr, format_args!("tag {n} is out of range: TARS tags are 0..=255")),
                        None => cx.error_spanned_by(&expr, "a tag is an integer literal in 0..=255"),
                    }
                } else if meta.path.is_ident("require") {
                    required = true;
                    require_span = Some(meta.path.span());
                } else if meta.path.is_ident("optional") {
                    optional_span = Some(meta.path.span());
                } else if meta.path.is_ident("name") {
                    if wire_name.is_some() {
                        cx.error_spanned_by(&meta.path, "`name` is given twice");
                    }
                    wire_name = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                } else if meta.path.is_ident("default") {
                    if default.is_some() {
                        cx.error_spanned_by(&meta.path, "`default` is given twice");
                    }
                    if !meta.input.peek(syn::Token![=]) {
                        return Err(meta.error("a field default is `default = <value>`; `#[tars(default)]` belongs on the struct"));
                    }
                    let expr: syn::Expr = meta.value()?.parse()?;
                    default = Some(match expr {
                        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => DefaultValue::Str(s),
                        other => DefaultValue::Expr(other.into_token_stream()),
                    });
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format_args!(
                            "unknown tars attribute `{}`; expected one of `tag`, `require`, `optional`, `default`, `name`",
                            path_str(&meta.path)
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = res {
                cx.syn_error(e);
                if matches!(tag, TagState::Missing) {
                    tag = TagState::Invalid;
                }
            }
        }
        if let (Some(_), Some(span)) = (require_span, optional_span) {
            cx.error_at(span, "a field is either `require` or `optional`, not both");
        }
        check_field_type(cx, &field.ty);
        let (tag, tag_span) = match tag {
            TagState::Valid(tag, span) => (tag, span),
            TagState::Invalid => continue,
            TagState::Missing => {
                let hint = if saw_attr {
                    "add `tag = N` to its #[tars(..)]"
                } else {
                    "add #[tars(tag = N)]"
                };
                cx.error_spanned_by(
                    &ident,
                    format_args!("field `{}` has no TARS tag: {hint}", ident.unraw()),
                );
                continue;
            }
        };
        if let Some(prev) = seen_tags.get(&tag) {
            cx.error_at(
                tag_span,
                format_args!("duplicate tag {tag}: field `{prev}` already uses it"),
            );
        } else {
            seen_tags.insert(tag, ident.unraw().to_string());
        }
        out.push(Field {
            wire_name: wire_name.unwrap_or_else(|| ident.unraw().to_string()),
            ident,
            tag,
            required,
            ty: field.ty.clone(),
            default,
        });
    }
    out
}

/// Rejects Rust types that have no TARS counterpart, with the closest TARS type as a hint.
/// Other types are checked by the compiler through the `TarsEncode`/`TarsDecode` bounds.
fn check_field_type(cx: &mut Ctxt, ty: &Type) {
    let hint = match ty {
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return;
            };
            match last.ident.to_string().as_str() {
                "u64" => "TARS has no unsigned long; use i64 (`long`)",
                "u128" | "i128" => "TARS integers are at most 64 bits; use i64 (`long`)",
                "usize" | "isize" => "TARS integers have fixed widths; use i32 or i64",
                "char" => "TARS has no char; use String or i8 (`byte`)",
                "Option" => "TARS has no null; use an `optional` field, which decodes to its default when absent",
                _ => {
                    // Recurse into generic arguments: Vec<u64> is as unsupported as u64.
                    for arg in &last.arguments_types() {
                        check_field_type(cx, arg);
                    }
                    return;
                }
            }
        }
        Type::Reference(_) => "TARS fields must own their data; use String, Vec<T> or bytes::Bytes",
        Type::Tuple(_) => "TARS has no tuples; use a struct",
        Type::Array(_) => "TARS has no fixed-size arrays; use Vec<T>",
        Type::Slice(_) | Type::Ptr(_) | Type::BareFn(_) | Type::TraitObject(_) | Type::ImplTrait(_) => {
            "this type cannot be encoded as TARS"
        }
        Type::Paren(p) => return check_field_type(cx, &p.elem),
        Type::Group(g) => return check_field_type(cx, &g.elem),
        _ => return,
    };
    cx.error_spanned_by(ty, format_args!("unsupported field type `{}`: {hint}", type_str(ty)));
}

trait PathSegmentExt {
    fn arguments_types(&self) -> Vec<&Type>;
}

impl PathSegmentExt for syn::PathSegment {
    fn arguments_types(&self) -> Vec<&Type> {
        match &self.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|arg| match arg {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Consumes `= value` after an unknown attribute so parsing can continue past it.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

/// A type as the user wrote it, without the spaces token printing adds (`& 'static str`).
fn type_str(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let drop_space = c == ' '
            && (out.ends_with(['<', '(', '[', '&', ':']) || matches!(next, Some('>' | ')' | ']' | ',' | ':' | '<')));
        if !drop_space {
            out.push(c);
        }
    }
    out
}

fn path_str(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
