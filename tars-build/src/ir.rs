//! The typed, validated description of TARS items that codegen consumes. Front-ends
//! (`derive`, and the IDL compiler) build it; codegen never sees syn attributes or IDL text.

use proc_macro2::{Ident, TokenStream};

/// A struct with tagged fields.
pub(crate) struct Struct {
    /// Rust name.
    pub ident: Ident,
    /// Generics of a derive input, passed through unchanged.
    pub generics: syn::Generics,
    /// TARS name (`Module.Struct` for IDL structs).
    pub wire_name: String,
    /// Fields in declaration order (codegen sorts by tag).
    pub fields: Vec<Field>,
    /// Whether to implement `Default` with the IDL defaults.
    pub impl_default: bool,
    /// Its IDL text when it is known at compile time (structs from `.tars` files); derives
    /// build it at run time from their fields' types.
    pub idl: Option<IdlText>,
}

/// A struct's IDL form, known at compile time.
pub(crate) struct IdlText {
    /// `Module::Name`.
    pub qualified: String,
    /// The definition, `struct Name\n{ … };`.
    pub definition: String,
    /// The Rust types of the structs and enums it refers to, defined before it.
    pub deps: Vec<TokenStream>,
}

/// One struct field.
pub(crate) struct Field {
    /// Rust name.
    pub ident: Ident,
    /// TARS (IDL) name.
    pub wire_name: String,
    /// Wire tag.
    pub tag: u8,
    /// `require` (absent is an error) or `optional`.
    pub required: bool,
    /// Rust type.
    pub ty: syn::Type,
    /// Explicit IDL default.
    pub default: Option<DefaultValue>,
}

/// An explicit default value.
pub(crate) enum DefaultValue {
    /// A string literal: converted with `From<&str>`, compared as `&str`.
    Str(syn::LitStr),
    /// A numeric or bool literal, or an enum path, used as is.
    Expr(TokenStream),
}

/// An enum: int32 values on the wire, for `#[derive(TarsEnum)]` and IDL enums alike.
pub(crate) struct Enum {
    /// Rust name.
    pub ident: Ident,
    /// TARS name.
    pub wire_name: String,
    /// Unit variants and their values (an expression of type `i32`).
    pub variants: Vec<(Ident, TokenStream)>,
    /// A `Variant(i32)` that keeps values no variant declares (IDL enums' `Undeclared`);
    /// without one, such a value is a decode error.
    pub catch_all: Option<Ident>,
}

impl DefaultValue {
    /// How the default reads in a `.tars` file: a quoted string, a literal, or an enum
    /// member's name.
    pub(crate) fn idl_text(&self) -> String {
        match self {
            DefaultValue::Str(s) => format!("{:?}", s.value()),
            DefaultValue::Expr(tokens) => {
                let text = tokens.to_string().replace(' ', "");
                let text = text.rsplit("::").next().unwrap_or(&text).to_string();
                // Typed literals from include_tars! (`5i32`, `0.5f32`) drop their suffix.
                if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                    strip_suffix(&text)
                } else {
                    text
                }
            }
        }
    }
}

/// `5i32` → `5`, `0.5f32` → `0.5`, `-1i64` → `-1`.
fn strip_suffix(lit: &str) -> String {
    for suffix in [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "f32", "f64",
    ] {
        if let Some(s) = lit.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    lit.to_string()
}

/// `Module.Name` → `Name`.
pub(crate) fn last_segment(wire: &str) -> &str {
    wire.rsplit('.').next().unwrap_or(wire)
}
