//! Tokens of the TARS IDL (the language of TarsCpp's `tars.l`): identifiers and keywords,
//! integer (decimal, hex, octal) and float literals, strings, punctuation, `#include`.
//! Comments are not tokens: they are attached to the next token (doc comments), or to the
//! previous one when they trail it on the same line (`0 require int a; // doc for a`).

use super::error::{IdlError, Pos};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Int(i128),
    Float(f64),
    Str(String),
    /// `#include`
    Include,
    /// `::`
    PathSep,
    Punct(char),
    Eof,
}

impl Tok {
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Int(i) => format!("'{i}'"),
            Tok::Float(f) => format!("'{f}'"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Include => "'#include'".into(),
            Tok::PathSep => "'::'".into(),
            Tok::Punct(c) => format!("'{c}'"),
            Tok::Eof => "end of file".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub pos: Pos,
    /// Just past the token's last character.
    pub end: Pos,
    /// Comments right before this token.
    pub doc: Vec<String>,
    /// Comments after this token on the same line (filled in when they are read).
    pub trailing_doc: Vec<String>,
}

pub(super) fn lex(file: usize, src: &str, errors: &mut Vec<IdlError>) -> Vec<Token> {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
        file,
    };
    let mut out: Vec<Token> = Vec::new();
    let mut pending_doc: Vec<String> = Vec::new();
    let mut last_line = 0u32;
    loop {
        // Whitespace and comments.
        loop {
            match (lx.peek(0), lx.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    lx.bump();
                }
                (Some('/'), Some('/')) => {
                    let line = lx.line;
                    lx.bump();
                    lx.bump();
                    let mut text = String::new();
                    while let Some(c) = lx.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        text.push(c);
                        lx.bump();
                    }
                    push_comment(&mut out, &mut pending_doc, last_line, line, clean_line_comment(&text));
                }
                (Some('/'), Some('*')) => {
                    let start = lx.pos();
                    lx.bump();
                    lx.bump();
                    let mut text = String::new();
                    let mut closed = false;
                    while let Some(c) = lx.peek(0) {
                        if c == '*' && lx.peek(1) == Some('/') {
                            lx.bump();
                            lx.bump();
                            closed = true;
                            break;
                        }
                        text.push(c);
                        lx.bump();
                    }
                    if !closed {
                        errors.push(IdlError::new(start, "unterminated comment: '/*' without '*/'"));
                    }
                    push_comment(
                        &mut out,
                        &mut pending_doc,
                        last_line,
                        start.line,
                        clean_block_comment(&text),
                    );
                }
                _ => break,
            }
        }
        let pos = lx.pos();
        let Some(c) = lx.peek(0) else {
            out.push(Token {
                tok: Tok::Eof,
                pos,
                end: pos,
                doc: std::mem::take(&mut pending_doc),
                trailing_doc: Vec::new(),
            });
            return out;
        };
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            let mut s = String::new();
            while let Some(c) = lx.peek(0).filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                s.push(c);
                lx.bump();
            }
            Tok::Ident(s)
        } else if c.is_ascii_digit() || (c == '.' && lx.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            lx.number(pos, errors)
        } else if c == '"' {
            lx.string(pos, errors)
        } else if c == '#' {
            lx.bump();
            let mut s = String::new();
            while let Some(c) = lx.peek(0).filter(|c| c.is_ascii_alphabetic()) {
                s.push(c);
                lx.bump();
            }
            if s == "include" {
                Tok::Include
            } else {
                errors.push(IdlError::new(
                    pos,
                    format!("unknown directive '#{s}': only #include is supported"),
                ));
                continue;
            }
        } else if c == ':' && lx.peek(1) == Some(':') {
            lx.bump();
            lx.bump();
            Tok::PathSep
        } else if "{}<>;,=:[]()*-+".contains(c) {
            lx.bump();
            Tok::Punct(c)
        } else {
            lx.bump();
            errors.push(IdlError::new(pos, format!("unexpected character '{c}'")));
            continue;
        };
        last_line = pos.line;
        out.push(Token {
            tok,
            pos,
            end: lx.pos(),
            doc: std::mem::take(&mut pending_doc),
            trailing_doc: Vec::new(),
        });
    }
}

