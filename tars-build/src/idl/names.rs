//! IDL names → Rust names. The wire keeps the IDL name; Rust code gets its own style:
//! `sReq` → `s_req`, `testHello` → `test_hello`, `HTTPServer` → `http_server`,
//! `EM_RED` → `EmRed`, `maxCount` → `MAX_COUNT`; keywords become raw identifiers.

use proc_macro2::{Ident, Span};

/// Splits an identifier into words at `_` and case changes (`HTTPServer2x` → HTTP, Server2x).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase)));
        if boundary {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

pub(crate) fn snake_case(name: &str) -> String {
    let w: Vec<String> = words(name).iter().map(|w| w.to_lowercase()).collect();
    let s = w.join("_");
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

pub(crate) fn upper_camel(name: &str) -> String {
    let s: String = words(name)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect::<String>(),
                None => String::new(),
            }
        })
        .collect();
    // A name that starts with a digit after splitting (e.g. `_1st`) needs a prefix.
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        format!("V{s}")
    } else {
        s
    }
}

/// `test_hello` → `testHello`, `s_req` → `sReq` (TARS' usual spelling of method and
/// parameter names).
pub(crate) fn lower_camel(name: &str) -> String {
    let camel = upper_camel(name);
    let mut cs = camel.chars();
    match cs.next() {
        Some(f) => f.to_lowercase().chain(cs).collect(),
        None => camel,
    }
}

pub(crate) fn screaming_snake(name: &str) -> String {
    snake_case(name).to_uppercase()
}

/// An identifier for `name`, raw if it is a Rust keyword, with `_` appended for the
/// keywords that cannot be raw (`self`, `Self`, `super`, `crate`).
pub(crate) fn ident(name: &str) -> Ident {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => Ident::new(&format!("{name}_"), Span::call_site()),
        n if is_rust_keyword(n) => Ident::new_raw(n, Span::call_site()),
        n => Ident::new(n, Span::call_site()),
    }
}

fn is_rust_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake_case("sReq"), "s_req");
        assert_eq!(snake_case("testHello"), "test_hello");
        assert_eq!(snake_case("iVersion"), "i_version");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("findObjectById4Any"), "find_object_by_id4_any");
        assert_eq!(snake_case("TestApp"), "test_app");
        assert_eq!(snake_case("tars"), "tars");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(upper_camel("EM_RED"), "EmRed");
        assert_eq!(upper_camel("requestPacket"), "RequestPacket");
        assert_eq!(upper_camel("EndpointF"), "EndpointF");
        assert_eq!(upper_camel("_1st"), "V1st");
        assert_eq!(screaming_snake("maxCount"), "MAX_COUNT");
        assert_eq!(lower_camel("test_hello"), "testHello");
        assert_eq!(lower_camel("s_req"), "sReq");
        assert_eq!(screaming_snake("TARSVERSION"), "TARSVERSION");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
    }
}
