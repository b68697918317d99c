//! Loading (`#include`), name resolution and semantic checks: AST → [`model::Spec`].
//! Every problem is recorded and checking goes on, so one run reports all of them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::ast;
use super::error::{IdlError, Pos};
use super::model::{self, QualName, Type, Value};
use super::{lexer, parser};

/// Where `.tars` text comes from (the file system, or memory in tests).
/// Where `.tars` files are read from (the file system, or memory for tests and fuzzing).
pub trait Source {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// The file system.
#[derive(Debug, Clone, Copy)]
pub struct FileSystem;

impl Source for FileSystem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Options of one compilation that change what the IDL may say (what to generate is
/// `gen::Parts`).
/// How strictly names are checked.
#[derive(Clone, Copy, Default, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Accept names that start with `tars` (tars2cpp's `--with-tars`), for the framework's
    /// own IDL.
    pub with_tars: bool,
}

/// Loads `root` and everything it includes, then resolves and checks it all.
/// `display` is how the root file is named in errors (the path the user wrote).
pub(super) fn load(source: &dyn Source, root: &Path, display: &str, options: Options) -> (model::Spec, Vec<IdlError>) {
    let mut loader = Loader {
        source,
        files: Vec::new(),
        asts: Vec::new(),
        by_path: HashMap::new(),
        errors: Vec::new(),
    };
    loader.load_file(root, display.to_string(), None, &mut Vec::new());
    let Loader {
        files,
        asts,
        mut errors,
        ..
    } = loader;
    let spec = Resolver::new(&asts, &mut errors, options).run(files);
    errors.sort_by_key(|e| e.pos);
    errors.dedup();
    (spec, errors)
}

struct Loader<'s> {
    source: &'s dyn Source,
    files: Vec<(PathBuf, String)>,
    asts: Vec<ast::File>,
    by_path: HashMap<PathBuf, usize>,
    errors: Vec<IdlError>,
}

impl Loader<'_> {
    /// Loads one file (after its includes, so definitions come before uses) unless it is
    /// loaded already. `stack` holds the files being loaded, to detect cycles.
    fn load_file(&mut self, path: &Path, display: String, from: Option<Pos>, stack: &mut Vec<(PathBuf, String)>) {
        let key = normalize(path);
        if let Some(i) = stack.iter().position(|(p, _)| *p == key) {
            let chain: Vec<&str> = stack[i..]
                .iter()
                .map(|(_, d)| d.as_str())
                .chain([display.as_str()])
                .collect();
            self.errors.push(IdlError::new(
                from.unwrap_or_default(),
                format!("include cycle: {}", chain.join(" -> ")),
            ));
            return;
        }
        if self.by_path.contains_key(&key) {
            return;
        }
        let text = match self.source.read(&key) {
            Ok(t) => t,
            Err(e) => {
                let msg = match from {
                    Some(_) => format!("cannot read '{display}': {}", io_reason(&e)),
                    None => format!(
                        "cannot read '{display}': {} (looked for {}; the path is relative to the crate's CARGO_MANIFEST_DIR)",
                        io_reason(&e),
                        key.display()
                    ),
                };
                let at = from.unwrap_or(Pos {
                    file: usize::MAX,
                    line: 0,
                    col: 0,
                });
                self.errors.push(IdlError::new(at, msg));
                return;
            }
        };
        let index = self.files.len();
        self.files.push((key.clone(), display.clone()));
        self.asts.push(ast::File {
            includes: Vec::new(),
            modules: Vec::new(),
        });
        self.by_path.insert(key.clone(), index);
        let tokens = lexer::lex(index, &text, &mut self.errors);
        let file = parser::parse(tokens, &mut self.errors);
        stack.push((key.clone(), display.clone()));
        let dir = key.parent().map(Path::to_path_buf).unwrap_or_default();
        let display_dir = Path::new(&display).parent().map(Path::to_path_buf).unwrap_or_default();
        for (inc, pos) in &file.includes {
            let inc_display = display_dir.join(inc).to_string_lossy().into_owned();
            self.load_file(&dir.join(inc), inc_display, Some(*pos), stack);
        }
        stack.pop();
        self.asts[index] = file;
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => e.to_string(),
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (the file may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Struct,
    Enum,
    Const,
    Interface,
}

struct Resolver<'a> {
    asts: &'a [ast::File],
    errors: &'a mut Vec<IdlError>,
    /// (module, name) → kind and position of the definition.
    symbols: HashMap<(String, String), (Kind, Pos)>,
    /// Enum members: (module, enum) → [(member, value)].
    enum_values: HashMap<(String, String), Vec<(String, i32)>>,
    /// Items an error was reported in, by (module, name).
    erroneous: HashSet<(String, String)>,
    keys: HashMap<(String, String), Vec<String>>,
    options: Options,
}

