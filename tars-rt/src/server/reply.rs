//! A TARS reply, encoded in the layout the request's version calls for: a `ResponsePacket` for
//! TARS (1) and JSON (5), a `RequestPacket` for TUP (2, 3), with the header fields of the
//! request it answers.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::codec::{self, Reader, TarsStruct};
use crate::protocol::TARSONEWAY;
use crate::protocol::{tup, RequestPacket, ResponsePacket};
use crate::transport::frame;

use super::request::ServerResponse;
use crate::protocol::Encoding;

/// A TARS reply not yet encoded (see [`Handled::Reply`](super::Handled::Reply)).
#[derive(Debug)]
pub struct TarsReply {
    pub(crate) to: ReplyTo,
    pub(crate) encoding: Option<Encoding>,
    pub(crate) response: ServerResponse,
}

impl TarsReply {
    /// Appends the reply's frame to `buf`.
    pub fn encode_into(self, buf: &mut BytesMut) {
        write_reply(buf, &self.to, self.encoding, self.response);
    }

    /// The reply's frame in a buffer of its own.
    pub fn into_frame(self) -> Bytes {
        encode_reply(&self.to, self.encoding, self.response)
    }
}

/// Header fields of the request that the reply echoes, kept before filters see the packet.
/// The names are shared with the servant and its interface when they are known (no copy).
#[derive(Debug)]
pub(crate) struct ReplyTo {
    pub(crate) version: i16,
    pub(crate) request_id: i32,
    pub(crate) message_type: i32,
    pub(crate) servant: Arc<str>,
    pub(crate) function: Cow<'static, str>,
}

impl ReplyTo {
    /// Reads the header fields (tags 1 to 6) of a request packet without decoding the rest;
    /// also says whether the request is one-way.
    pub(crate) fn peek(request: &Bytes) -> Option<(ReplyTo, bool)> {
        let mut r = Reader::from_bytes(request);
        let version = r.read_field::<i16>(1).ok()??;
        let packet_type = r.read_field::<i8>(2).ok()?.unwrap_or(0);
        let message_type = r.read_field::<i32>(3).ok()?.unwrap_or(0);
        let request_id = r.read_field::<i32>(4).ok()??;
        let servant = r.read_field::<String>(5).ok()?.unwrap_or_default();
        let function = r.read_field::<String>(6).ok()?.unwrap_or_default();
        let to = ReplyTo {
            version,
            request_id,
            message_type,
            servant: servant.into(),
            function: Cow::Owned(function),
        };
        Some((to, packet_type == TARSONEWAY))
    }
}

/// Encodes the reply in the layout the request's version calls for: a ResponsePacket for
/// TARS and JSON (and for versions no one serves), a RequestPacket for TUP.
pub(crate) fn encode_reply(to: &ReplyTo, encoding: Option<Encoding>, r: ServerResponse) -> Bytes {
    if r.body.len() <= ENCODE_EXACT_UP_TO {
        codec::encode_exact(|buf| write_reply(buf, to, encoding, r))
    } else {
        let mut buf = BytesMut::with_capacity(256 + r.body.len());
        write_reply(&mut buf, to, encoding, r);
        buf.freeze()
    }
}

/// Replies up to this body size are built in a scratch buffer and copied out at their exact
/// size (one allocation); larger ones are encoded in place (no copy).
const ENCODE_EXACT_UP_TO: usize = 16 * 1024;

fn write_reply(buf: &mut BytesMut, to: &ReplyTo, encoding: Option<Encoding>, r: ServerResponse) {
    match encoding {
        Some(Encoding::TupV2 | Encoding::TupV3) => {
            let mut status = r.status;
            if r.code != 0 {
                status.insert(tup::STATUS_RESULT_CODE.into(), r.code.to_string());
            }
            if !r.message.is_empty() {
                status.insert(tup::STATUS_RESULT_DESC.into(), r.message);
            }
            let body = if r.body.is_empty() {
                let version = if encoding == Some(Encoding::TupV2) {
                    tup::Version::V2
                } else {
                    tup::Version::V3
                };
                tup::UniAttribute::new(version).encode()
            } else {
                r.body
            };
            let packet = RequestPacket {
                i_version: to.version,
                c_packet_type: 0,
                i_message_type: to.message_type,
                i_request_id: to.request_id,
                s_servant_name: to.servant.to_string(),
                s_func_name: to.function.to_string(),
                s_buffer: body,
                i_timeout: 0,
                context: r.context,
                status,
            };
            frame::encode_frame(buf, |b| packet.encode_fields(b));
        }
        _ => {
            let packet = ResponsePacket {
                i_version: to.version,
                c_packet_type: 0,
                i_request_id: to.request_id,
                i_message_type: to.message_type,
                i_ret: r.code,
                s_buffer: r.body,
                status: r.status,
                s_result_desc: r.message,
                context: r.context,
            };
            frame::encode_frame(buf, |b| packet.encode_fields(b));
        }
    }
}
