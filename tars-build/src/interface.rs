//! One interface model for both front-ends: `include_tars!` lowers an IDL interface to an
//! [`Interface`], `#[tars::servant]` lowers a code-first impl block to one, and the
//! descriptor, the dispatcher and the client proxy are generated from it here, once (as
//! serde_derive lowers every input to one `Container`).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::{self, ProxyArg, ProxyMethod};

/// An interface: its methods, and the module and name it has in the IDL.
pub(crate) struct Interface {
    pub module: String,
    pub name: String,
    pub methods: Vec<Method>,
    /// How arguments and results travel in `sBuffer`.
    pub format: WireFormat,
}

/// How a method's arguments and results are encoded in `sBuffer`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireFormat {
    /// TARS (by tag), TUP or JSON, per the request's `iVersion`.
    Tars,
    /// One protobuf message each way, the whole `sBuffer` (TarsGo's `protoc-gen-go-tarsrpc`).
    Protobuf,
}

/// One method.
pub(crate) struct Method {
    /// Rust name.
    pub ident: Ident,
    /// Wire (IDL) name.
    pub wire: String,
    pub doc: Vec<String>,
    /// Whether the servant's method takes the `&Context` (IDL methods always do).
    pub takes_context: bool,
    /// Parameters in IDL order, inputs and `out`s.
    pub params: Vec<Param>,
    /// The return value, `None` for `void`.
    pub ret: Option<Value>,
}

/// A parameter.
pub(crate) struct Param {
    pub ident: Ident,
    pub wire: String,
    /// 1-based IDL position: its tag in TARS encoding.
    pub tag: u8,
    pub out: bool,
    pub routekey: bool,
    pub value: Value,
    /// The type a proxy method takes it as (`&str` for a `String`, …).
    pub arg_ty: TokenStream,
}

/// A typed value: its Rust type and its IDL and TUP spellings.
pub(crate) struct Value {
    pub ty: TokenStream,
    pub text: TypeText,
}

/// How a type is spelled in the IDL and in TUP v2.
pub(crate) enum TypeText {
    /// Known at compile time (IDL interfaces).
    Static { idl: String, tup: String },
    /// Asked of the Rust type at run time, through `IdlType` (code-first servants).
    OfType,
}

