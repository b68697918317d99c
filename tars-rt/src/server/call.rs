//! One call's arguments and results, whatever the request's encoding: TARS (`iVersion` 1:
//! arguments by tag), TUP (2 and 3: by parameter name) or JSON (5: a JSON object by
//! parameter name). Generated dispatchers read and write through [`Call`] and never see
//! the encoding.

use std::borrow::Cow;
use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value};

use crate::codec::{DecodeError, Reader, TarsDecode, TarsEncode};
use crate::idl::MethodDesc;
use crate::protocol::json::TarsJson;
use crate::protocol::tup;
use crate::protocol::Encoding;
use crate::transport::budget::Lease;
use crate::Status;

enum Args {
    Tars(Bytes),
    Tup(BTreeMap<String, Bytes>),
    Json(Map<String, Value>),
}

enum Results {
    Tars(BytesMut),
    Tup(tup::UniAttribute),
    Json(Map<String, Value>),
}

/// What a TARS-encoded call's results buffer starts with.
const RESULTS_CAPACITY: usize = 256;

/// The arguments and results of one call.
pub struct Call {
    /// Borrowed from the interface when the method is known (no copy per call).
    function: Cow<'static, str>,
    encoding: Encoding,
    method: Option<&'static MethodDesc>,
    args: Args,
    results: Results,
    /// The request's share of the server's memory budget; decoded arguments are charged to it.
    lease: Option<Lease>,
    /// The parameters as JSON, for TarsWeb's call chain, when its trace asks for them.
    chain: Option<Box<ChainParams>>,
}

/// What a call records of its parameters for the call chain.
#[derive(Default)]
struct ChainParams {
    /// Inputs as the servant reads them (`arg` takes `&self`).
    inputs: Option<std::sync::Mutex<Map<String, Value>>>,
    /// The return value (`tars_ret`) and `out` parameters.
    outputs: Option<Map<String, Value>>,
}

impl Call {
    /// Parses `body` (a request's `sBuffer`) for `function`. `method` gives the parameter
    /// types TUP v2 replies need.
    pub fn new(
        function: impl Into<String>,
        encoding: Encoding,
        body: Bytes,
        method: Option<&'static MethodDesc>,
    ) -> Result<Call, Status> {
        Self::decode(Cow::Owned(function.into()), encoding, body, method, None)
    }

    /// Like [`Call::new`], charging what the arguments take once decoded to `lease`; past
    /// what the budget holds, the call fails with -9 (overload).
    pub(crate) fn decode(
        function: Cow<'static, str>,
        encoding: Encoding,
        body: Bytes,
        method: Option<&'static MethodDesc>,
        lease: Option<Lease>,
    ) -> Result<Call, Status> {
        let (args, results) = match encoding {
            Encoding::Tars => (Args::Tars(body), Results::Tars(BytesMut::new())),
            Encoding::TupV2 | Encoding::TupV3 => {
                let version = if encoding == Encoding::TupV2 {
                    tup::Version::V2
                } else {
                    tup::Version::V3
                };
                let values = tup::UniAttribute::decode_values(&mut reader(&body, lease.as_ref()), version).map_err(
                    |e| match e.root() {
                        DecodeError::MemoryLimit { .. } => over_budget(),
                        _ => Status::decode_error(format!("TUP body: {e}")),
                    },
                )?;
                (Args::Tup(values), Results::Tup(tup::UniAttribute::new(version)))
            }
            Encoding::Json => {
                if lease.as_ref().is_some_and(|l| !l.grow(json_cost(&body))) {
                    return Err(over_budget());
                }
                let v: Value = if body.is_empty() {
                    Value::Object(Map::new())
                } else {
                    serde_json::from_slice(&body).map_err(|e| Status::decode_error(format!("JSON body: {e}")))?
                };
                match v {
                    Value::Object(o) => (Args::Json(o), Results::Json(Map::new())),
                    _ => {
                        return Err(Status::decode_error(
                            "JSON body: expected an object keyed by parameter names",
                        ))
                    }
                }
            }
        };
        Ok(Call {
            function,
            encoding,
            method,
            args,
            results,
            lease,
            chain: None,
        })
    }

