//! A request's arguments, written in any [`Encoding`]: by tag (TARS), by parameter name (TUP
//! v3 and v2, JSON). Generated proxies write TARS arguments straight into one buffer and
//! come here for the others.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value};

use super::json::ToJsonArg;
use super::tup;
use super::Encoding;
use crate::codec::TarsEncode;

/// The arguments of one call, written one by one (tag, name, TUP v2 type name, value), then
/// [`finish`](Args::finish)ed into the request's `sBuffer`.
///
/// ```
/// # use tars_rt as tars;
/// use tars::protocol::{Args, Encoding};
/// let body = Args::new(Encoding::Json).put(1, "sReq", "string", "hi").finish();
/// assert_eq!(&body[..], br#"{"sReq":"hi"}"#);
/// ```
#[derive(Debug)]
pub struct Args {
    body: Body,
}

#[derive(Debug)]
enum Body {
    Tars(BytesMut),
    TupV3(BTreeMap<String, Bytes>),
    TupV2(BTreeMap<String, BTreeMap<String, Bytes>>),
    Json(Map<String, Value>),
}

impl Args {
    /// No arguments yet, to be encoded as `encoding` says.
    pub fn new(encoding: Encoding) -> Self {
        let body = match encoding {
            Encoding::Tars => Body::Tars(BytesMut::new()),
            Encoding::TupV3 => Body::TupV3(BTreeMap::new()),
            Encoding::TupV2 => Body::TupV2(BTreeMap::new()),
            Encoding::Json => Body::Json(Map::new()),
        };
        Args { body }
    }

    /// Adds parameter `name` (tag `tag`, TUP v2 type `tup_type`, e.g. `list<int32>`).
    ///
    /// TUP v2 values go under their TarsCpp type name and, when `@tars/stream` spells it
    /// otherwise (`List<int32>` for a vector that is not `vector<byte>`), under that name as
    /// well: a Node.js server looks the value up by its own spelling, the others take the
    /// entry they find.
    pub fn put<T: TarsEncode + ToJsonArg + ?Sized>(mut self, tag: u8, name: &str, tup_type: &str, value: &T) -> Self {
        match &mut self.body {
            Body::Tars(buf) => value.encode(tag, buf),
            Body::TupV3(values) => {
                values.insert(name.to_string(), alone(value));
            }
            Body::TupV2(values) => {
                let bytes = alone(value);
                let mut types = BTreeMap::new();
                if let Some(other) = tup::stream_type_name(tup_type) {
                    types.insert(other, bytes.clone());
                }
                types.insert(tup_type.to_string(), bytes);
                values.insert(name.to_string(), types);
            }
            Body::Json(o) => {
                o.insert(name.to_string(), value.to_json_arg());
            }
        }
        self
    }

    /// The encoded arguments: the request's `sBuffer`.
    pub fn finish(self) -> Bytes {
        match self.body {
            Body::Tars(buf) => buf.freeze(),
            Body::TupV3(values) => encode_at_0(&values),
            Body::TupV2(values) => encode_at_0(&values),
            Body::Json(o) => Bytes::from(Value::Object(o).to_string()),
        }
    }
}

/// `value` encoded alone at tag 0, as TUP carries each value.
fn alone<T: TarsEncode + ?Sized>(value: &T) -> Bytes {
    crate::codec::encode_field(value, 0)
}

fn encode_at_0<T: TarsEncode>(value: &T) -> Bytes {
    let mut buf = BytesMut::new();
    value.encode(0, &mut buf);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Reader;

    #[test]
    fn each_encoding_writes_what_its_readers_read() {
        let items = [1i32, 2];
        let put = |e| {
            Args::new(e)
                .put(1, "s", "string", "x")
                .put(2, "v", "list<int32>", &items[..])
        };
        // TARS: by tag, as the proxy's fast path writes them.
        let tars = put(Encoding::Tars).finish();
        let mut r = Reader::from_bytes(&tars);
        assert_eq!(r.read_field::<String>(1).unwrap().as_deref(), Some("x"));
        assert_eq!(r.read_field::<Vec<i32>>(2).unwrap(), Some(vec![1, 2]));
        // TUP v3 and v2, as tars-rs's server reads them.
        for (e, v) in [(Encoding::TupV3, tup::Version::V3), (Encoding::TupV2, tup::Version::V2)] {
            let attr = tup::UniAttribute::decode(&put(e).finish(), v).unwrap();
            assert_eq!(attr.get::<String>("s").unwrap().as_deref(), Some("x"));
            assert_eq!(attr.get::<Vec<i32>>("v").unwrap(), Some(vec![1, 2]));
        }
        // TUP v2 names the type both ways for a list, once for anything else.
        let v2 = put(Encoding::TupV2).finish();
        let raw: BTreeMap<String, BTreeMap<String, Bytes>> = Reader::from_bytes(&v2).read_field(0).unwrap().unwrap();
        assert_eq!(raw["s"].keys().collect::<Vec<_>>(), ["string"]);
        assert_eq!(raw["v"].keys().collect::<Vec<_>>(), ["List<int32>", "list<int32>"]);
        // JSON.
        let json: Value = serde_json::from_slice(&put(Encoding::Json).finish()).unwrap();
        assert_eq!(json, serde_json::json!({"s": "x", "v": [1, 2]}));
        // No arguments: an empty map, an empty object.
        assert_eq!(Args::new(Encoding::TupV3).finish().as_ref(), &[0x08, 0x0c]);
        assert_eq!(Args::new(Encoding::Json).finish().as_ref(), b"{}");
    }
}
