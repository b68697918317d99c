//! Recursive-descent parser for one file. After a syntax error it skips to the end of the
//! current field or item and goes on, so every error in the file is reported.

use super::ast::*;
use super::error::{IdlError, Pos};
use super::lexer::{Tok, Token};

pub(super) fn parse(tokens: Vec<Token>, errors: &mut Vec<IdlError>) -> File {
    let mut p = Parser {
        toks: tokens,
        i: 0,
        errors,
    };
    p.file()
}

/// A syntax error has been recorded; unwind to a recovery point.
struct Bail;

type PResult<T> = Result<T, Bail>;

struct Parser<'e> {
    toks: Vec<Token>,
    i: usize,
    errors: &'e mut Vec<IdlError>,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.i + k).min(self.toks.len() - 1)].tok
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn prev_trailing_doc(&self) -> Vec<String> {
        self.i
            .checked_sub(1)
            .map(|i| self.toks[i].trailing_doc.clone())
            .unwrap_or_default()
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s == kw)
    }

    fn is_punct(&self, c: char) -> bool {
        self.peek().tok == Tok::Punct(c)
    }

    fn error<T>(&mut self, pos: Pos, msg: impl Into<String>) -> PResult<T> {
        self.errors.push(IdlError::new(pos, msg));
        Err(Bail)
    }

    /// "expected X, found Y". When Y starts a later line, the X is missing at the end of the
    /// previous line, so that is where the error points (as rustc does for a missing `;`).
    fn unexpected<T>(&mut self, expected: &str) -> PResult<T> {
        let t = self.peek().clone();
        if let Some(prev) = self.i.checked_sub(1).map(|i| self.toks[i].clone()) {
            if prev.end.line < t.pos.line && prev.tok != Tok::Eof {
                return self.error(prev.end, format!("expected {expected} after {}", prev.tok.describe()));
            }
        }
        self.error(t.pos, format!("expected {expected}, found {}", t.tok.describe()))
    }

    fn expect_punct(&mut self, c: char) -> PResult<Pos> {
        if self.is_punct(c) {
            Ok(self.next().pos)
        } else {
            self.unexpected(&format!("'{c}'"))
        }
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<Pos> {
        if self.is_kw(kw) {
            Ok(self.next().pos)
        } else {
            self.unexpected(&format!("'{kw}'"))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek().tok.clone() {
            Tok::Ident(name) if !is_keyword(&name) => {
                let pos = self.next().pos;
                Ok(Ident { name, pos })
            }
            Tok::Ident(name) => {
                let pos = self.peek().pos;
                self.error(pos, format!("expected {what}, found keyword '{name}'"))
            }
            _ => self.unexpected(what),
        }
    }

    /// Skips to just after the next `;` at this nesting level, or to (not past) a `}` that
    /// closes the enclosing block.
    fn recover(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek().tok {
                Tok::Eof => return,
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 && *self.peek_at(1) == Tok::Punct(';') {
                        self.next();
                        self.next();
                        return;
                    }
                }
                Tok::Punct(';') if depth == 0 => {
                    self.next();
                    return;
                }
                _ => {}
            }
            self.next();
        }
    }

    fn file(&mut self) -> File {
        let mut file = File {
            includes: Vec::new(),
            modules: Vec::new(),
        };
        loop {
            match self.peek().tok.clone() {
                Tok::Eof => return file,
                Tok::Include => {
                    let pos = self.next().pos;
                    match self.next().tok {
                        Tok::Str(path) => file.includes.push((path, pos)),
                        other => {
                            let _: PResult<()> = self.error(
                                pos,
                                format!("expected a quoted file name after #include, found {}", other.describe()),
                            );
                        }
                    }
                }
                Tok::Ident(kw) if kw == "module" => match self.module() {
                    Ok(m) => file.modules.push(m),
                    Err(Bail) => self.recover_top_level(),
                },
                _ => {
                    let _: PResult<()> = self.unexpected("'module' or '#include'");
                    self.recover_top_level();
                }
            }
        }
    }

    fn recover_top_level(&mut self) {
        while !matches!(self.peek().tok, Tok::Eof | Tok::Include) && !self.is_kw("module") {
            self.next();
        }
    }

    /// `};` closing a block. A missing `;` is reported but parsing goes on after the `}`.
    fn close_block(&mut self, what: &str) -> PResult<()> {
        self.expect_punct('}')?;
        if self.is_punct(';') {
            self.next();
        } else {
            let pos = self.toks[self.i - 1].end;
            self.errors.push(IdlError::new(
                pos,
                format!("expected ';' after the closing '}}' of {what}"),
            ));
        }
        Ok(())
    }

    /// After an error inside a `{ ... }` item body: skips to the body's closing `}` (and
    /// the `;` after it), so the enclosing module goes on with the next item.
    fn skip_block_rest(&mut self) {
        let mut depth = 1i32;
        loop {
            match self.peek().tok {
                Tok::Eof => return,
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        self.next();
                        if self.is_punct(';') {
                            self.next();
                        }
                        return;
                    }
                }
                _ => {}
            }
            self.next();
        }
    }

    fn module(&mut self) -> PResult<Module> {
        let doc = self.peek().doc.clone();
        self.expect_kw("module")?;
        let name = self.ident("a module name")?;
        self.expect_punct('{')?;
        let mut items = Vec::new();
        loop {
            if self.is_punct('}') || self.peek().tok == Tok::Eof {
                break;
            }
            let start = self.i;
            match self.item() {
                Ok(item) => items.push(item),
                Err(Bail) => {
                    // Inside the item's `{ ... }`? Then skip to its end, not just to a `;`.
                    let opened = self.toks[start..self.i.min(self.toks.len())]
                        .iter()
                        .any(|t| t.tok == Tok::Punct('{'));
                    if opened {
                        self.skip_block_rest();
                    } else {
                        self.recover();
                    }
                }
            }
        }
        self.close_block(&format!("module {}", name.name))?;
        Ok(Module { name, doc, items })
    }

    fn item(&mut self) -> PResult<Item> {
        let Tok::Ident(kw) = self.peek().tok.clone() else {
            return self.unexpected("'struct', 'enum', 'const', 'key' or 'interface'");
        };
        match kw.as_str() {
            "struct" => self.struct_().map(Item::Struct),
            "enum" => self.enum_().map(Item::Enum),
            "const" => self.const_().map(Item::Const),
            "key" => self.key().map(Item::Key),
            "interface" => self.interface().map(Item::Interface),
            "module" => {
                let pos = self.peek().pos;
                self.error(pos, "modules cannot be nested")
            }
            _ => self.unexpected("'struct', 'enum', 'const', 'key' or 'interface'"),
        }
    }

    fn struct_(&mut self) -> PResult<Struct> {
        let doc = self.peek().doc.clone();
        self.expect_kw("struct")?;
        let name = self.ident("a struct name")?;
        self.expect_punct('{')?;
        let mut fields = Vec::new();
        let mut had_syntax_errors = false;
        while !self.is_punct('}') && self.peek().tok != Tok::Eof {
            match self.field() {
                Ok(f) => fields.push(f),
                Err(Bail) => {
                    had_syntax_errors = true;
                    self.recover();
                }
            }
        }
        self.close_block(&format!("struct {}", name.name))?;
        Ok(Struct {
            name,
            doc,
            fields,
            had_syntax_errors,
        })
    }

    fn field(&mut self) -> PResult<Field> {
        let mut doc = self.peek().doc.clone();
        let tag = match self.peek().tok.clone() {
            Tok::Int(n) => (n, self.next().pos),
            Tok::Punct('-') if matches!(self.peek_at(1), Tok::Int(_)) => {
                let pos = self.next().pos;
                let Tok::Int(n) = self.next().tok else {
                    unreachable!("checked above")
                };
                (-n, pos)
            }
            _ => return self.unexpected("a field tag (an integer)"),
        };
        let required = if self.is_kw("require") {
            self.next();
            true
        } else if self.is_kw("optional") {
            self.next();
            false
        } else {
            return self.unexpected("'require' or 'optional'");
        };
        let mut ty = self.type_()?;
        // TarsCpp's C++-only sizes, which do not change the wire: `string:N` and
        // `vector<T>:N` cap a length, `byte *name` is a byte vector, `T name[N]` is a
        // vector of N elements, `T name:N` is accepted and ignored.
        if self.is_punct(':') {
            self.next();
            self.array_size()?;
            if !matches!(ty.kind, TypeKind::String | TypeKind::Vector(_)) {
                return self.error(ty.pos, "only string or vector can have a fixed size ('type:N')");
            }
        } else if self.is_punct('*') {
            self.next();
            if ty.kind != TypeKind::Byte {
                return self.error(ty.pos, "only 'byte *' can be a pointer type");
            }
            ty = TypeExpr {
                kind: TypeKind::Vector(Box::new(ty.clone())),
                pos: ty.pos,
            };
        }
        let name = self.ident("a field name")?;
        if self.is_punct('[') {
            self.next();
            self.array_size()?;
            self.expect_punct(']')?;
            ty = TypeExpr {
                kind: TypeKind::Vector(Box::new(ty.clone())),
                pos: ty.pos,
            };
        } else if self.is_punct(':') {
            self.next();
            self.array_size()?;
        }
        let default = if self.is_punct('=') {
            self.next();
            Some(self.literal()?)
        } else {
            None
        };
        self.expect_punct(';')?;
        doc.extend(self.prev_trailing_doc());
        Ok(Field {
            tag,
            required,
            ty,
            name,
            default,
            doc,
        })
    }

    /// The `N` of a C++ fixed size: 1 to 1M, as tars2cpp checks.
    fn array_size(&mut self) -> PResult<i128> {
        match self.peek().tok.clone() {
            Tok::Int(n) if (1..1_000_000).contains(&n) => {
                self.next();
                Ok(n)
            }
            Tok::Int(n) => {
                let pos = self.peek().pos;
                self.error(pos, format!("fixed size {n} is out of range (1 to 999999)"))
            }
            _ => self.unexpected("a size (an integer)"),
        }
    }

    fn type_(&mut self) -> PResult<TypeExpr> {
        let pos = self.peek().pos;
        let Tok::Ident(word) = self.peek().tok.clone() else {
            return self.unexpected("a type");
        };
        let kind = match word.as_str() {
            "bool" => TypeKind::Bool,
            "byte" => TypeKind::Byte,
            "short" => TypeKind::Short,
            "int" => TypeKind::Int,
            "long" => TypeKind::Long,
            "float" => TypeKind::Float,
            "double" => TypeKind::Double,
            "string" => TypeKind::String,
            "unsigned" => {
                self.next();
                let kind = match &self.peek().tok {
                    Tok::Ident(w) if w == "byte" => TypeKind::UByte,
                    Tok::Ident(w) if w == "short" => TypeKind::UShort,
                    Tok::Ident(w) if w == "int" => TypeKind::UInt,
                    Tok::Ident(w) if w == "long" => {
                        return self.error(
                            pos,
                            "'unsigned long' is not a TARS type (no wider integer holds it); use 'long'",
                        )
                    }
                    _ => return self.unexpected("'byte', 'short' or 'int' after 'unsigned'"),
                };
                self.next();
                return Ok(TypeExpr { kind, pos });
            }
            "vector" => {
                self.next();
                self.expect_punct('<')?;
                let inner = self.type_()?;
                self.expect_punct('>')?;
                return Ok(TypeExpr {
                    kind: TypeKind::Vector(Box::new(inner)),
                    pos,
                });
            }
            "map" => {
                self.next();
                self.expect_punct('<')?;
                let k = self.type_()?;
                self.expect_punct(',')?;
                let v = self.type_()?;
                self.expect_punct('>')?;
                return Ok(TypeExpr {
                    kind: TypeKind::Map(Box::new(k), Box::new(v)),
                    pos,
                });
            }
            "void" => return self.error(pos, "'void' is only allowed as a method's return type"),
            w if is_keyword(w) => return self.unexpected("a type"),
            _ => {
                return Ok(TypeExpr {
                    kind: TypeKind::Named(self.scoped_name("a type")?),
                    pos,
                })
            }
        };
        self.next();
        Ok(TypeExpr { kind, pos })
    }

    fn scoped_name(&mut self, what: &str) -> PResult<Vec<Ident>> {
        let mut path = vec![self.ident(what)?];
        while self.peek().tok == Tok::PathSep {
            self.next();
            path.push(self.ident(what)?);
        }
        Ok(path)
    }

    fn literal(&mut self) -> PResult<Literal> {
        let pos = self.peek().pos;
        let negative = match self.peek().tok {
            Tok::Punct('-') => {
                self.next();
                true
            }
            Tok::Punct('+') => {
                self.next();
                false
            }
            _ => false,
        };
        let kind = match self.peek().tok.clone() {
            Tok::Int(n) => LitKind::Int(if negative { -n } else { n }),
            Tok::Float(f) => LitKind::Float(if negative { -f } else { f }),
            Tok::Str(s) if !negative => LitKind::Str(s),
            Tok::Ident(w) if !negative && w == "true" => LitKind::Bool(true),
            Tok::Ident(w) if !negative && w == "false" => LitKind::Bool(false),
            Tok::Ident(w) if !negative && !is_keyword(&w) => {
                return Ok(Literal {
                    kind: LitKind::Name(self.scoped_name("a value")?),
                    pos,
                });
            }
            _ => return self.unexpected("a value"),
        };
        self.next();
        Ok(Literal { kind, pos })
    }

    fn enum_(&mut self) -> PResult<Enum> {
        let doc = self.peek().doc.clone();
        self.expect_kw("enum")?;
        let name = self.ident("an enum name")?;
        self.expect_punct('{')?;
        let mut members: Vec<EnumMember> = Vec::new();
        while !self.is_punct('}') {
            let doc = self.peek().doc.clone();
            let mname = self.ident("an enum member name")?;
            let value = if self.is_punct('=') {
                self.next();
                Some(self.literal()?)
            } else {
                None
            };
            members.push(EnumMember {
                name: mname,
                value,
                doc,
            });
            if self.is_punct(',') {
                self.next();
                if let Some(m) = members.last_mut() {
                    m.doc.extend(self.prev_trailing_doc());
                }
            } else if !self.is_punct('}') {
                return self.unexpected("',' or '}'");
            }
        }
        if let Some(m) = members.last_mut() {
            m.doc.extend(self.toks[self.i - 1].trailing_doc.clone());
        }
        self.close_block(&format!("enum {}", name.name))?;
        Ok(Enum { name, doc, members })
    }

    fn const_(&mut self) -> PResult<Const> {
        let doc = self.peek().doc.clone();
        self.expect_kw("const")?;
        let ty = self.type_()?;
        let name = self.ident("a constant name")?;
        self.expect_punct('=')?;
        let value = self.literal()?;
        self.expect_punct(';')?;
        let mut doc = doc;
        doc.extend(self.prev_trailing_doc());
        Ok(Const { ty, name, value, doc })
    }

    fn key(&mut self) -> PResult<Key> {
        self.expect_kw("key")?;
        self.expect_punct('[')?;
        let struct_name = self.ident("a struct name")?;
        let mut fields = Vec::new();
        while self.is_punct(',') {
            self.next();
            fields.push(self.ident("a field name")?);
        }
        self.expect_punct(']')?;
        self.expect_punct(';')?;
        if fields.is_empty() {
            return self.error(struct_name.pos, format!("key[{}] lists no fields", struct_name.name));
        }
        Ok(Key { struct_name, fields })
    }

    fn interface(&mut self) -> PResult<Interface> {
        let doc = self.peek().doc.clone();
        self.expect_kw("interface")?;
        let name = self.ident("an interface name")?;
        self.expect_punct('{')?;
        let mut methods = Vec::new();
        while !self.is_punct('}') && self.peek().tok != Tok::Eof {
            match self.method() {
                Ok(m) => methods.push(m),
                Err(Bail) => self.recover(),
            }
        }
        self.close_block(&format!("interface {}", name.name))?;
        Ok(Interface { name, doc, methods })
    }

    fn method(&mut self) -> PResult<Method> {
        let mut doc = self.peek().doc.clone();
        let ret = if self.is_kw("void") {
            self.next();
            None
        } else {
            Some(self.type_()?)
        };
        let name = self.ident("a method name")?;
        self.expect_punct('(')?;
        let mut params = Vec::new();
        if !self.is_punct(')') {
            loop {
                params.push(self.param()?);
                if self.is_punct(',') {
                    self.next();
                } else {
                    break;
                }
            }
        }
        self.expect_punct(')')?;
        self.expect_punct(';')?;
        doc.extend(self.prev_trailing_doc());
        Ok(Method { name, ret, params, doc })
    }

    fn param(&mut self) -> PResult<Param> {
        let (mut out, mut routekey) = (false, false);
        loop {
            if self.is_kw("out") {
                self.next();
                out = true;
            } else if self.is_kw("routekey") {
                self.next();
                routekey = true;
            } else {
                break;
            }
        }
        let ty = self.type_()?;
        let name = self.ident("a parameter name")?;
        Ok(Param {
            out,
            routekey,
            ty,
            name,
        })
    }
}

/// The IDL's reserved words (TarsCpp `parse.cpp`), not usable as names.
pub(super) fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "void"
            | "struct"
            | "bool"
            | "byte"
            | "short"
            | "int"
            | "double"
            | "float"
            | "long"
            | "string"
            | "vector"
            | "map"
            | "key"
            | "routekey"
            | "module"
            | "interface"
            | "out"
            | "require"
            | "optional"
            | "false"
            | "true"
            | "enum"
            | "const"
            | "unsigned"
    )
}