/// A comment on the same line as the previous token documents that token's item (the
/// `0 require int a; // what a is` style); otherwise it documents what follows.
fn push_comment(out: &mut [Token], pending: &mut Vec<String>, last_line: u32, line: u32, text: Vec<String>) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(prev) if last_line == line && pending.is_empty() => prev.trailing_doc.extend(text),
        _ => pending.extend(text),
    }
}

fn clean_line_comment(text: &str) -> Vec<String> {
    let t = text.trim_start_matches('/').trim_start_matches('!').trim();
    if t.is_empty() {
        Vec::new()
    } else {
        vec![t.to_string()]
    }
}

fn clean_block_comment(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .trim_start_matches('*')
        .trim_start_matches('!')
        .lines()
        .map(|l| l.trim().trim_start_matches('*').trim().to_string())
        .collect();
    // Drop leading and trailing blank lines.
    let start = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !l.is_empty()).map_or(start, |e| e + 1);
    lines[start..end].to_vec()
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    file: usize,
}

impl Lexer {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek(0) {
            self.i += 1;
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            file: self.file,
            line: self.line,
            col: self.col,
        }
    }

    fn number(&mut self, pos: Pos, errors: &mut Vec<IdlError>) -> Tok {
        let mut s = String::new();
        while let Some(c) = self.peek(0).filter(|c| c.is_ascii_alphanumeric() || *c == '.') {
            s.push(c);
            self.bump();
            // An exponent sign: 1e-5.
            if (c == 'e' || c == 'E') && !s.starts_with("0x") && !s.starts_with("0X") {
                if let Some(sign) = self.peek(0).filter(|c| *c == '-' || *c == '+') {
                    s.push(sign);
                    self.bump();
                }
            }
        }
        let bad = |errors: &mut Vec<IdlError>| {
            errors.push(IdlError::new(pos, format!("invalid number '{s}'")));
            Tok::Int(0)
        };
        if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            return i128::from_str_radix(hex, 16)
                .map(Tok::Int)
                .unwrap_or_else(|_| bad(errors));
        }
        let is_float = s.contains(['.', 'e', 'E']) || s.ends_with(['f', 'F']);
        if is_float {
            let t = s.trim_end_matches(['f', 'F']);
            return t.parse::<f64>().map(Tok::Float).unwrap_or_else(|_| bad(errors));
        }
        if s.len() > 1 && s.starts_with('0') {
            return i128::from_str_radix(&s[1..], 8)
                .map(Tok::Int)
                .unwrap_or_else(|_| bad(errors));
        }
        s.parse::<i128>().map(Tok::Int).unwrap_or_else(|_| bad(errors))
    }

    fn string(&mut self, pos: Pos, errors: &mut Vec<IdlError>) -> Tok {
        self.bump();
        let mut s = String::new();
        loop {
            match self.peek(0) {
                None | Some('\n') => {
                    errors.push(IdlError::new(pos, "unterminated string literal"));
                    return Tok::Str(s);
                }
                Some('"') => {
                    self.bump();
                    return Tok::Str(s);
                }
                Some('\\') => {
                    self.bump();
                    let esc = self.peek(0);
                    self.bump();
                    match esc {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('r') => s.push('\r'),
                        Some('0') => s.push('\0'),
                        Some(c @ ('"' | '\\' | '\'')) => s.push(c),
                        Some(c) => {
                            errors.push(IdlError::new(self.pos(), format!("unknown escape '\\{c}' in string")));
                        }
                        None => {}
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.bump();
                }
            }
        }
    }
}
