//! The syntax tree of one `.tars` file, with positions, before names are resolved.

use super::error::Pos;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Ident {
    pub name: String,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct File {
    pub includes: Vec<(String, Pos)>,
    pub modules: Vec<Module>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Module {
    pub name: Ident,
    pub doc: Vec<String>,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Item {
    Struct(Struct),
    Enum(Enum),
    Const(Const),
    Key(Key),
    Interface(Interface),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Struct {
    pub name: Ident,
    pub doc: Vec<String>,
    pub fields: Vec<Field>,
    /// Some field failed to parse (already reported), so an empty `fields` is not news.
    pub had_syntax_errors: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Field {
    pub tag: (i128, Pos),
    pub required: bool,
    pub ty: TypeExpr,
    pub name: Ident,
    pub default: Option<Literal>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct TypeExpr {
    pub kind: TypeKind,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TypeKind {
    Bool,
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    String,
    UByte,
    UShort,
    UInt,
    Vector(Box<TypeExpr>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    /// `Name` or `Module::Name`.
    Named(Vec<Ident>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Literal {
    pub kind: LitKind,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum LitKind {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    /// An enum member or const name, possibly qualified.
    Name(Vec<Ident>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Enum {
    pub name: Ident,
    pub doc: Vec<String>,
    pub members: Vec<EnumMember>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct EnumMember {
    pub name: Ident,
    pub value: Option<Literal>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Const {
    pub ty: TypeExpr,
    pub name: Ident,
    pub value: Literal,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Key {
    pub struct_name: Ident,
    pub fields: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Interface {
    pub name: Ident,
    pub doc: Vec<String>,
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Method {
    pub name: Ident,
    /// `None` for `void`.
    pub ret: Option<TypeExpr>,
    pub params: Vec<Param>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Param {
    pub out: bool,
    pub routekey: bool,
    pub ty: TypeExpr,
    pub name: Ident,
}
