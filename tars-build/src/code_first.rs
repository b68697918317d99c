//! Code-first servants: `#[tars::servant]` on an inherent impl block. Every `async fn` taking
//! `&self` becomes a TARS method (unless marked `#[tars(skip)]`):
//!
//! - its wire name is the Rust name in lowerCamelCase (`test_hello` → `testHello`), or
//!   `#[tars(name = "...")]`;
//! - a first parameter of type `&Context` receives the call's context and is not a TARS
//!   parameter; every other parameter is an input, named in lowerCamelCase or by
//!   `#[tars(name = "...")]` on the parameter, tagged by position from 1;
//! - it returns `Result<T, E>` with `E: Into<Status>`: `T = ()` is `void`, a tuple `(R, A, B)`
//!   is the return value `R` followed by `out` parameters (named `#[tars(outs = "a, b")]`,
//!   else `out1`, `out2`), any other `T` is the return value.
//!
//! The impl gains `tars_idl()`, the equivalent `.tars` file for teams in other languages, and
//! a client proxy `<Type>Proxy` is generated next to it.
//! The interface is named after the type unless `#[tars::servant(interface = "...")]` says
//! otherwise, in module `module = "..."` (default: the crate's name).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::idl::names;

struct Method {
    ident: syn::Ident,
    /// `E` of `Result<T, E>`, when written out (an alias may hide it).
    error_type: Option<syn::Type>,
    wire: String,
    has_ctx: bool,
    inputs: Vec<(syn::Ident, String, syn::Type)>,
    ret: Option<syn::Type>,
    outs: Vec<(String, syn::Type)>,
}