impl Method {
    fn inputs(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| !p.out)
    }

    fn outs(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.out)
    }

    /// The Rust type the servant method returns in `Ok`: the return value followed by the
    /// `out` parameters, as one value, a tuple, or `()`.
    pub(crate) fn output(&self) -> TokenStream {
        let mut parts: Vec<&TokenStream> = self.ret.iter().map(|v| &v.ty).collect();
        parts.extend(self.outs().map(|p| &p.value.ty));
        match parts.len() {
            1 => parts[0].clone(),
            _ => quote!((#(#parts),*)),
        }
    }
}

impl Interface {
    fn is_static(&self) -> bool {
        let all = |v: &Value| matches!(v.text, TypeText::Static { .. });
        self.methods
            .iter()
            .all(|m| m.ret.iter().all(all) && m.params.iter().all(|p| all(&p.value)))
    }

    /// The `InterfaceDesc` as a constant expression, when every type is spelled at compile
    /// time.
    pub(crate) fn static_descriptor(&self, p: &TokenStream) -> Option<TokenStream> {
        self.is_static().then(|| self.descriptor(p, false))
    }

    /// A block that evaluates to `&'static InterfaceDesc`: a constant when it can be, else
    /// built once from the types' `IdlType` spellings.
    pub(crate) fn descriptor_ref(&self, p: &TokenStream) -> TokenStream {
        match self.static_descriptor(p) {
            Some(desc) => quote!({
                static DESC: #p::InterfaceDesc = #desc;
                &DESC
            }),
            None => {
                let desc = self.descriptor(p, true);
                quote!({
                    static DESC: ::std::sync::OnceLock<#p::InterfaceDesc> = ::std::sync::OnceLock::new();
                    DESC.get_or_init(|| #desc)
                })
            }
        }
    }

    fn descriptor(&self, p: &TokenStream, leak: bool) -> TokenStream {
        let text = |v: &Value| -> (TokenStream, TokenStream) {
            match &v.text {
                TypeText::Static { idl, tup } => (quote!(#idl), quote!(#tup)),
                TypeText::OfType => {
                    let ty = &v.ty;
                    (
                        quote!(#p::leak_str(<#ty as #p::IdlType>::idl_type())),
                        quote!(#p::leak_str(<#ty as #p::IdlType>::tup_type())),
                    )
                }
            }
        };
        let slice = |items: Vec<TokenStream>| {
            if leak {
                quote!(#p::leak_slice(::std::vec![#(#items),*]))
            } else {
                quote!(&[#(#items),*])
            }
        };
        let methods: Vec<TokenStream> = self
            .methods
            .iter()
            .map(|m| {
                let wire = &m.wire;
                let (ret, ret_tup) = match &m.ret {
                    Some(v) => {
                        let (idl, tup) = text(v);
                        (quote!(::core::option::Option::Some(#idl)), quote!(::core::option::Option::Some(#tup)))
                    }
                    None => (quote!(::core::option::Option::None), quote!(::core::option::Option::None)),
                };
                let params = m
                    .params
                    .iter()
                    .map(|prm| {
                        let (name, tag, out, routekey) = (&prm.wire, prm.tag, prm.out, prm.routekey);
                        let (ty, tup) = text(&prm.value);
                        quote!(#p::ParamDesc { name: #name, tag: #tag, out: #out, routekey: #routekey, ty: #ty, tup_type: #tup })
                    })
                    .collect();
                let params = slice(params);
                quote!(#p::MethodDesc { name: #wire, ret: #ret, ret_tup_type: #ret_tup, params: #params })
            })
            .collect();
        let (module, name) = (&self.module, &self.name);
        let methods = slice(methods);
        quote!(#p::InterfaceDesc { module: #module, name: #name, methods: #methods })
    }

    /// The dispatcher: a `match` on `call.function()` that reads the arguments, runs the
    /// method on `self`, and writes its results back; unknown functions answer -3.
    pub(crate) fn dispatch(&self, p: &TokenStream) -> TokenStream {
        let arms = self.methods.iter().map(|m| {
            let (wire, ident) = (&m.wire, &m.ident);
            let args: Vec<Ident> = (0..m.inputs().count()).map(|i| format_ident!("__arg{}", i)).collect();
            let protobuf = self.format == WireFormat::Protobuf;
            let reads = m.inputs().zip(&args).map(|(prm, a)| {
                let (ty, tag, name) = (&prm.value.ty, prm.tag, &prm.wire);
                if protobuf {
                    quote!(let #a: #ty = call.proto_arg()?;)
                } else {
                    quote!(let #a: #ty = call.arg(#tag, #name)?;)
                }
            });
            let mut binds: Vec<Ident> = Vec::new();
            let mut writes: Vec<TokenStream> = Vec::new();
            if m.ret.is_some() {
                binds.push(format_ident!("__ret"));
                writes.push(if protobuf {
                    quote!(call.set_proto_result(&__ret);)
                } else {
                    quote!(call.set_return(&__ret);)
                });
            }
            for (k, out) in m.outs().enumerate() {
                let b = format_ident!("__out{}", k);
                let (tag, name) = (out.tag, &out.wire);
                writes.push(quote!(call.set_out(#tag, #name, &#b);));
                binds.push(b);
            }
            let pattern = match binds.len() {
                0 => quote!(()),
                1 => {
                    let b = &binds[0];
                    quote!(#b)
                }
                _ => quote!((#(#binds),*)),
            };
            let ctx = m.takes_context.then(|| quote!(ctx,));
            quote! {
                #wire => {
                    #(#reads)*
                    let #pattern = self.#ident(#ctx #(#args),*).await.map_err(::core::convert::Into::<#p::Status>::into)?;
                    #(#writes)*
                    ::core::result::Result::Ok(())
                }
            }
        });
        quote! {
            match call.function() {
                #(#arms)*
                other => ::core::result::Result::Err(#p::Status::no_such_function(ctx.servant(), other)),
            }
        }
    }

    /// The servant trait `ident` users implement: its documented method signatures `sigs`,
    /// then the hidden descriptor and dispatcher `#[tars::servant]` calls (`desc` is the
    /// descriptor's static).
    pub(crate) fn servant_trait(
        &self,
        ident: &Ident,
        doc: &TokenStream,
        sigs: impl Iterator<Item = TokenStream>,
        desc: &Ident,
    ) -> TokenStream {
        let p = quote!(::tars::__private);
        let dispatch = self.dispatch(&p);
        quote! {
            #doc
            pub trait #ident: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#sigs)*

                #[doc(hidden)]
                fn __tars_interface() -> &'static #p::InterfaceDesc
                where
                    Self: Sized,
                {
                    &#desc
                }

                #[doc(hidden)]
                #[allow(unused_variables, clippy::let_unit_value)]
                fn __tars_dispatch<'a>(&'a self, ctx: &'a #p::Context, call: &'a mut #p::Call)
                    -> impl ::core::future::Future<Output = ::core::result::Result<(), #p::Status>> + ::core::marker::Send + 'a
                where
                    Self: Sized,
                {
                    async move { #dispatch }
                }
            }
        }
    }

    /// The client proxy `ident`; `checks` are where-clause predicates for its impl.
    pub(crate) fn proxy(&self, ident: &Ident, doc: &str, checks: &[TokenStream]) -> TokenStream {
        let p = quote!(::tars::__private);
        let methods: Vec<ProxyMethod> = self
            .methods
            .iter()
            .map(|m| ProxyMethod {
                ident: m.ident.clone(),
                wire: m.wire.clone(),
                doc: m.doc.clone(),
                args: m
                    .inputs()
                    .map(|prm| ProxyArg {
                        ident: prm.ident.clone(),
                        ty: prm.arg_ty.clone(),
                        tag: prm.tag,
                        wire: prm.wire.clone(),
                        tup_type: match &prm.value.text {
                            TypeText::Static { tup, .. } => quote!(#tup),
                            TypeText::OfType => {
                                let ty = &prm.value.ty;
                                quote!(&<#ty as #p::IdlType>::tup_type())
                            }
                        },
                    })
                    .collect(),
                results: m
                    .ret
                    .iter()
                    .map(|v| (v.ty.clone(), 0, String::new()))
                    .chain(m.outs().map(|prm| (prm.value.ty.clone(), prm.tag, prm.wire.clone())))
                    .collect(),
                route_key: m.inputs().find(|prm| prm.routekey).map(|prm| prm.ident.clone()),
                protobuf: self.format == WireFormat::Protobuf,
            })
            .collect();
        codegen::proxy(ident, doc, &methods, checks)
    }
}