impl<'a> Resolver<'a> {
    fn new(asts: &'a [ast::File], errors: &'a mut Vec<IdlError>, options: Options) -> Self {
        Resolver {
            asts,
            errors,
            symbols: HashMap::new(),
            enum_values: HashMap::new(),
            erroneous: HashSet::new(),
            keys: HashMap::new(),
            options,
        }
    }

    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.errors.push(IdlError::new(pos, msg));
    }

    /// tars2cpp reserves names starting with `tars` (case-sensitive) for the framework; it does
    /// not check method names.
    fn check_name(&mut self, id: &ast::Ident, what: &str) {
        if !self.options.with_tars && id.name.starts_with("tars") {
            self.err(
                id.pos,
                format!(
                    "{what} '{}' starts with 'tars': names beginning with 'tars' are reserved for the framework",
                    id.name
                ),
            );
        }
    }

    fn run(mut self, files: Vec<(PathBuf, String)>) -> model::Spec {
        let asts = self.asts;
        // Pass 1: declare every item and compute enum values, in load order.
        for file in asts {
            for m in &file.modules {
                for item in &m.items {
                    let (name, kind) = match item {
                        ast::Item::Struct(s) => (&s.name, Kind::Struct),
                        ast::Item::Enum(e) => (&e.name, Kind::Enum),
                        ast::Item::Const(c) => (&c.name, Kind::Const),
                        ast::Item::Interface(i) => (&i.name, Kind::Interface),
                        ast::Item::Key(_) => continue,
                    };
                    let k = (m.name.name.clone(), name.name.clone());
                    if let Some((_, prev)) = self.symbols.get(&k) {
                        let prev = *prev;
                        self.err(
                            name.pos,
                            format!(
                                "'{}' is already defined in module {} (at line {})",
                                name.name, m.name.name, prev.line
                            ),
                        );
                        continue;
                    }
                    self.symbols.insert(k, (kind, name.pos));
                    if let ast::Item::Enum(e) = item {
                        let before = self.errors.len();
                        let values = self.enum_members(e);
                        if self.errors.len() > before {
                            self.erroneous.insert((m.name.name.clone(), e.name.name.clone()));
                        }
                        self.enum_values
                            .insert((m.name.name.clone(), e.name.name.clone()), values);
                    }
                }
            }
        }
        // key[] before any type is resolved, so map keys anywhere can check their structs.
        for file in asts {
            for m in &file.modules {
                for item in &m.items {
                    if let ast::Item::Key(k) = item {
                        let before = self.errors.len();
                        self.key(&m.name.name, m, k);
                        if self.errors.len() > before {
                            self.erroneous.insert((m.name.name.clone(), k.struct_name.name.clone()));
                        }
                    }
                }
            }
        }
        // Pass 2: resolve and check, merging same-named modules in order of appearance.
        let mut modules: Vec<model::Module> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for file in asts {
            for m in &file.modules {
                self.check_name(&m.name, "module");
                let i = *index.entry(m.name.name.clone()).or_insert_with(|| {
                    modules.push(model::Module {
                        name: m.name.name.clone(),
                        doc: Vec::new(),
                        structs: Vec::new(),
                        enums: Vec::new(),
                        consts: Vec::new(),
                        interfaces: Vec::new(),
                    });
                    modules.len() - 1
                });
                modules[i].doc.extend(m.doc.iter().cloned());
                self.module(m, &mut modules[i]);
            }
        }
        let before = self.errors.len();
        let cycles = self.check_recursion(&modules);
        if self.errors.len() > before {
            for m in &mut modules {
                for st in &mut m.structs {
                    if cycles.contains(&QualName {
                        module: m.name.clone(),
                        name: st.name.clone(),
                    }) {
                        st.had_errors = true;
                    }
                }
            }
        }
        model::Spec { files, modules }
    }

    fn enum_members(&mut self, e: &ast::Enum) -> Vec<(String, i32)> {
        self.check_name(&e.name, "enum");
        let mut out: Vec<(String, i32)> = Vec::new();
        let mut next: i128 = 0;
        for m in &e.members {
            self.check_name(&m.name, "enum member");
            let value = match &m.value {
                None => next,
                Some(lit) => match &lit.kind {
                    ast::LitKind::Int(v) => *v,
                    ast::LitKind::Name(path) if path.len() == 1 => match out.iter().find(|(n, _)| *n == path[0].name) {
                        Some((_, v)) => *v as i128,
                        None => {
                            self.err(
                                lit.pos,
                                format!("'{}' is not an earlier member of enum {}", path[0].name, e.name.name),
                            );
                            next
                        }
                    },
                    _ => {
                        self.err(lit.pos, "an enum value is an integer or the name of an earlier member");
                        next
                    }
                },
            };
            let value = match i32::try_from(value) {
                Ok(v) => v,
                Err(_) => {
                    self.err(
                        m.name.pos,
                        format!("enum value {value} of '{}' does not fit in int32", m.name.name),
                    );
                    0
                }
            };
            if out.iter().any(|(n, _)| *n == m.name.name) {
                self.err(
                    m.name.pos,
                    format!("duplicate enum member '{}' in enum {}", m.name.name, e.name.name),
                );
            } else {
                out.push((m.name.name.clone(), value));
            }
            next = value as i128 + 1;
        }
        if e.members.is_empty() {
            self.err(e.name.pos, format!("enum {} has no members", e.name.name));
        }
        out
    }

    fn module(&mut self, m: &ast::Module, out: &mut model::Module) {
        let module = m.name.name.as_str();
        for item in &m.items {
            match item {
                ast::Item::Struct(s) => {
                    let before = self.errors.len();
                    if let Some(mut st) = self.struct_(module, s) {
                        st.had_errors = self.errors.len() > before
                            || self.erroneous.contains(&(module.to_string(), s.name.name.clone()));
                        out.structs.push(st);
                    }
                }
                ast::Item::Enum(e) => {
                    let values = self
                        .enum_values
                        .get(&(module.to_string(), e.name.name.clone()))
                        .cloned();
                    if let Some(values) = values {
                        out.enums.push(model::Enum {
                            had_errors: self.erroneous.contains(&(module.to_string(), e.name.name.clone())),
                            name: e.name.name.clone(),
                            doc: e.doc.clone(),
                            members: values
                                .into_iter()
                                .map(|(name, value)| {
                                    let doc = e
                                        .members
                                        .iter()
                                        .find(|x| x.name.name == name)
                                        .map(|x| x.doc.clone())
                                        .unwrap_or_default();
                                    model::EnumMember { name, value, doc }
                                })
                                .collect(),
                        });
                    }
                }
                ast::Item::Const(c) => {
                    self.check_name(&c.name, "constant");
                    let ty = self.type_(module, &c.ty);
                    if let Some(ty) = ty {
                        if matches!(ty, Type::Vector(_) | Type::Map(..) | Type::Struct(_)) {
                            self.err(c.ty.pos, format!("a constant cannot have type {}", ty.idl()));
                        } else if let Some(value) = self.value(module, &ty, &c.value) {
                            out.consts.push(model::Const {
                                name: c.name.name.clone(),
                                ty,
                                value,
                                doc: c.doc.clone(),
                            });
                        }
                    }
                }
                ast::Item::Interface(i) => out.interfaces.push(self.interface(module, i)),
                ast::Item::Key(_) => {}
            }
        }
    }

    fn key(&mut self, module: &str, m: &ast::Module, k: &ast::Key) {
        let Some(s) = m.items.iter().find_map(|i| match i {
            ast::Item::Struct(s) if s.name.name == k.struct_name.name => Some(s),
            _ => None,
        }) else {
            self.err(
                k.struct_name.pos,
                format!(
                    "key[] names '{}', which is not a struct of module {module}",
                    k.struct_name.name
                ),
            );
            return;
        };
        let mut seen = HashSet::new();
        for f in &k.fields {
            if !seen.insert(f.name.as_str()) {
                self.err(f.pos, format!("'{}' appears twice in key[{}]", f.name, s.name.name));
            }
            match s.fields.iter().find(|x| x.name.name == f.name) {
                None => self.err(f.pos, format!("struct {} has no field '{}'", s.name.name, f.name)),
                Some(field) => {
                    if let Err(why) = self.orderable(module, &field.ty.kind) {
                        self.err(f.pos, format!("key field '{}' cannot be ordered: {why}", f.name));
                    }
                }
            }
        }
        let entry = (module.to_string(), s.name.name.clone());
        if self.keys.contains_key(&entry) {
            self.err(
                k.struct_name.pos,
                format!("struct {} has more than one key[]", s.name.name),
            );
        }
        self.keys
            .insert(entry, k.fields.iter().map(|f| f.name.clone()).collect());
    }

    fn struct_(&mut self, module: &str, s: &ast::Struct) -> Option<model::Struct> {
        self.check_name(&s.name, "struct");
        if s.fields.is_empty() && !s.had_syntax_errors {
            self.err(
                s.name.pos,
                format!("struct {} has no fields (TARS structs need at least one)", s.name.name),
            );
        }
        let mut tags: HashMap<i128, &str> = HashMap::new();
        let mut names: HashMap<&str, Pos> = HashMap::new();
        let mut rust_names: HashMap<String, &str> = HashMap::new();
        let mut fields = Vec::new();
        for f in &s.fields {
            self.check_name(&f.name, "field");
            let (tag, tag_pos) = f.tag;
            if !(0..=255).contains(&tag) {
                self.err(
                    tag_pos,
                    format!(
                        "tag {tag} of field '{}' is out of range: TARS tags are 0..=255",
                        f.name.name
                    ),
                );
            } else if let Some(prev) = tags.get(&tag) {
                self.err(
                    tag_pos,
                    format!(
                        "duplicate tag {tag}: fields '{prev}' and '{}' of struct {}",
                        f.name.name, s.name.name
                    ),
                );
            } else {
                tags.insert(tag, &f.name.name);
            }
            if let Some(prev) = names.get(f.name.name.as_str()) {
                self.err(
                    f.name.pos,
                    format!(
                        "duplicate field name '{}' in struct {} (first at line {})",
                        f.name.name, s.name.name, prev.line
                    ),
                );
            } else {
                names.insert(&f.name.name, f.name.pos);
                let rust = super::names::snake_case(&f.name.name);
                if let Some(other) = rust_names.insert(rust.clone(), &f.name.name) {
                    self.err(
                        f.name.pos,
                        format!("fields '{other}' and '{}' both become `{rust}` in Rust", f.name.name),
                    );
                }
            }
            let Some(ty) = self.type_(module, &f.ty) else {
                continue;
            };
            let default = match &f.default {
                None => None,
                Some(lit) => match &ty {
                    Type::Vector(_) | Type::Map(..) | Type::Struct(_) => {
                        let what = match ty {
                            Type::Vector(_) => "vector",
                            Type::Map(..) => "map",
                            _ => "struct",
                        };
                        self.err(
                            lit.pos,
                            format!(
                                "field '{}' is a {what}: only scalar, string and enum fields take a default",
                                f.name.name
                            ),
                        );
                        None
                    }
                    _ => self.value(module, &ty, lit),
                },
            };
            if (0..=255).contains(&tag) {
                fields.push(model::Field {
                    tag: tag as u8,
                    required: f.required,
                    ty,
                    name: f.name.name.clone(),
                    default,
                    doc: f.doc.clone(),
                });
            }
        }
        let key = self.keys.get(&(module.to_string(), s.name.name.clone())).cloned();
        Some(model::Struct {
            name: s.name.name.clone(),
            doc: s.doc.clone(),
            fields,
            key,
            pos: s.name.pos,
            had_errors: false,
        })
    }

    fn interface(&mut self, module: &str, i: &ast::Interface) -> model::Interface {
        self.check_name(&i.name, "interface");
        let mut methods = Vec::new();
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for m in &i.methods {
            if let Some(prev) = seen.get(m.name.name.as_str()) {
                self.err(
                    m.name.pos,
                    format!(
                        "method '{}' is already defined in interface {} (at line {}); TARS has no overloading",
                        m.name.name, i.name.name, prev.line
                    ),
                );
                continue;
            }
            seen.insert(&m.name.name, m.name.pos);
            let ret = m.ret.as_ref().and_then(|t| self.type_(module, t));
            let mut params = Vec::new();
            let mut names = HashSet::new();
            for (idx, p) in m.params.iter().enumerate() {
                self.check_name(&p.name, "parameter");
                if !names.insert(p.name.name.as_str()) {
                    self.err(
                        p.name.pos,
                        format!("duplicate parameter '{}' in method {}", p.name.name, m.name.name),
                    );
                }
                if p.name.name == m.name.name {
                    self.err(
                        p.name.pos,
                        format!("parameter '{}' has the name of its method", p.name.name),
                    );
                }
                if p.out && p.routekey {
                    self.err(
                        p.name.pos,
                        format!("routekey parameter '{}' cannot be an out parameter", p.name.name),
                    );
                }
                if idx >= 255 {
                    self.err(p.name.pos, "a method has at most 255 parameters");
                    break;
                }
                if let Some(ty) = self.type_(module, &p.ty) {
                    params.push(model::Param {
                        name: p.name.name.clone(),
                        ty,
                        out: p.out,
                        routekey: p.routekey,
                        tag: idx as u8 + 1,
                    });
                }
            }
            methods.push(model::Method {
                name: m.name.name.clone(),
                ret,
                params,
                doc: m.doc.clone(),
            });
        }
        model::Interface {
            name: i.name.name.clone(),
            doc: i.doc.clone(),
            methods,
        }
    }

    fn type_(&mut self, module: &str, t: &ast::TypeExpr) -> Option<Type> {
        Some(match &t.kind {
            ast::TypeKind::Bool => Type::Bool,
            ast::TypeKind::Byte => Type::Byte,
            ast::TypeKind::Short => Type::Short,
            ast::TypeKind::Int => Type::Int,
            ast::TypeKind::Long => Type::Long,
            ast::TypeKind::Float => Type::Float,
            ast::TypeKind::Double => Type::Double,
            ast::TypeKind::String => Type::String,
            ast::TypeKind::UByte => Type::UByte,
            ast::TypeKind::UShort => Type::UShort,
            ast::TypeKind::UInt => Type::UInt,
            ast::TypeKind::Vector(inner) => Type::Vector(Box::new(self.type_(module, inner)?)),
            ast::TypeKind::Map(k, v) => {
                let kt = self.type_(module, k);
                let vt = self.type_(module, v);
                let kt = kt?;
                if let Err(why) = self.orderable(module, &k.kind) {
                    self.err(k.pos, format!("{} cannot be a map key: {why}", kt.idl()));
                    return None;
                }
                Type::Map(Box::new(kt), Box::new(vt?))
            }
            ast::TypeKind::Named(path) => {
                let (m, name) = match path.as_slice() {
                    [n] => (module.to_string(), n),
                    [m, n] => (m.name.clone(), n),
                    _ => {
                        self.err(t.pos, "a type name is `Name` or `Module::Name`");
                        return None;
                    }
                };
                let shown = path.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("::");
                match self.symbols.get(&(m.clone(), name.name.clone())) {
                    Some((Kind::Struct, _)) => Type::Struct(QualName {
                        module: m,
                        name: name.name.clone(),
                    }),
                    Some((Kind::Enum, _)) => Type::Enum(QualName {
                        module: m,
                        name: name.name.clone(),
                    }),
                    Some((_, _)) => {
                        self.err(t.pos, format!("'{shown}' is not a type"));
                        return None;
                    }
                    None => {
                        let hint = self.type_hint(&m, &name.name, path.len() == 1);
                        self.err(t.pos, format!("unknown type '{shown}'{hint}"));
                        return None;
                    }
                }
            }
        })
    }

    /// "did you mean …" for an unknown type: a builtin or a type of another module.
    fn type_hint(&self, module: &str, name: &str, unqualified: bool) -> String {
        const BUILTINS: &[&str] = &[
            "bool", "byte", "short", "int", "long", "float", "double", "string", "vector", "map",
        ];
        if let Some(b) = BUILTINS
            .iter()
            .find(|b| edit_distance(b, name) <= 1 || b.eq_ignore_ascii_case(name))
        {
            return format!(" (did you mean '{b}'?)");
        }
        if unqualified {
            let mut elsewhere: Vec<&String> = self
                .symbols
                .iter()
                .filter(|((m, n), (k, _))| n == name && m != module && matches!(k, Kind::Struct | Kind::Enum))
                .map(|((m, _), _)| m)
                .collect();
            elsewhere.sort();
            if let Some(m) = elsewhere.first() {
                return format!(" (did you mean '{m}::{name}'?)");
            }
        }
        let mut close: Vec<&String> = self
            .symbols
            .iter()
            .filter(|((m, n), (k, _))| {
                m == module
                    && matches!(k, Kind::Struct | Kind::Enum)
                    && edit_distance(n, name) <= (name.len() / 3).max(1)
            })
            .map(|((_, n), _)| n)
            .collect();
        close.sort();
        close
            .first()
            .map(|n| format!(" (did you mean '{n}'?)"))
            .unwrap_or_default()
    }

    /// Checks a literal against the type it initializes.
    fn value(&mut self, module: &str, ty: &Type, lit: &ast::Literal) -> Option<Value> {
        let wrong = |this: &mut Self, what: &str| {
            this.err(lit.pos, format!("{} is not a valid {} value", describe(lit), what));
            None
        };
        let int_range = |t: &Type| -> Option<(i128, i128)> {
            Some(match t {
                Type::Byte => (i8::MIN.into(), i8::MAX.into()),
                Type::Short => (i16::MIN.into(), i16::MAX.into()),
                Type::Int => (i32::MIN.into(), i32::MAX.into()),
                Type::Long => (i64::MIN.into(), i64::MAX.into()),
                Type::UByte => (0, u8::MAX.into()),
                Type::UShort => (0, u16::MAX.into()),
                Type::UInt => (0, u32::MAX.into()),
                _ => return None,
            })
        };
        match (ty, &lit.kind) {
            (Type::Bool, ast::LitKind::Bool(b)) => Some(Value::Bool(*b)),
            (Type::Bool, _) => wrong(self, "bool (true or false)"),
            (t, ast::LitKind::Int(v)) if int_range(t).is_some() => {
                let (lo, hi) = int_range(t).unwrap_or((0, 0));
                if (lo..=hi).contains(v) {
                    Some(Value::Int(*v))
                } else {
                    self.err(lit.pos, format!("{v} is out of range for {} ({lo}..={hi})", t.idl()));
                    None
                }
            }
            (t, _) if int_range(t).is_some() => wrong(self, &t.idl()),
            (Type::Float | Type::Double, ast::LitKind::Int(v)) => Some(Value::Float(*v as f64)),
            (Type::Float | Type::Double, ast::LitKind::Float(f)) => Some(Value::Float(*f)),
            (t @ (Type::Float | Type::Double), _) => wrong(self, &t.idl()),
            (Type::String, ast::LitKind::Str(s)) => Some(Value::Str(s.clone())),
            (Type::String, _) => wrong(self, "string"),
            (Type::Enum(q), ast::LitKind::Name(path)) => {
                let member = &path[path.len() - 1].name;
                let prefix_ok = match path.len() {
                    1 => true,
                    2 => path[0].name == q.name || path[0].name == q.module,
                    3 => path[0].name == q.module && path[1].name == q.name,
                    _ => false,
                };
                let members = self.enum_values.get(&(q.module.clone(), q.name.clone()));
                if prefix_ok && members.is_some_and(|ms| ms.iter().any(|(n, _)| n == member)) {
                    Some(Value::EnumMember {
                        enum_name: q.clone(),
                        member: member.clone(),
                    })
                } else {
                    self.err(lit.pos, format!("'{member}' is not a member of enum {}", q.name));
                    None
                }
            }
            (Type::Enum(q), ast::LitKind::Int(v)) => {
                let found = self
                    .enum_values
                    .get(&(q.module.clone(), q.name.clone()))
                    .and_then(|ms| ms.iter().find(|(_, x)| *x as i128 == *v).map(|(n, _)| n.clone()));
                match found {
                    Some(member) => Some(Value::EnumMember {
                        enum_name: q.clone(),
                        member,
                    }),
                    None => {
                        self.err(
                            lit.pos,
                            format!("{v} is not the value of any member of enum {}", q.name),
                        );
                        None
                    }
                }
            }
            (Type::Enum(q), _) => wrong(self, &format!("enum {}", q.name)),
            (t, _) => {
                let _ = module;
                wrong(self, &t.idl())
            }
        }
    }

    /// Whether values of `t` can be map keys or key[] fields: Rust maps are ordered, so every
    /// part needs a total order (no floats; structs need their own key[]).
    fn orderable(&self, module: &str, t: &ast::TypeKind) -> Result<(), String> {
        match t {
            ast::TypeKind::Float | ast::TypeKind::Double => {
                Err("floats have no total order in Rust; use an integer or string".into())
            }
            ast::TypeKind::Vector(inner) => self.orderable(module, &inner.kind),
            ast::TypeKind::Map(k, v) => self.orderable(module, &k.kind).and(self.orderable(module, &v.kind)),
            ast::TypeKind::Named(path) => {
                let (m, n) = match path.as_slice() {
                    [n] => (module.to_string(), n.name.clone()),
                    [m, n] => (m.name.clone(), n.name.clone()),
                    _ => return Ok(()),
                };
                match self.symbols.get(&(m.clone(), n.clone())) {
                    Some((Kind::Struct, _)) if !self.keys.contains_key(&(m, n.clone())) => {
                        Err(format!("struct {n} has no key[{n}, ...] to order it"))
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// A struct that contains itself by value (not through a vector or map) has no finite
    /// size; TarsCpp rejects it too. Each cycle is reported once, with its path.
    fn check_recursion(&mut self, modules: &[model::Module]) -> HashSet<QualName> {
        let mut edges: HashMap<QualName, Vec<(String, QualName)>> = HashMap::new();
        let mut order: Vec<(QualName, Pos)> = Vec::new();
        for m in modules {
            for s in &m.structs {
                let q = QualName {
                    module: m.name.clone(),
                    name: s.name.clone(),
                };
                let deps = s
                    .fields
                    .iter()
                    .filter_map(|f| match &f.ty {
                        Type::Struct(t) => Some((f.name.clone(), t.clone())),
                        _ => None,
                    })
                    .collect();
                edges.insert(q.clone(), deps);
                order.push((q, s.pos));
            }
        }
        order.sort_by_key(|(_, pos)| *pos);
        let mut reported: HashSet<QualName> = HashSet::new();
        for (start, pos) in &order {
            if reported.contains(start) {
                continue;
            }
            // Depth-first search for a path back to `start`: (struct, field taken).
            let mut path: Vec<(QualName, String)> = Vec::new();
            let mut visited = HashSet::new();
            if find_cycle(&edges, start, start, &mut path, &mut visited) {
                let mut text = start.name.clone();
                for (q, field) in &path {
                    text = format!("{text}.{field} -> {}", q.name);
                }
                reported.extend(path.iter().map(|(q, _)| q.clone()));
                self.errors.push(IdlError::new(
                    *pos,
                    format!("struct {} contains itself: {text}; use a vector to nest it", start.name),
                ));
            }
        }
        reported
    }
}

fn find_cycle(
    edges: &HashMap<QualName, Vec<(String, QualName)>>,
    start: &QualName,
    cur: &QualName,
    path: &mut Vec<(QualName, String)>,
    visited: &mut HashSet<QualName>,
) -> bool {
    for (field, next) in edges.get(cur).map(Vec::as_slice).unwrap_or_default() {
        path.push((next.clone(), field.clone()));
        if next == start || (visited.insert(next.clone()) && find_cycle(edges, start, next, path, visited)) {
            return true;
        }
        path.pop();
    }
    false
}

fn describe(lit: &ast::Literal) -> String {
    match &lit.kind {
        ast::LitKind::Int(v) => v.to_string(),
        ast::LitKind::Float(f) => f.to_string(),
        ast::LitKind::Str(s) => format!("\"{s}\""),
        ast::LitKind::Bool(b) => b.to_string(),
        ast::LitKind::Name(p) => format!("'{}'", p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("::")),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}