    /// Records the inputs and/or the results as JSON, for TarsWeb's call chain.
    pub(crate) fn record_for_chain(&mut self, inputs: bool, outputs: bool) {
        if inputs || outputs {
            self.chain = Some(Box::new(ChainParams {
                inputs: inputs.then(Default::default),
                outputs: outputs.then(Map::new),
            }));
        }
    }

    /// The recorded inputs (`inputs: true`) or results, as a JSON object.
    pub(crate) fn chain_json(&self, inputs: bool) -> Option<String> {
        let chain = self.chain.as_ref()?;
        let map = if inputs {
            crate::sync::lock(chain.inputs.as_ref()?).clone()
        } else {
            chain.outputs.clone()?
        };
        serde_json::to_string(&Value::Object(map)).ok()
    }

    /// The function called.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The request's encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Reads input parameter `name` (tag `tag`). A missing parameter is a decode error (-1).
    pub fn arg<T: TarsDecode + TarsJson>(&self, tag: u8, name: &str) -> Result<T, Status> {
        let value = self.decode_arg::<T>(tag, name)?;
        if let Some(inputs) = self.chain.as_ref().and_then(|c| c.inputs.as_ref()) {
            crate::sync::lock(inputs).insert(name.to_string(), value.to_json());
        }
        Ok(value)
    }

