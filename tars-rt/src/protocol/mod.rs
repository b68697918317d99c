//! The TARS wire contract: the request and response packets, the protocol constants (return
//! codes, packet types, message-type flags, status keys), and the TUP ([`tup`]) and JSON
//! ([`json`]) encodings of a call's arguments ([`Encoding`]; [`Args`] writes a request's by
//! parameter name).
//!
//! The packets and constants are compiled by `include_tars!` (types only) from
//! `tars-rt/idl/Protocol.tars` (`BaseF.tars`, `RequestF.tars`), so the runtime speaks exactly
//! what its IDL says. This module knows packets: not sockets, proxies or servants. The
//! interfaces of the framework services are the framework wing's.

mod args;
mod encoding;
pub mod json;
pub mod tup;

pub use args::Args;
pub use encoding::{Encoding, UnknownEncoding};

mod generated {
    tars_macros::include_tars!("idl/Protocol.tars", with_tars, types_only);
}

/// The packets and constants of `Protocol.tars` (TARS module `tars`).
pub use generated::tars::*;

/// The `status` key of a dyed request's dye (with the DYED flag, 0x04).
pub const STATUS_DYED_KEY: &str = "STATUS_DYED_KEY";
/// The `status` key that names the caller's set (with the SETNAME flag, 0x80).
pub const STATUS_SETNAME_VALUE: &str = "STATUS_SETNAME_VALUE";
/// The `status` key of a call's `routekey` value, as tars2cpp's proxies write it.
pub const STATUS_GRID_KEY: &str = "STATUS_GRID_KEY";
/// The `status` key naming the interface method a push answers, as TarsCpp's
/// `async_response_push_*` write it (`Current::sendPushResponse`): its `sBuffer` is then that
/// method's encoded results.
pub const STATUS_PUSH_FUNCTION: &str = "TARS_FUNC";

/// Decodes a reply as clients should: a `ResponsePacket` like the IDL says, except that a
/// missing `status` map (tag 7, `require`) is taken as empty (TarsJava servers leave it out of
/// overload replies, and a strict decoder then loses the reply's real error code).
///
/// A TUP reply (`iVersion` 2 or 3) may come in the `RequestPacket` layout instead, as TarsCpp,
/// `@tars/rpc` and tars-rs's own server answer TUP requests (and TarsGo answers v3): told apart
/// by tag 5, a string (`sServantName`) there and an int (`iRet`) in a `ResponsePacket`. It is
/// turned into the `ResponsePacket` it stands for, see [`response_from_request_layout`].
pub fn decode_response(bytes: &bytes::Bytes) -> Result<ResponsePacket, crate::codec::DecodeError> {
    use crate::codec::generated::{read_optional_or, read_require};
    let r = &mut crate::codec::Reader::from_bytes(bytes);
    const NAME: &str = "tars.ResponsePacket";
    let i_version: i16 = read_require(r, 1, NAME, "iVersion")?;
    if (i_version == TUPVERSION || i_version == TUPVERSION2) && is_request_layout(r) {
        return response_from_request_layout(bytes);
    }
    Ok(ResponsePacket {
        i_version,
        c_packet_type: read_require(r, 2, NAME, "cPacketType")?,
        i_request_id: read_require(r, 3, NAME, "iRequestId")?,
        i_message_type: read_require(r, 4, NAME, "iMessageType")?,
        i_ret: read_require(r, 5, NAME, "iRet")?,
        s_buffer: read_require(r, 6, NAME, "sBuffer")?,
        status: read_optional_or(r, 7, NAME, "status", Default::default)?,
        s_result_desc: read_optional_or(r, 8, NAME, "sResultDesc", Default::default)?,
        context: read_optional_or(r, 9, NAME, "context", Default::default)?,
    })
}

/// TUP v2's `iVersion` (TarsJava and its ports; `BaseF.tars` names only v3, `TUPVERSION`).
const TUPVERSION2: i16 = 2;