pub(crate) fn expand(args: TokenStream, mut item: syn::ItemImpl) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut module = std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| "App".into());
    let mut interface = match &*item.self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    let mut hooks = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("hooks") {
            hooks = true;
        } else if meta.path.is_ident("module") {
            module = meta.value()?.parse::<syn::LitStr>()?.value();
        } else if meta.path.is_ident("interface") {
            interface = meta.value()?.parse::<syn::LitStr>()?.value();
        } else {
            return Err(meta.error(
                "unknown #[tars::servant] argument; expected `module = \"...\"`, `interface = \"...\"` or `hooks`",
            ));
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    let mut methods = Vec::new();
    for it in &mut item.items {
        let syn::ImplItem::Fn(f) = it else { continue };
        if let Some(m) = method(&mut cx, f) {
            methods.push(m);
        }
    }
    if methods.is_empty() && cx.is_ok() {
        cx.error_spanned_by(
            &item.self_ty,
            "#[tars::servant] found no `async fn` taking `&self` to serve",
        );
    }
    if !cx.is_ok() {
        let errors = cx.to_compile_errors();
        return quote!(#item #errors);
    }
    generate(&item, &module, &interface, &methods, hooks)
}

/// Reads one method; `None` for methods that are not served (not async, no `&self`, skipped).
fn method(cx: &mut Ctxt, f: &mut syn::ImplItemFn) -> Option<Method> {
    let mut wire = names::lower_camel(&f.sig.ident.to_string());
    let mut outs_names: Option<Vec<String>> = None;
    let mut skip = false;
    let mut keep = Vec::new();
    for attr in f.attrs.drain(..) {
        if !attr.path().is_ident("tars") {
            keep.push(attr);
            continue;
        }
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                wire = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.path.is_ident("outs") {
                let s = meta.value()?.parse::<syn::LitStr>()?.value();
                outs_names = Some(
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect(),
                );
            } else if meta.path.is_ident("skip") {
                skip = true;
            } else {
                return Err(meta.error("unknown tars method attribute; expected `name`, `outs` or `skip`"));
            }
            Ok(())
        });
        if let Err(e) = r {
            cx.syn_error(e);
        }
    }
    f.attrs = keep;
    let is_served = f.sig.asyncness.is_some()
        && matches!(f.sig.inputs.first(), Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none());
    if skip || !is_served {
        return None;
    }
    let mut has_ctx = false;
    let mut inputs = Vec::new();
    for (i, arg) in f.sig.inputs.iter_mut().skip(1).enumerate() {
        let syn::FnArg::Typed(pat) = arg else {
            continue;
        };
        if i == 0 && is_context_ref(&pat.ty) {
            has_ctx = true;
            continue;
        }
        let mut name = None;
        let mut keep = Vec::new();
        for attr in pat.attrs.drain(..) {
            if attr.path().is_ident("tars") {
                let r = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("name") {
                        name = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                        Ok(())
                    } else {
                        Err(meta.error("unknown tars parameter attribute; expected `name`"))
                    }
                });
                if let Err(e) = r {
                    cx.syn_error(e);
                }
            } else {
                keep.push(attr);
            }
        }
        pat.attrs = keep;
        let syn::Pat::Ident(id) = &*pat.pat else {
            cx.error_spanned_by(
                &pat.pat,
                "TARS parameters need a plain name (the name goes on the wire for TUP and JSON)",
            );
            continue;
        };
        let wire = name.unwrap_or_else(|| names::lower_camel(&id.ident.to_string()));
        inputs.push((id.ident.clone(), wire, (*pat.ty).clone()));
    }
    let ok_type = match &f.sig.output {
        syn::ReturnType::Type(_, ty) => result_types(ty),
        syn::ReturnType::Default => None,
    };
    let Some((ok_type, error_type)) = ok_type else {
        cx.error_spanned_by(
            &f.sig,
            "a TARS method returns `Result<T, E>` where `E: Into<tars::Status>`",
        );
        return None;
    };
    let (ret, outs): (Option<syn::Type>, Vec<syn::Type>) = match ok_type {
        syn::Type::Tuple(t) if t.elems.is_empty() => (None, Vec::new()),
        syn::Type::Tuple(t) => {
            let mut it = t.elems.into_iter();
            (it.next(), it.collect())
        }
        other => (Some(other), Vec::new()),
    };
    let names_given = outs_names.unwrap_or_default();
    if !names_given.is_empty() && names_given.len() != outs.len() {
        cx.error_spanned_by(
            &f.sig.output,
            format!(
                "`outs` names {} parameter(s) but the return tuple has {} out value(s)",
                names_given.len(),
                outs.len()
            ),
        );
    }
    let outs = outs
        .into_iter()
        .enumerate()
        .map(|(i, ty)| {
            (
                names_given.get(i).cloned().unwrap_or_else(|| format!("out{}", i + 1)),
                ty,
            )
        })
        .collect();
    Some(Method {
        error_type,
        ident: f.sig.ident.clone(),
        wire,
        has_ctx,
        inputs,
        ret,
        outs,
    })
}

fn is_context_ref(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => {
            matches!(&*r.elem, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Context"))
        }
        _ => false,
    }
}

/// `T` of `Result<T, E>` (any path ending in `Result` with two arguments).
fn result_types(ty: &syn::Type) -> Option<(syn::Type, Option<syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    Some((types.next()?, types.next()))
}

