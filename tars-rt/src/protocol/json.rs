//! TARS values as JSON, for the JSON protocol (`iVersion = 5`): a request's `sBuffer` is a
//! JSON object keyed by parameter names, the reply's holds `tars_ret` and the `out`
//! parameters. Structs are objects keyed by IDL field names, enums their int32 value,
//! `vector<byte>` an array of signed bytes (as TarsGo's `[]int8`), maps objects with the key
//! as a string (an array of `[key, value]` pairs when keys are not scalars).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;
use serde_json::{Map, Number, Value};

use crate::codec::{BinaryString, UByte};

/// Why a JSON value does not fit a TARS type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
#[non_exhaustive]
pub struct JsonError {
    /// Where: `sReq`, `item.tags[3]`, …
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl JsonError {
    /// An error at the top.
    pub fn new(reason: impl Into<String>) -> Self {
        JsonError {
            path: "$".into(),
            reason: reason.into(),
        }
    }

    /// The same error one level down, under `segment`.
    pub fn within(mut self, segment: &str) -> Self {
        self.path = if self.path == "$" {
            segment.to_string()
        } else {
            format!("{segment}.{}", self.path)
        };
        self
    }
}

/// A value with a JSON form. Implemented for every codec type, and by `include_tars!` and
/// the derives for structs and enums.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a TARS type",
    label = "no JSON form",
    note = "derive `TarsStruct` or `TarsEnum` for your own types; see the type table in `tars::codec`"
)]
pub trait TarsJson: Sized {
    /// The JSON form.
    fn to_json(&self) -> Value;
    /// Reads the JSON form.
    fn from_json(value: &Value) -> Result<Self, JsonError>;

    /// The JSON form of a slice (a `Vec`): an array of the items' forms. `u8` overrides it:
    /// `Vec<u8>` is `vector<byte>`, an array of signed bytes like `Bytes`.
    #[doc(hidden)]
    fn slice_to_json(items: &[Self]) -> Value {
        Value::Array(items.iter().map(Self::to_json).collect())
    }
}

/// A proxy argument's JSON form: a [`TarsJson`] value, or one of the borrowed forms proxies
/// take arguments as (`&str`, `&[T]`, `&[u8]` for `vector<byte>`).
pub trait ToJsonArg {
    /// The JSON form.
    fn to_json_arg(&self) -> Value;
}

impl<T: TarsJson> ToJsonArg for T {
    fn to_json_arg(&self) -> Value {
        self.to_json()
    }
}

impl ToJsonArg for str {
    fn to_json_arg(&self) -> Value {
        Value::String(self.to_owned())
    }
}

impl<T: TarsJson> ToJsonArg for [T] {
    fn to_json_arg(&self) -> Value {
        T::slice_to_json(self)
    }
}

fn expected(what: &str, v: &Value) -> JsonError {
    let found = match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    JsonError::new(format!("expected {what}, found {found}"))
}

macro_rules! json_int {
    ($($t:ty),*) => {$(
        impl TarsJson for $t {
            fn to_json(&self) -> Value {
                Value::from(*self)
            }
            fn from_json(v: &Value) -> Result<Self, JsonError> {
                int_from_json(v)
            }
        }
    )*};
}

json_int!(i8, i16, i32, i64, u16, u32);

/// `unsigned byte` alone; a slice of them is `vector<byte>`.
impl TarsJson for u8 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        int_from_json(v)
    }
    fn slice_to_json(items: &[Self]) -> Value {
        bytes_to_json(items)
    }
}

fn int_from_json<T: TryFrom<i64>>(v: &Value) -> Result<T, JsonError> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        // 64-bit values may arrive as strings from JavaScript callers.
        Value::String(s) => s.parse::<i64>().ok(),
        _ => None,
    };
    let n = n.ok_or_else(|| expected("an integer", v))?;
    T::try_from(n).map_err(|_| JsonError::new(format!("{n} is out of range for {}", std::any::type_name::<T>())))
}

impl TarsJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => Ok(n.as_i64() != Some(0)),
            _ => Err(expected("a bool", v)),
        }
    }
}

macro_rules! json_float {
    ($($t:ty),*) => {$(
        impl TarsJson for $t {
            fn to_json(&self) -> Value {
                Number::from_f64(*self as f64).map(Value::Number).unwrap_or(Value::Null)
            }
            fn from_json(v: &Value) -> Result<Self, JsonError> {
                match v {
                    Value::Number(n) => n.as_f64().map(|f| f as $t).ok_or_else(|| expected("a number", v)),
                    Value::Null => Ok(<$t>::NAN),
                    _ => Err(expected("a number", v)),
                }
            }
        }
    )*};
}

json_float!(f32, f64);

impl TarsJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_str().map(str::to_owned).ok_or_else(|| expected("a string", v))
    }
}

impl TarsJson for BinaryString {
    fn to_json(&self) -> Value {
        Value::String(self.to_string_lossy().into_owned())
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        v.as_str()
            .map(BinaryString::from)
            .ok_or_else(|| expected("a string", v))
    }
}

impl TarsJson for UByte {
    fn to_json(&self) -> Value {
        Value::from(self.0)
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        u8::from_json(v).map(UByte)
    }
}

fn bytes_to_json(b: &[u8]) -> Value {
    Value::Array(b.iter().map(|&x| Value::from(x as i8)).collect())
}

fn bytes_from_json(v: &Value) -> Result<Vec<u8>, JsonError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| match x.as_i64() {
                Some(n @ -128..=255) => Ok(n as u8),
                _ => Err(expected("a byte (-128..=255)", x).within(&format!("[{i}]"))),
            })
            .collect(),
        // Also accept a string of raw text.
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        _ => Err(expected("an array of bytes", v)),
    }
}