    fn decode_arg<T: TarsDecode + TarsJson>(&self, tag: u8, name: &str) -> Result<T, Status> {
        let fail =
            |what: String| Status::decode_error(format!("{}: parameter '{name}' (tag {tag}) {what}", self.function));
        let (bytes, tag, absent) = match &self.args {
            Args::Tars(body) => (body, tag, "is missing"),
            Args::Tup(values) => (
                values.get(name).ok_or_else(|| fail("is missing".into()))?,
                0,
                "is empty",
            ),
            Args::Json(o) => {
                let v = o.get(name).ok_or_else(|| fail("is missing".into()))?;
                return T::from_json(v).map_err(|e| fail(format!("is not valid: {e}")));
            }
        };
        match reader(bytes, self.lease.as_ref()).read_field::<T>(tag) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(fail(absent.into())),
            Err(e) if matches!(e.root(), DecodeError::MemoryLimit { .. }) => Err(over_budget()),
            Err(e) => Err(fail(format!("cannot be decoded: {e}"))),
        }
    }

    /// The request message of a protobuf servant: the whole `sBuffer`, decoded as `M`. Only
    /// TARS requests (`iVersion` 1) carry one, as TarsGo's protobuf servants read them.
    #[cfg(feature = "protobuf")]
    pub fn proto_arg<M: prost::Message + Default>(&self) -> Result<M, Status> {
        match &self.args {
            Args::Tars(body) => {
                if self.lease.as_ref().is_some_and(|l| !l.grow(body.len())) {
                    return Err(over_budget());
                }
                M::decode(body.clone())
                    .map_err(|e| Status::decode_error(format!("{}: the protobuf request: {e}", self.function)))
            }
            _ => Err(Status::decode_error(format!(
                "{}: a protobuf servant takes TARS requests (iVersion 1), not {:?}",
                self.function, self.encoding
            ))),
        }
    }

    /// Writes the response message of a protobuf servant: the reply's whole `sBuffer`.
    #[cfg(feature = "protobuf")]
    pub fn set_proto_result<M: prost::Message>(&mut self, message: &M) {
        if let Results::Tars(buf) = &mut self.results {
            buf.reserve(message.encoded_len());
            message.encode_raw(buf);
        }
    }

    /// The request's whole `sBuffer`, for servants that take raw bytes rather than IDL
    /// arguments (TarsGo's push servers); `None` for TUP and JSON requests.
    pub fn raw_body(&self) -> Option<&Bytes> {
        match &self.args {
            Args::Tars(body) => Some(body),
            _ => None,
        }
    }

    /// Sets the reply's whole `sBuffer` (TARS requests; see [`Call::raw_body`]).
    pub fn set_raw_results(&mut self, body: &[u8]) {
        if let Results::Tars(buf) = &mut self.results {
            buf.clear();
            buf.extend_from_slice(body);
        }
    }

    /// Writes the return value (tag 0).
    pub fn set_return<T: TarsEncode + TarsJson>(&mut self, value: &T) {
        if let Some(outputs) = self.chain.as_mut().and_then(|c| c.outputs.as_mut()) {
            outputs.insert("tars_ret".into(), value.to_json());
        }
        let ty = self.method.and_then(|m| m.ret_tup_type);
        match &mut self.results {
            Results::Tars(buf) => value.encode(0, results_buffer(buf)),
            // TUP replies carry the return value under the empty name (TarsCpp) and JSON
            // replies under `tars_ret` (TarsGo).
            Results::Tup(attr) => {
                attr.put("", ty.unwrap_or(""), value);
                attr.alias("", "tars_ret");
            }
            Results::Json(o) => {
                o.insert("tars_ret".into(), value.to_json());
            }
        }
    }

    /// Writes `out` parameter `name` (tag `tag`).
    pub fn set_out<T: TarsEncode + TarsJson>(&mut self, tag: u8, name: &str, value: &T) {
        if let Some(outputs) = self.chain.as_mut().and_then(|c| c.outputs.as_mut()) {
            outputs.insert(name.into(), value.to_json());
        }
        let ty = self
            .method
            .and_then(|m| m.params.iter().find(|p| p.tag == tag))
            .map(|p| p.tup_type);
        match &mut self.results {
            Results::Tars(buf) => value.encode(tag, results_buffer(buf)),
            Results::Tup(attr) => attr.put(name, ty.unwrap_or(""), value),
            Results::Json(o) => {
                o.insert(name.into(), value.to_json());
            }
        }
    }

    /// The encoded results, for the reply's `sBuffer`.
    pub fn into_results(self) -> Bytes {
        match self.results {
            Results::Tars(buf) => buf.freeze(),
            Results::Tup(attr) => attr.encode(),
            Results::Json(o) => Bytes::from(serde_json::to_vec(&Value::Object(o)).unwrap_or_default()),
        }
    }
}

/// The results buffer, with room for the usual small results at once (one allocation rather
/// than one per growth as field after field is written).
fn results_buffer(buf: &mut BytesMut) -> &mut BytesMut {
    if buf.capacity() == 0 {
        buf.reserve(RESULTS_CAPACITY);
    }
    buf
}

/// A reader over `bytes` drawing what it decodes from `lease`.
fn reader<'a>(bytes: &'a Bytes, lease: Option<&'a Lease>) -> Reader<'a> {
    let r = Reader::from_bytes(bytes);
    match lease {
        Some(l) => r.with_allowance(l),
        None => r,
    }
}

fn over_budget() -> Status {
    Status::overload("server overloaded: requests in flight hold its request memory (maxrequestmemory)")
}

/// What a JSON body may take once parsed into `serde_json::Value`s, from one pass over its
/// bytes: every value (a 32-byte `Value`, twice for the slack of a growing array), every
/// object member (its key `String` and its share of a half-full B-tree node), and the text
/// of strings.
fn json_cost(body: &[u8]) -> usize {
    const PER_VALUE: usize = 64;
    const PER_MEMBER: usize = 160;
    let (mut values, mut members) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => values += 1,
            b':' => members += 1,
            _ => {}
        }
    }
    body.len() + values * PER_VALUE + members * PER_MEMBER
}
