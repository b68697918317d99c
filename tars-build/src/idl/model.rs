//! The resolved, checked model of a set of `.tars` files: every name points at its
//! definition, every value has been checked against its type. Codegen (types now, servant
//! traits and proxies later) works from this and never reparses.

use super::error::Pos;

#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// Files read, in load order (the root first): (absolute path, name shown in errors).
    pub files: Vec<(std::path::PathBuf, String)>,
    pub modules: Vec<Module>,
}

#[derive(Clone, Debug)]
pub(crate) struct Module {
    pub name: String,
    pub doc: Vec<String>,
    pub structs: Vec<Struct>,
    pub enums: Vec<Enum>,
    pub consts: Vec<Const>,
    pub interfaces: Vec<Interface>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct QualName {
    pub module: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Struct {
    pub name: String,
    pub doc: Vec<String>,
    pub fields: Vec<Field>,
    /// `key[S, a, b]`: the fields that order, compare and hash the struct.
    pub key: Option<Vec<String>>,
    pub pos: Pos,
    /// An error was reported in it: only a stand-in is generated, so uses of the type do
    /// not add errors of their own.
    pub had_errors: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub tag: u8,
    pub required: bool,
    pub ty: Type,
    pub name: String,
    pub default: Option<Value>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Type {
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
    Vector(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Struct(QualName),
    Enum(QualName),
}

impl Type {
    /// The type as IDL text, as it is shown to users and in descriptors.
    pub(crate) fn idl(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Byte => "byte".into(),
            Type::Short => "short".into(),
            Type::Int => "int".into(),
            Type::Long => "long".into(),
            Type::Float => "float".into(),
            Type::Double => "double".into(),
            Type::String => "string".into(),
            Type::UByte => "unsigned byte".into(),
            Type::UShort => "unsigned short".into(),
            Type::UInt => "unsigned int".into(),
            Type::Vector(t) => format!("vector<{}>", t.idl()),
            Type::Map(k, v) => format!("map<{}, {}>", k.idl(), v.idl()),
            Type::Struct(q) | Type::Enum(q) => format!("{}::{}", q.module, q.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    EnumMember { enum_name: QualName, member: String },
}

#[derive(Clone, Debug)]
pub(crate) struct Enum {
    pub name: String,
    pub doc: Vec<String>,
    pub members: Vec<EnumMember>,
    /// An error was reported in it (see [`Struct::had_errors`]).
    pub had_errors: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct EnumMember {
    pub name: String,
    pub value: i32,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Const {
    pub name: String,
    pub ty: Type,
    pub value: Value,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Interface {
    pub name: String,
    pub doc: Vec<String>,
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug)]
pub(crate) struct Method {
    pub name: String,
    /// `None` for `void`.
    pub ret: Option<Type>,
    pub params: Vec<Param>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub name: String,
    pub ty: Type,
    pub out: bool,
    pub routekey: bool,
    /// Tag in `sBuffer`: the 1-based position in the parameter list (return value is tag 0).
    pub tag: u8,
}
