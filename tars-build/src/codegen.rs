//! IR → Rust. Generated code is meant to be read (`cargo expand`): each impl is a few lines
//! that call helpers in `tars::__private`, never inlined loops.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ir::{DefaultValue, Enum, Field, Struct};

/// The codec impls (and `Default`, when asked) for a struct.
pub(crate) fn struct_impls(s: &Struct, krate: &syn::Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &s.ident;
    let mut fields: Vec<&Field> = s.fields.iter().collect();
    fields.sort_by_key(|f| f.tag);
    let mut generics = with_codec_bounds(&s.generics, &p);
    if s.idl.is_none() {
        // Each field's type must be a TARS type, one bound spanned on the field: a wrong
        // type is one error there, the same in every impl (rustc reports it once), and the
        // impls' bodies raise no more.
        let where_clause = generics.make_where_clause();
        let mentions_self = |ty: &syn::Type| {
            let own = ident.to_string();
            let mut found = false;
            for_each_ident(quote!(#ty), &mut |i| found |= i == own || i == "Self");
            found
        };
        // A recursive field (`children: Vec<Tree>`) would make the bound cyclic.
        for f in fields.iter().filter(|f| !mentions_self(&f.ty)) {
            let bound = tars_type_bound(&f.ty, &p);
            where_clause.predicates.push(syn::parse_quote!(#bound));
        }
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let wire_name = &s.wire_name;

    let encodes = fields.iter().map(|f| encode_field(f, &p));
    // Fields are read in tag order, straight into the struct literal (which evaluates in the
    // order written); each reader's type comes from its field.
    let reads = fields.iter().map(|f| {
        let (name, read) = (&f.ident, decode_field(f, &p));
        quote!(#name: #read)
    });

    let json_impl = struct_json(s, &fields, &p, &generics);
    let idl_impl = struct_idl(s, &fields, &p, &generics);

    let default_impl = s.impl_default.then(|| {
        let inits = s.fields.iter().map(|f| {
            let name = &f.ident;
            let init = default_init(f, &p);
            quote!(#name: #init)
        });
        quote! {
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self {
                    Self { #(#inits,)* }
                }
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_g #p::TarsStruct for #ident #ty_g #where_c {
            const NAME: &'static str = #wire_name;

            fn encode_fields(&self, __buf: &mut #p::BytesMut) {
                #(#encodes)*
            }

            fn decode_fields(__r: &mut #p::Reader<'_>) -> ::core::result::Result<Self, #p::DecodeError> {
                let __s = <Self as #p::TarsStruct>::NAME;
                ::core::result::Result::Ok(Self { #(#reads,)* })
            }
        }

        impl #impl_g #p::TarsEncode for #ident #ty_g #where_c {
            fn encode(&self, tag: u8, buf: &mut #p::BytesMut) {
                #p::encode_struct(self, tag, buf)
            }
        }

        impl #impl_g #p::TarsDecode for #ident #ty_g #where_c {
            fn decode_value(r: &mut #p::Reader<'_>, ty: #p::TypeCode) -> ::core::result::Result<Self, #p::DecodeError> {
                #p::decode_struct(r, ty)
            }
        }

        impl #impl_g #p::TarsType for #ident #ty_g #where_c {}

        #json_impl

        #idl_impl

        #default_impl
    }
}

/// The IDL form: the struct's name and its definition (fields in tag order).
fn struct_idl(s: &Struct, fields: &[&Field], p: &TokenStream, generics: &syn::Generics) -> TokenStream {
    let ident = &s.ident;
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    if let Some(idl) = &s.idl {
        let (qualified, definition, deps) = (&idl.qualified, &idl.definition, &idl.deps);
        let wire = &s.wire_name;
        let (module, name) = wire.split_once('.').unwrap_or(("", wire));
        return quote! {
            impl #impl_g #p::IdlType for #ident #ty_g #where_c {
                fn idl_type() -> ::std::string::String {
                    ::std::string::String::from(#qualified)
                }
                fn tup_type() -> ::std::string::String {
                    ::std::string::String::from(#wire)
                }
                fn define(defs: &mut #p::IdlDefinitions) {
                    if defs.begin(#module, #name) {
                        #(<#deps as #p::IdlType>::define(defs);)*
                        defs.finish(#module, #name, ::std::string::String::from(#definition));
                    }
                }
            }
        };
    }
    let header = format!("struct {}\n{{\n", crate::ir::last_segment(&s.wire_name));
    let lines = fields.iter().map(|f| {
        let (tag, req, wire, ty) = (f.tag, f.required, &f.wire_name, &f.ty);
        let default = match &f.default {
            None => quote!(::core::option::Option::None),
            Some(d) => {
                let text = d.idl_text();
                quote!(::core::option::Option::Some(#text))
            }
        };
        quote!(__text.push_str(&#p::idl_field(#tag, #req, <#ty as #p::IdlType>::idl_type(), #wire, #default));)
    });
    let tys = fields.iter().map(|f| &f.ty);
    quote! {
        impl #impl_g #p::IdlType for #ident #ty_g #where_c {
            fn idl_type() -> ::std::string::String {
                #p::idl_name(<Self as #p::TarsStruct>::NAME)
            }
            fn tup_type() -> ::std::string::String {
                ::std::string::String::from(<Self as #p::TarsStruct>::NAME)
            }
            fn define(defs: &mut #p::IdlDefinitions) {
                let (__m, __n) = #p::split_wire_name(<Self as #p::TarsStruct>::NAME);
                if !defs.begin(__m, __n) {
                    return;
                }
                #(<#tys as #p::IdlType>::define(defs);)*
                let mut __text = ::std::string::String::from(#header);
                #(#lines)*
                __text.push_str("};");
                defs.finish(__m, __n, __text);
            }
        }
    }
}

/// The JSON form (for the JSON protocol): an object keyed by wire (IDL) names; absent
/// fields take their defaults.
fn struct_json(s: &Struct, fields: &[&Field], p: &TokenStream, generics: &syn::Generics) -> TokenStream {
    let ident = &s.ident;
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let wires: Vec<_> = fields.iter().map(|f| &f.wire_name).collect();
    let names: Vec<_> = fields.iter().map(|f| &f.ident).collect();
    let reads = fields.iter().map(|f| {
        let (wire, span) = (&f.wire_name, f.ty.span());
        if f.required {
            respan(quote!(#p::json::require_field(__o, #wire)?), span)
        } else {
            let default = default_fn(f, p);
            respan(quote!(#p::json::field(__o, #wire, #default)?), span)
        }
    });
    quote! {
        impl #impl_g #p::TarsJson for #ident #ty_g #where_c {
            fn to_json(&self) -> #p::JsonValue {
                #p::json::object(::std::vec![#((#wires, #p::TarsJson::to_json(&self.#names))),*])
            }
            fn from_json(__v: &#p::JsonValue) -> ::core::result::Result<Self, #p::JsonError> {
                let __o = #p::json::as_object(__v, <Self as #p::TarsStruct>::NAME)?;
                ::core::result::Result::Ok(Self {
                    #(#names: #reads,)*
                })
            }
        }
    }
}

// Field code carries the span of the field's type, so a missing trait bound is reported at
// the field rather than at the derive.
fn encode_field(f: &Field, p: &TokenStream) -> TokenStream {
    let name = &f.ident;
    let tag = f.tag;
    let span = f.ty.span();
    match (&f.default, f.required) {
        (_, true) => quote_spanned!(span=> #p::TarsEncode::encode(&self.#name, #tag, __buf);),
        (None, false) => quote_spanned!(span=> #p::write_optional(&self.#name, #tag, __buf);),
        (Some(DefaultValue::Str(lit)), false) => {
            quote_spanned!(span=> #p::write_optional_default(&self.#name, #lit, #tag, __buf);)
        }
        (Some(DefaultValue::Expr(expr)), false) => {
            quote_spanned!(span=> #p::write_optional_default(&self.#name, #expr, #tag, __buf);)
        }
    }
}

// Spanned on the field's type: a missing trait is reported at the field.
fn decode_field(f: &Field, p: &TokenStream) -> TokenStream {
    let (tag, wire, span) = (f.tag, &f.wire_name, f.ty.span());
    if f.required {
        respan(quote!(#p::read_require(__r, #tag, __s, #wire)?), span)
    } else {
        let default = default_fn(f, p);
        respan(quote!(#p::read_optional_or(__r, #tag, __s, #wire, #default)?), span)
    }
}

/// What an absent field is set to: a function of no arguments.
fn default_fn(f: &Field, p: &TokenStream) -> TokenStream {
    let (ty, span) = (&f.ty, f.ty.span());
    match &f.default {
        None => {
            // Named through the type, spanned on it: "needs a value for when it is absent"
            // points at the field.
            let path = respan(quote!(#p::FieldDefault), span);
            quote_spanned!(span=> <#ty as #path>::field_default)
        }
        Some(DefaultValue::Str(lit)) => quote!(|| ::core::convert::From::from(#lit)),
        Some(DefaultValue::Expr(expr)) => quote!(|| #expr),
    }
}

fn default_init(f: &Field, p: &TokenStream) -> TokenStream {
    match &f.default {
        None => {
            let call = default_fn(f, p);
            quote!(#call())
        }
        Some(DefaultValue::Str(lit)) => quote!(::core::convert::From::from(#lit)),
        Some(DefaultValue::Expr(expr)) => expr.clone(),
    }
}

/// After an error: impls whose bodies never run (the crate does not compile), so that the
/// real error is not followed by a cascade of missing-trait errors at every use of the type.
pub(crate) fn struct_fallback(s: &Struct, krate: &syn::Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &s.ident;
    let (impl_g, ty_g, where_c) = s.generics.split_for_impl();
    let default_impl = s.impl_default.then(|| {
        quote! {
            impl #impl_g ::core::default::Default for #ident #ty_g #where_c {
                fn default() -> Self { ::core::unreachable!() }
            }
        }
    });
    quote! {
        #default_impl
        impl #impl_g #p::TarsStruct for #ident #ty_g #where_c {
            const NAME: &'static str = "";
            fn encode_fields(&self, _: &mut #p::BytesMut) { ::core::unreachable!() }
            fn decode_fields(_: &mut #p::Reader<'_>) -> ::core::result::Result<Self, #p::DecodeError> { ::core::unreachable!() }
        }
        impl #impl_g #p::TarsEncode for #ident #ty_g #where_c {
            fn encode(&self, _: u8, _: &mut #p::BytesMut) { ::core::unreachable!() }
        }
        impl #impl_g #p::TarsDecode for #ident #ty_g #where_c {
            fn decode_value(_: &mut #p::Reader<'_>, _: #p::TypeCode) -> ::core::result::Result<Self, #p::DecodeError> { ::core::unreachable!() }
        }
        impl #impl_g #p::TarsJson for #ident #ty_g #where_c {
            fn to_json(&self) -> #p::JsonValue { ::core::unreachable!() }
            fn from_json(_: &#p::JsonValue) -> ::core::result::Result<Self, #p::JsonError> { ::core::unreachable!() }
        }
        impl #impl_g #p::IdlType for #ident #ty_g #where_c {
            fn idl_type() -> ::std::string::String { ::core::unreachable!() }
            fn tup_type() -> ::std::string::String { ::core::unreachable!() }
        }
        impl #impl_g #p::TarsType for #ident #ty_g #where_c {}
    }
}

/// The codec impls for an enum, from derives and IDL alike: each variant maps to its value;
/// a value no variant declares goes to the catch-all variant if there is one, and is a
/// decode error otherwise.
pub(crate) fn enum_impls(e: &Enum, krate: &syn::Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &e.ident;
    let wire_name = &e.wire_name;
    let (variants, values): (Vec<&syn::Ident>, Vec<&TokenStream>) = e.variants.iter().map(|(v, x)| (v, x)).unzip();
    let variant_names: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
    let (to_other, from_other) = match &e.catch_all {
        Some(other) => (
            quote!(Self::#other(v) => *v,),
            quote!(::core::option::Option::Some(Self::#other(value))),
        ),
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    quote! {
        impl #p::TarsEnum for #ident {
            const NAME: &'static str = #wire_name;

            fn to_i32(&self) -> i32 {
                match self {
                    #(Self::#variants => #values,)*
                    #to_other
                }
            }

            fn from_i32(value: i32) -> ::core::option::Option<Self> {
                #(if value == #values {
                    return ::core::option::Option::Some(Self::#variants);
                })*
                #from_other
            }
        }

        impl #p::TarsEncode for #ident {
            fn encode(&self, tag: u8, buf: &mut #p::BytesMut) {
                #p::encode_enum(self, tag, buf)
            }
        }

        impl #p::TarsDecode for #ident {
            fn decode_value(r: &mut #p::Reader<'_>, ty: #p::TypeCode) -> ::core::result::Result<Self, #p::DecodeError> {
                #p::decode_enum(r, ty)
            }
        }

        impl #p::DefaultEq<#ident> for #ident {
            fn eq_default(&self, d: #ident) -> bool {
                #p::TarsEnum::to_i32(self) == #p::TarsEnum::to_i32(&d)
            }
        }

        impl #p::IdlType for #ident {
            fn idl_type() -> ::std::string::String {
                #p::idl_name(#wire_name)
            }
            fn tup_type() -> ::std::string::String {
                ::std::string::String::from("int32")
            }
            fn define(defs: &mut #p::IdlDefinitions) {
                let (__m, __n) = #p::split_wire_name(#wire_name);
                if defs.begin(__m, __n) {
                    let __members: ::std::vec::Vec<::std::string::String> = ::std::vec![
                        #(::std::format!("    {} = {}", #variant_names, #values)),*
                    ];
                    defs.finish(__m, __n, ::std::format!("enum {}\n{{\n{}\n}};", __n, __members.join(",\n")));
                }
            }
        }

        impl #p::TarsType for #ident {}

        impl #p::TarsJson for #ident {
            fn to_json(&self) -> #p::JsonValue {
                #p::TarsJson::to_json(&#p::TarsEnum::to_i32(self))
            }
            fn from_json(v: &#p::JsonValue) -> ::core::result::Result<Self, #p::JsonError> {
                let n = <i32 as #p::TarsJson>::from_json(v)?;
                <Self as #p::TarsEnum>::from_i32(n)
                    .ok_or_else(|| #p::JsonError::new(::std::format!("{} is not a value of enum {}", n, #wire_name)))
            }
        }
    }
}

/// Fallback impls for an enum that failed its checks (see [`struct_fallback`]).
pub(crate) fn enum_fallback(e: &Enum, krate: &syn::Path) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &e.ident;
    quote! {
        impl #p::TarsEnum for #ident {
            const NAME: &'static str = "";
            fn to_i32(&self) -> i32 { ::core::unreachable!() }
            fn from_i32(_: i32) -> ::core::option::Option<Self> { ::core::unreachable!() }
        }
        impl #p::DefaultEq<#ident> for #ident {
            fn eq_default(&self, _: #ident) -> bool { ::core::unreachable!() }
        }
        impl #p::TarsEncode for #ident {
            fn encode(&self, _: u8, _: &mut #p::BytesMut) { ::core::unreachable!() }
        }
        impl #p::TarsDecode for #ident {
            fn decode_value(_: &mut #p::Reader<'_>, _: #p::TypeCode) -> ::core::result::Result<Self, #p::DecodeError> { ::core::unreachable!() }
        }
        impl #p::TarsJson for #ident {
            fn to_json(&self) -> #p::JsonValue { ::core::unreachable!() }
            fn from_json(_: &#p::JsonValue) -> ::core::result::Result<Self, #p::JsonError> { ::core::unreachable!() }
        }
        impl #p::IdlType for #ident {
            fn idl_type() -> ::std::string::String { ::core::unreachable!() }
            fn tup_type() -> ::std::string::String { ::core::unreachable!() }
        }
        impl #p::TarsType for #ident {}
    }
}

fn for_each_ident(tokens: TokenStream, f: &mut impl FnMut(String)) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Ident(i) => f(i.to_string()),
            proc_macro2::TokenTree::Group(g) => for_each_ident(g.stream(), f),
            _ => {}
        }
    }
}

/// `ty: TarsType`, spanned on `ty`: added to every impl that uses `ty`, it makes a type with
/// no TARS form one error, there (rustc reports identical errors once).
pub(crate) fn tars_type_bound(ty: &syn::Type, p: &TokenStream) -> TokenStream {
    let span = ty.span();
    let bound = respan(quote!(#p::TarsType), span);
    quote_spanned!(span=> #ty: #bound)
}

/// `tokens` with every span set to `span`, so that an error about them points there.
pub(crate) fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                return proc_macro2::TokenTree::Group(group);
            }
            t.set_span(span);
            t
        })
        .collect()
}

/// Adds `T: TarsEncode + TarsDecode` for each type parameter, as serde does for its traits.
fn with_codec_bounds(generics: &syn::Generics, p: &TokenStream) -> syn::Generics {
    let mut generics = generics.clone();
    let params: Vec<_> = generics.type_params().map(|t| t.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for param in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#param: #p::TarsEncode + #p::TarsDecode));
    }
    generics
}

/// One method of a generated client proxy.
pub(crate) struct ProxyMethod {
    /// Rust name.
    pub ident: syn::Ident,
    /// Wire (IDL) name.
    pub wire: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Input parameters.
    pub args: Vec<ProxyArg>,
    /// The return value (tag 0, empty name) and `out` parameters: Rust type, tag, wire name.
    pub results: Vec<(TokenStream, u8, String)>,
    /// The first `routekey` parameter, if any: its value goes into the request's status as
    /// `STATUS_GRID_KEY` (as tars2cpp's proxies do) and routes the call by hash.
    pub route_key: Option<syn::Ident>,
    /// Protobuf: the one argument is the request message, the one result the response
    /// message, each the whole `sBuffer`; one-way only when the response is `Empty` (`()`).
    pub protobuf: bool,
}

/// An input parameter of a proxy method.
pub(crate) struct ProxyArg {
    /// Rust name.
    pub ident: syn::Ident,
    /// The type the proxy method takes it as (`&str` for a `String`, …).
    pub ty: TokenStream,
    /// Its tag in TARS encoding.
    pub tag: u8,
    /// Its IDL name, which TUP and JSON arguments are keyed by.
    pub wire: String,
    /// An expression of its TUP v2 type name, as a `&str`.
    pub tup_type: TokenStream,
}

/// How a proxy method encodes its arguments in the protocol `protocol` (an expression of
/// `Encoding`): TARS straight into one buffer, as it always has; the others through
/// `tars::protocol::Args`, by name.
fn encode_args(p: &TokenStream, args: &[ProxyArg], protocol: TokenStream) -> TokenStream {
    let (idents, tags): (Vec<&syn::Ident>, Vec<u8>) = args.iter().map(|a| (&a.ident, a.tag)).unzip();
    let tars = if args.is_empty() {
        quote!(#p::Bytes::new())
    } else {
        quote!(#p::encode_exact(|__b| { #(#p::TarsEncode::encode(&#idents, #tags, __b);)* }))
    };
    let puts = args.iter().map(|a| {
        let (ident, tag, wire, tup) = (&a.ident, a.tag, &a.wire, &a.tup_type);
        // `put` takes a reference: arguments taken by reference go as they are.
        let by_ref =
            matches!(a.ty.clone().into_iter().next(), Some(proc_macro2::TokenTree::Punct(c)) if c.as_char() == '&');
        let value = if by_ref { quote!(#ident) } else { quote!(&#ident) };
        quote!(.put(#tag, #wire, #tup, #value))
    });
    quote! {
        match #protocol {
            #p::Encoding::Tars => #tars,
            __protocol => #p::Args::new(__protocol) #(#puts)* .finish(),
        }
    }
}

/// A client proxy type: `method(args)`, `method_with(&CallOptions, args)` (returning the
/// reply's maps too) and `method_oneway(args)` per method. Used for IDL interfaces and for
/// code-first servants alike.
pub(crate) fn proxy(ident: &syn::Ident, doc: &str, methods: &[ProxyMethod], checks: &[TokenStream]) -> TokenStream {
    let p = quote!(::tars::__private);
    let fns = methods.iter().map(|m| {
        let (fn_ident, wire) = (&m.ident, &m.wire);
        let with_ident = quote::format_ident!("{}_with", m.ident.to_string().trim_start_matches("r#"));
        let oneway_ident = quote::format_ident!("{}_oneway", m.ident.to_string().trim_start_matches("r#"));
        let args: Vec<&syn::Ident> = m.args.iter().map(|a| &a.ident).collect();
        let arg_types: Vec<&TokenStream> = m.args.iter().map(|a| &a.ty).collect();
        let types: Vec<&TokenStream> = m.results.iter().map(|(t, _, _)| t).collect();
        let reads: Vec<TokenStream> = m
            .results
            .iter()
            .map(|(t, tag, name)| quote!(__r.read::<#t>(#tag, #name)?))
            .collect();
        let (output, value) = match m.results.len() {
            0 => (quote!(()), quote!(())),
            1 => (types[0].clone(), reads[0].clone()),
            _ => (quote!((#(#types),*)), quote!((#(#reads),*))),
        };
        let read_fields = (!m.results.is_empty() && !m.protobuf)
            .then(|| quote!(let mut __r = self.proxy.reply_fields(#wire, &__rsp);));
        let value = if m.protobuf {
            let ty = &types[0];
            quote!(#p::proto_reply::<#ty>(&self.proxy, #wire, &__rsp)?)
        } else {
            value
        };
        let mut doc_lines: Vec<String> = m.doc.clone();
        if !doc_lines.is_empty() {
            doc_lines.push(String::new());
        }
        doc_lines.push(format!("Calls `{wire}`."));
        let doc_lines = doc_lines.iter().map(|l| format!(" {l}"));
        let with_doc = format!(" Calls `{wire}` with call options; the reply carries the response `context` and `status`.");
        let oneway_doc = format!(" Sends `{wire}` one-way: no reply, no result.");
        let (opts_with, opts_oneway) = match &m.route_key {
            Some(k) => (
                quote!(&#p::route_key(opts, &#k)),
                quote!(&#p::route_key(&#p::CallOptions::default(), &#k)),
            ),
            None => (quote!(opts), quote!(&#p::CallOptions::default())),
        };
        let oneway_wanted = !m.protobuf || m.results.first().is_some_and(|(t, _, _)| t.to_string() == "()");
        let (encode_args, encode_oneway) = if m.protobuf {
            let encode = quote!(#p::proto_encode(#(#args)*));
            (encode.clone(), encode)
        } else {
            (
                encode_args(&p, &m.args, quote!(self.proxy.protocol_for(opts))),
                encode_args(&p, &m.args, quote!(self.proxy.protocol())),
            )
        };
        let oneway = oneway_wanted.then(|| {
            quote! {
                #[doc = #oneway_doc]
                pub async fn #oneway_ident(&self #(, #args: #arg_types)*) -> ::core::result::Result<(), #p::CallError> {
                    self.proxy.invoke_one_way(#wire, #encode_oneway, #opts_oneway).await
                }
            }
        });
        quote! {
            #(#[doc = #doc_lines])*
            pub async fn #fn_ident(&self #(, #args: #arg_types)*) -> ::core::result::Result<#output, #p::CallError> {
                self.#with_ident(&#p::CallOptions::default() #(, #args)*).await.map(|r| r.value)
            }

            #[doc = #with_doc]
            pub async fn #with_ident(&self, opts: &#p::CallOptions #(, #args: #arg_types)*) -> ::core::result::Result<#p::Reply<#output>, #p::CallError> {
                let __rsp = self.proxy.invoke(#wire, #encode_args, #opts_with).await?;
                #read_fields
                let value = #value;
                ::core::result::Result::Ok(__rsp.into_reply(value))
            }

            #oneway
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        pub struct #ident {
            proxy: #p::ServantProxy,
        }

        impl #p::Proxy for #ident {
            fn from_servant_proxy(proxy: #p::ServantProxy) -> Self {
                #ident { proxy }
            }
            fn servant_proxy(&self) -> &#p::ServantProxy {
                &self.proxy
            }
        }

        impl #ident where #(#checks,)* {
            /// The same proxy with another default call timeout.
            pub fn with_timeout(&self, timeout: ::core::time::Duration) -> Self {
                #ident { proxy: self.proxy.clone().with_timeout(timeout) }
            }

            /// Sets the default call timeout.
            pub fn set_timeout(&mut self, timeout: ::core::time::Duration) {
                self.proxy.set_timeout(timeout);
            }

            /// The same proxy speaking another protocol: TARS, TUP (v3, v2) or JSON.
            pub fn with_protocol(&self, protocol: #p::Encoding) -> Self {
                #ident { proxy: self.proxy.clone().with_protocol(protocol) }
            }

            /// Sets the protocol of calls: TARS, TUP (v3, v2) or JSON (TarsGo's
            /// `TarsSetProtocol`, TarsCpp's `tars_set_protocol`).
            pub fn set_protocol(&mut self, protocol: #p::Encoding) {
                self.proxy.set_protocol(protocol);
            }

            #(#fns)*
        }
    }
}

/// `#[tars::servant(hooks)]`: the servant's connection hooks are its own
/// `ConnectionHooks` impl.
pub(crate) fn connection_hooks(p: &TokenStream) -> TokenStream {
    quote! {
        fn connection_hooks(&self) -> ::core::option::Option<&dyn #p::ConnectionHooks> {
            ::core::option::Option::Some(self)
        }
    }
}
