//! The TARS wire contract: the request and response packets, the protocol constants (return
//! codes, packet types, message-type flags, status keys), and the TUP ([`tup`]) and JSON
//! ([`json`]) encodings of a call's arguments.
//!
//! The packets and constants are compiled by `include_tars!` (types only) from
//! `tars-rt/idl/Protocol.tars` (`BaseF.tars`, `RequestF.tars`), so the runtime speaks exactly
//! what its IDL says. This module knows packets: not sockets, proxies or servants. The
//! interfaces of the framework services are the framework wing's.

pub mod json;
pub mod tup;

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

/// Decodes a `ResponsePacket` as clients should: like the IDL says, except that a missing
/// `status` map (tag 7, `require`) is taken as empty. TarsJava servers leave it out of
/// overload replies, and a strict decoder then loses the reply's real error code.
pub fn decode_response(bytes: &bytes::Bytes) -> Result<ResponsePacket, crate::codec::DecodeError> {
    use crate::codec::generated::{read_optional_or, read_require};
    let r = &mut crate::codec::Reader::from_bytes(bytes);
    const NAME: &str = "tars.ResponsePacket";
    Ok(ResponsePacket {
        i_version: read_require(r, 1, NAME, "iVersion")?,
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
}