/// The interface in the one model both front-ends lower to: inputs tagged by position from
/// 1, then the `out`s; types spelled at run time through `IdlType`.
fn lower(module: &str, interface: &str, methods: &[Method]) -> crate::interface::Interface {
    use crate::interface::{Interface, Method as M, Param, TypeText, Value};
    let value = |ty: &syn::Type| Value {
        ty: quote!(#ty),
        text: TypeText::OfType,
    };
    Interface {
        module: module.to_string(),
        name: interface.to_string(),
        format: crate::interface::WireFormat::Tars,
        methods: methods
            .iter()
            .map(|m| {
                let inputs = m.inputs.iter().enumerate().map(|(i, (ident, wire, ty))| Param {
                    ident: ident.clone(),
                    wire: wire.clone(),
                    tag: (i + 1) as u8,
                    out: false,
                    routekey: false,
                    value: value(ty),
                    arg_ty: quote!(&#ty),
                });
                let outs = m.outs.iter().enumerate().map(|(k, (wire, ty))| Param {
                    ident: format_ident!("out{}", k + 1),
                    wire: wire.clone(),
                    tag: (m.inputs.len() + k + 1) as u8,
                    out: true,
                    routekey: false,
                    value: value(ty),
                    arg_ty: quote!(&#ty),
                });
                M {
                    ident: m.ident.clone(),
                    wire: m.wire.clone(),
                    doc: Vec::new(),
                    takes_context: m.has_ctx,
                    params: inputs.chain(outs).collect(),
                    ret: m.ret.as_ref().map(value),
                }
            })
            .collect(),
    }
}

/// Every parameter and result type of the methods.
fn types(methods: &[Method]) -> impl Iterator<Item = &syn::Type> {
    methods.iter().flat_map(|m| {
        m.inputs
            .iter()
            .map(|(_, _, t)| t)
            .chain(m.ret.iter())
            .chain(m.outs.iter().map(|(_, t)| t))
    })
}

fn generate(item: &syn::ItemImpl, module: &str, interface: &str, methods: &[Method], hooks: bool) -> TokenStream {
    let hooks = hooks.then(|| crate::codegen::connection_hooks(&quote!(::tars::__private)));
    let p = quote!(::tars::__private);
    let self_ty = &item.self_ty;
    let lowered = lower(module, interface, methods);
    // Each parameter and result type must be a TARS type: one bound, spanned on the type;
    // and `E: Into<Status>`, spanned on `E`, so a wrong error type is reported on the
    // signature.
    let checks: Vec<TokenStream> = types(methods)
        .map(|t| crate::codegen::tars_type_bound(t, &p))
        .chain(methods.iter().filter_map(|m| m.error_type.as_ref()).map(|e| {
            let span = e.span();
            let into = crate::codegen::respan(quote!(::core::convert::Into<#p::Status>), span);
            quote_spanned!(span=> #e: #into)
        }))
        .collect();
    let mut generics = item.generics.clone();
    generics
        .make_where_clause()
        .predicates
        .extend(checks.iter().map(|c| -> syn::WherePredicate { syn::parse_quote!(#c) }));
    let (impl_g, _, where_c) = generics.split_for_impl();
    // A generic servant has no single proxy type; it is called through ServantProxy.
    let proxy = match &**self_ty {
        syn::Type::Path(tp) if item.generics.params.is_empty() => tp.path.segments.last().map(|last| {
            let proxy_ident = format_ident!("{}Proxy", last.ident);
            let doc = format!(" Client proxy of the code-first servant `{}`.", last.ident);
            lowered.proxy(&proxy_ident, &doc, &checks)
        }),
        _ => None,
    };
    let all_types: Vec<&syn::Type> = types(methods).collect();
    let desc = lowered.descriptor_ref(&p);
    let dispatch = lowered.dispatch(&p);
    quote! {
        #item

        #proxy

        impl #impl_g #self_ty #where_c {
            /// The TARS interface this type serves, as a `.tars` file other languages can
            /// generate their clients from.
            pub fn tars_idl() -> ::std::string::String {
                let mut defs = #p::IdlDefinitions::default();
                #(<#all_types as #p::IdlType>::define(&mut defs);)*
                #p::idl_file(Self::__tars_interface(), &defs)
            }

            #[doc(hidden)]
            pub fn __tars_interface() -> &'static #p::InterfaceDesc {
                #desc
            }
        }

        #[#p::async_trait]
        impl #impl_g #p::Servant for #self_ty #where_c {
            fn interface(&self) -> &'static #p::InterfaceDesc {
                Self::__tars_interface()
            }

            #[allow(unused_variables, clippy::let_unit_value)]
            async fn dispatch(&self, ctx: &#p::Context, call: &mut #p::Call) -> ::core::result::Result<(), #p::Status> {
                #dispatch
            }

            #hooks
        }
    }
}
