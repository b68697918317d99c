//! TUP (`UniAttribute`): arguments keyed by name, each encoded alone at tag 0. Version 3
//! ("simple TUP") is a `map<string, vector<byte>>` at tag 0; version 2 adds the type name:
//! `map<string, map<string, vector<byte>>>`. Gateways and TarsJava clients use it.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};

use crate::codec::{DecodeError, Reader, TarsDecode, TarsEncode};

/// Status keys a TUP reply uses for a non-zero return code and its description.
pub const STATUS_RESULT_CODE: &str = "STATUS_RESULT_CODE";
/// See [`STATUS_RESULT_CODE`].
pub const STATUS_RESULT_DESC: &str = "STATUS_RESULT_DESC";

/// TUP layout version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `map<name, map<type name, bytes>>`.
    V2,
    /// `map<name, bytes>`.
    V3,
}

/// A set of named values.
#[derive(Debug, Clone, PartialEq)]
pub struct UniAttribute {
    version: Version,
    /// name → (TUP v2 type name, value encoded at tag 0)
    values: BTreeMap<String, (String, Bytes)>,
}

impl UniAttribute {
    /// An empty set.
    pub fn new(version: Version) -> Self {
        UniAttribute {
            version,
            values: BTreeMap::new(),
        }
    }

    /// Adds `value` under `name`, with its v2 type name (see [`type_name`]).
    pub fn put<T: TarsEncode + ?Sized>(&mut self, name: &str, tup_type: &str, value: &T) {
        let mut buf = BytesMut::new();
        value.encode(0, &mut buf);
        self.values
            .insert(name.to_string(), (tup_type.to_string(), buf.freeze()));
    }

    /// Puts the value already under `from` under `to` as well (sharing its bytes).
    pub fn alias(&mut self, from: &str, to: &str) {
        if let Some(v) = self.values.get(from).cloned() {
            self.values.insert(to.to_string(), v);
        }
    }

    /// The value under `name`, `Ok(None)` if absent.
    pub fn get<T: TarsDecode>(&self, name: &str) -> Result<Option<T>, DecodeError> {
        match self.values.get(name) {
            Some((_, bytes)) => Reader::from_bytes(bytes).read_field(0),
            None => Ok(None),
        }
    }

    /// The encoded values by name.
    pub fn into_values(self) -> BTreeMap<String, Bytes> {
        self.values.into_iter().map(|(k, (_, v))| (k, v)).collect()
    }

    /// Encodes the set (the `sBuffer` of a TUP packet).
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::new();
        match self.version {
            Version::V3 => {
                let m: BTreeMap<&String, &Bytes> = self.values.iter().map(|(k, (_, v))| (k, v)).collect();
                m.encode(0, &mut buf);
            }
            Version::V2 => {
                let m: BTreeMap<&String, BTreeMap<&String, &Bytes>> = self
                    .values
                    .iter()
                    .map(|(k, (t, v))| (k, BTreeMap::from([(t, v)])))
                    .collect();
                m.encode(0, &mut buf);
            }
        }
        buf.freeze()
    }

    /// Decodes the values of a TUP `sBuffer` by name, from `r` (which may carry a memory
    /// budget). For v2 the type name is not checked (as TarsJava does): the first entry
    /// under a name is its value.
    pub fn decode_values(r: &mut Reader<'_>, version: Version) -> Result<BTreeMap<String, Bytes>, DecodeError> {
        Ok(match version {
            Version::V3 => r.read_field::<BTreeMap<String, Bytes>>(0)?.unwrap_or_default(),
            Version::V2 => r
                .read_field::<BTreeMap<String, BTreeMap<String, Bytes>>>(0)?
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, inner)| inner.into_iter().next().map(|(_, v)| (k, v)))
                .collect(),
        })
    }

    /// Decodes a TUP `sBuffer`. For v2 the type name is not checked (as TarsJava does): the
    /// first entry under a name is its value.
    pub fn decode(body: &Bytes, version: Version) -> Result<Self, DecodeError> {
        let mut r = Reader::from_bytes(body);
        let values = match version {
            Version::V3 => r
                .read_field::<BTreeMap<String, Bytes>>(0)?
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, (String::new(), v)))
                .collect(),
            Version::V2 => r
                .read_field::<BTreeMap<String, BTreeMap<String, Bytes>>>(0)?
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, inner)| inner.into_iter().next().map(|(t, v)| (k, (t, v))))
                .collect(),
        };
        Ok(UniAttribute { version, values })
    }
}