impl TarsJson for Bytes {
    fn to_json(&self) -> Value {
        bytes_to_json(self)
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        bytes_from_json(v).map(Bytes::from)
    }
}

/// Vectors; `Vec<u8>` and `Vec<i8>` (`vector<byte>`) go through the element impls, which
/// give the same signed-number arrays (`u8` through `slice_to_json`).
impl<T: TarsJson> TarsJson for Vec<T> {
    fn to_json(&self) -> Value {
        T::slice_to_json(self)
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, x)| T::from_json(x).map_err(|e| e.within(&format!("[{i}]"))))
                .collect(),
            _ => Err(expected("an array", v)),
        }
    }
}

/// Map keys become object keys when they are strings or numbers.
fn key_string(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn map_to_json<'a, K: TarsJson + 'a, V: TarsJson + 'a>(entries: impl Iterator<Item = (&'a K, &'a V)>) -> Value {
    let pairs: Vec<(Value, Value)> = entries.map(|(k, v)| (k.to_json(), v.to_json())).collect();
    if pairs.iter().all(|(k, _)| key_string(k).is_some()) {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (key_string(&k).unwrap_or_default(), v))
                .collect::<Map<_, _>>(),
        )
    } else {
        Value::Array(pairs.into_iter().map(|(k, v)| Value::Array(vec![k, v])).collect())
    }
}

fn map_from_json<K: TarsJson, V: TarsJson>(v: &Value, mut insert: impl FnMut(K, V)) -> Result<(), JsonError> {
    match v {
        Value::Object(o) => {
            for (ks, vv) in o {
                // The key was stringified: try it as a string, then as a number.
                let k = K::from_json(&Value::String(ks.clone()))
                    .or_else(|e| {
                        ks.parse::<Number>()
                            .ok()
                            .map(Value::Number)
                            .ok_or(e)
                            .and_then(|n| K::from_json(&n))
                    })
                    .map_err(|e| e.within(&format!("key '{ks}'")))?;
                insert(k, V::from_json(vv).map_err(|e| e.within(ks))?);
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, pair) in items.iter().enumerate() {
                match pair.as_array().map(Vec::as_slice) {
                    Some([k, vv]) => insert(K::from_json(k)?, V::from_json(vv)?),
                    _ => return Err(expected("a [key, value] pair", pair).within(&format!("[{i}]"))),
                }
            }
            Ok(())
        }
        _ => Err(expected("an object", v)),
    }
}

impl<K: TarsJson + Ord, V: TarsJson> TarsJson for BTreeMap<K, V> {
    fn to_json(&self) -> Value {
        map_to_json(self.iter())
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let mut m = BTreeMap::new();
        map_from_json(v, |k, v| {
            m.insert(k, v);
        })?;
        Ok(m)
    }
}

impl<K: TarsJson + Eq + Hash, V: TarsJson, S: BuildHasher + Default> TarsJson for HashMap<K, V, S> {
    fn to_json(&self) -> Value {
        map_to_json(self.iter())
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let mut m = HashMap::default();
        map_from_json(v, |k, v| {
            m.insert(k, v);
        })?;
        Ok(m)
    }
}

impl<T: TarsJson> TarsJson for Box<T> {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        T::from_json(v).map(Box::new)
    }
}

/// For generated struct code: an object from `(IDL name, value)` pairs.
#[doc(hidden)]
pub fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// For generated struct code: the object behind `v`.
#[doc(hidden)]
pub fn as_object<'a>(v: &'a Value, struct_name: &str) -> Result<&'a Map<String, Value>, JsonError> {
    v.as_object()
        .ok_or_else(|| expected(&format!("an object ({struct_name})"), v))
}

/// For generated struct code: a field by IDL name, or its default when absent or null.
#[doc(hidden)]
pub fn field<T: TarsJson>(o: &Map<String, Value>, name: &str, default: impl FnOnce() -> T) -> Result<T, JsonError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(default()),
        Some(v) => T::from_json(v).map_err(|e| e.within(name)),
    }
}

/// For generated struct code: a `require` field by IDL name; absent or null is an error, as
/// in the binary form.
#[doc(hidden)]
pub fn require_field<T: TarsJson>(o: &Map<String, Value>, name: &str) -> Result<T, JsonError> {
    match o.get(name) {
        None | Some(Value::Null) => Err(JsonError::new(format!("require field '{name}' is missing"))),
        Some(v) => T::from_json(v).map_err(|e| e.within(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_containers() {
        assert_eq!(
            i64::from_json(&Value::from("9007199254740993")).unwrap(),
            9007199254740993
        );
        assert!(i8::from_json(&Value::from(300)).is_err());
        assert_eq!(Bytes::from_static(&[1, 255]).to_json(), serde_json::json!([1, -1]));
        assert_eq!(
            Bytes::from_json(&serde_json::json!([1, -1, 255])).unwrap().as_ref(),
            &[1, 255, 255]
        );
        let m: BTreeMap<i32, String> = BTreeMap::from([(1, "a".into())]);
        assert_eq!(m.to_json(), serde_json::json!({"1": "a"}));
        assert_eq!(BTreeMap::<i32, String>::from_json(&m.to_json()).unwrap(), m);
        assert_eq!(vec![1u8, 255].to_json(), serde_json::json!([1, -1]));
        assert_eq!([1u8, 255][..].to_json_arg(), Bytes::from_static(&[1, 255]).to_json());
        assert_eq!("s".to_json_arg(), serde_json::json!("s"));
        assert_eq!(300u16.to_json_arg(), serde_json::json!(300));
        let e = Vec::<i32>::from_json(&serde_json::json!([1, "x"])).unwrap_err();
        assert_eq!(e.to_string(), "[1]: expected an integer, found a string");
    }
}