/// Whether the packet after `r` (past tag 1) is in the `RequestPacket` layout: its tag 5 is a
/// string. Looks ahead on a copy of the reader.
pub(crate) fn is_request_layout(r: &crate::codec::Reader<'_>) -> bool {
    use crate::codec::TypeCode;
    matches!(r.clone().skip_to(5), Ok(Some(TypeCode::String1 | TypeCode::String4)))
}

/// The `ResponsePacket` a TUP reply in the `RequestPacket` layout stands for: the request id
/// from its tag 4, the return code and its description from the `STATUS_RESULT_CODE` and
/// `STATUS_RESULT_DESC` status entries (taken out of `status`; absent, the call succeeded, as
/// TarsGo's v3 replies say it), `sBuffer`, `context` and the rest of `status` as they are.
///
/// Only the header (tags 1 to 4) must decode. Past it the reply is known to answer its call,
/// so a field that does not decode (or a code that is not a number) makes a reply with the
/// client decode error, -12, for that call, rather than an undecodable frame.
pub fn response_from_request_layout(bytes: &bytes::Bytes) -> Result<ResponsePacket, crate::codec::DecodeError> {
    use crate::codec::generated::{read_optional_or, read_require};
    use crate::codec::DecodeError;
    const NAME: &str = "tars.RequestPacket";
    let r = &mut crate::codec::Reader::from_bytes(bytes);
    let mut rsp = ResponsePacket {
        i_version: read_require(r, 1, NAME, "iVersion")?,
        c_packet_type: read_optional_or(r, 2, NAME, "cPacketType", Default::default)?,
        i_message_type: read_optional_or(r, 3, NAME, "iMessageType", Default::default)?,
        i_request_id: read_require(r, 4, NAME, "iRequestId")?,
        ..Default::default()
    };
    let mut rest = || -> Result<(), DecodeError> {
        rsp.s_buffer = read_require(r, 7, NAME, "sBuffer")?;
        rsp.context = read_optional_or(r, 9, NAME, "context", Default::default)?;
        rsp.status = read_optional_or(r, 10, NAME, "status", Default::default)?;
        if let Some(code) = rsp.status.remove(tup::STATUS_RESULT_CODE) {
            rsp.i_ret = code.trim().parse().map_err(|_| {
                DecodeError::Custom(format!("{} is {code:?}, not a return code", tup::STATUS_RESULT_CODE))
            })?;
        }
        rsp.s_result_desc = rsp.status.remove(tup::STATUS_RESULT_DESC).unwrap_or_default();
        Ok(())
    };
    if let Err(e) = rest() {
        rsp.i_ret = TARSCLIENTDECODEERR;
        rsp.s_result_desc = format!("cannot decode the TUP reply: {e}");
    }
    Ok(rsp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{self, TarsEncode};

    #[test]
    fn lenient_response_decoding_matches_the_idl_and_accepts_a_missing_status() {
        let rsp = ResponsePacket {
            i_version: 1,
            i_request_id: 9,
            i_ret: -9,
            s_result_desc: "overload".into(),
            s_buffer: bytes::Bytes::from_static(b"\x0c"),
            status: [("k".to_string(), "v".to_string())].into(),
            context: [("c".to_string(), "d".to_string())].into(),
            ..Default::default()
        };
        let bytes = codec::to_bytes(&rsp);
        assert_eq!(
            decode_response(&bytes).unwrap(),
            codec::from_bytes::<ResponsePacket>(&bytes).unwrap()
        );
        // Without tag 7, as TarsJava sends overload replies.
        let mut buf = bytes::BytesMut::new();
        1i16.encode(1, &mut buf);
        0i8.encode(2, &mut buf);
        9i32.encode(3, &mut buf);
        0i32.encode(4, &mut buf);
        (-9i32).encode(5, &mut buf);
        bytes::Bytes::new().encode(6, &mut buf);
        "overload".encode(8, &mut buf);
        let bytes = buf.freeze();
        assert!(codec::from_bytes::<ResponsePacket>(&bytes).is_err());
        let lenient = decode_response(&bytes).unwrap();
        assert_eq!(
            (lenient.i_ret, lenient.s_result_desc.as_str(), lenient.status.len()),
            (-9, "overload", 0)
        );
    }

    /// A TUP reply in the `RequestPacket` layout, by hand: tags 1 to 10 as TarsCpp writes them.
    fn request_layout(version: i16, status: &[(&str, &str)]) -> bytes::Bytes {
        let mut buf = bytes::BytesMut::new();
        version.encode(1, &mut buf);
        0i8.encode(2, &mut buf);
        0x04i32.encode(3, &mut buf); // iMessageType (DYED): where a ResponsePacket has its id
        42i32.encode(4, &mut buf); // iRequestId
        "App.Server.Obj".encode(5, &mut buf);
        "testHello".encode(6, &mut buf);
        bytes::Bytes::from_static(b"\x08\x0c").encode(7, &mut buf); // an empty UniAttribute
        0i32.encode(8, &mut buf);
        BTreeMap::from([("ck", "cv")]).encode(9, &mut buf);
        let status: BTreeMap<&str, &str> = status.iter().copied().collect();
        status.encode(10, &mut buf);
        buf.freeze()
    }

    use std::collections::BTreeMap;

    #[test]
    fn tup_replies_in_the_request_layout_become_responses() {
        // @tars/rpc and tars-rs: the code and its description in the status map.
        let bytes = request_layout(
            3,
            &[("STATUS_RESULT_CODE", "-77"), ("STATUS_RESULT_DESC", "no"), ("k", "v")],
        );
        let rsp = decode_response(&bytes).unwrap();
        assert_eq!(
            (
                rsp.i_version,
                rsp.i_request_id,
                rsp.i_message_type,
                rsp.i_ret,
                rsp.s_result_desc.as_str()
            ),
            (3, 42, 0x04, -77, "no")
        );
        assert_eq!(rsp.s_buffer.as_ref(), b"\x08\x0c");
        assert_eq!(rsp.status, BTreeMap::from([("k".to_string(), "v".to_string())]));
        assert_eq!(rsp.context, BTreeMap::from([("ck".to_string(), "cv".to_string())]));
        // TarsGo's v3: no result keys, a success. TUP v2 is told apart the same way.
        let rsp = decode_response(&request_layout(2, &[])).unwrap();
        assert_eq!((rsp.i_version, rsp.i_request_id, rsp.i_ret), (2, 42, 0));
        // A code that is not a number answers the call (id 42) with -12.
        let rsp = decode_response(&request_layout(3, &[("STATUS_RESULT_CODE", "oops")])).unwrap();
        assert_eq!((rsp.i_request_id, rsp.i_ret), (42, TARSCLIENTDECODEERR));
        assert!(rsp.s_result_desc.contains("oops"), "{}", rsp.s_result_desc);
    }

    #[test]
    fn tup_replies_in_the_response_layout_stay_responses() {
        // TarsGo answers TUP v2 with a ResponsePacket: tag 5 is iRet, an int.
        let rsp = ResponsePacket {
            i_version: 2,
            i_request_id: 7,
            i_ret: -3,
            s_buffer: bytes::Bytes::from_static(b"\x08\x0c"),
            ..Default::default()
        };
        let back = decode_response(&codec::to_bytes(&rsp)).unwrap();
        assert_eq!(back, rsp);
        // Version 1 with a string at tag 5 is not a TUP reply: a ResponsePacket that fails.
        let mut buf = bytes::BytesMut::new();
        1i16.encode(1, &mut buf);
        0i8.encode(2, &mut buf);
        7i32.encode(3, &mut buf);
        0i32.encode(4, &mut buf);
        "x".encode(5, &mut buf);
        assert!(decode_response(&buf.freeze()).is_err());
    }
}