/// The TUP v2 type name for an IDL type, as TarsCpp's `TarsClass` spells it: `int32`,
/// `list<char>` for `vector<byte>`, `map<string,int32>`, `Module.Struct`. An enum is
/// `int32`; its IDL name cannot tell it from a struct, so pass `int` for enums.
pub fn type_name(idl: &str) -> String {
    let idl = idl.trim();
    if let Some(inner) = idl.strip_prefix("vector<").and_then(|s| s.strip_suffix('>')) {
        return format!("list<{}>", type_name(inner));
    }
    if let Some(inner) = idl.strip_prefix("map<").and_then(|s| s.strip_suffix('>')) {
        let (k, v) = split_top_level_comma(inner);
        return format!("map<{},{}>", type_name(k), type_name(v));
    }
    match idl {
        "bool" => "bool".into(),
        "byte" => "char".into(),
        "short" | "unsigned byte" => "short".into(),
        "int" | "unsigned short" => "int32".into(),
        "long" | "unsigned int" => "int64".into(),
        "float" => "float".into(),
        "double" => "double".into(),
        "string" => "string".into(),
        "" => String::new(),
        other => other.replace("::", "."),
    }
}

/// How `@tars/stream` (Node.js) spells the TUP v2 type name `cpp` (TarsCpp's spelling, see
/// [`type_name`]), when it spells it otherwise: `List<T>` for a vector, except `list<char>` for
/// `vector<byte>` (`List<int32>`, `map<string,List<Module.Item>>`). `None` when the two agree.
pub fn stream_type_name(cpp: &str) -> Option<String> {
    let mut out = String::with_capacity(cpp.len());
    let mut rest = cpp;
    while let Some(i) = rest.find("list<") {
        let after = &rest[i + "list<".len()..];
        out.push_str(&rest[..i]);
        out.push_str(if after.starts_with("char>") { "list<" } else { "List<" });
        rest = after;
    }
    out.push_str(rest);
    (out != cpp).then_some(out)
}

fn split_top_level_comma(s: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => return (s[..i].trim(), s[i + 1..].trim()),
            _ => {}
        }
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_tarscpp() {
        assert_eq!(type_name("int"), "int32");
        assert_eq!(type_name("vector<byte>"), "list<char>");
        assert_eq!(type_name("map<string, vector<int>>"), "map<string,list<int32>>");
        assert_eq!(type_name("unsigned int"), "int64");
        assert_eq!(type_name("TestApp::Req"), "TestApp.Req");
    }

    #[test]
    fn stream_spells_lists_its_own_way() {
        assert_eq!(stream_type_name("list<int32>").as_deref(), Some("List<int32>"));
        assert_eq!(stream_type_name("list<char>"), None);
        assert_eq!(stream_type_name("int32"), None);
        assert_eq!(
            stream_type_name("map<string,list<list<char>>>").as_deref(),
            Some("map<string,List<list<char>>>")
        );
    }

    #[test]
    fn round_trips_in_both_versions() {
        for version in [Version::V2, Version::V3] {
            let mut a = UniAttribute::new(version);
            a.put("sReq", "string", &"hello".to_string());
            a.put("", "int32", &7i32);
            let back = UniAttribute::decode(&a.encode(), version).unwrap();
            assert_eq!(back.get::<String>("sReq").unwrap().as_deref(), Some("hello"));
            assert_eq!(back.get::<i32>("").unwrap(), Some(7));
            assert_eq!(back.get::<i32>("nope").unwrap(), None);
        }
        // v3: map head, 1 entry, key "a", value SimpleList of the int 1 at tag 0.
        let mut a = UniAttribute::new(Version::V3);
        a.put("a", "int32", &1i32);
        assert_eq!(
            a.encode().as_ref(),
            &[0x08, 0x00, 0x01, 0x06, 0x01, b'a', 0x1d, 0x00, 0x00, 0x02, 0x00, 0x01]
        );
    }
}
