//! Base64 (the standard alphabet, padded), as `sw8` and TarsWeb's call-chain lines carry
//! text: shared by the propagators, the call chain and the SkyWalking reporter.

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    base64_encode_into(&mut out, bytes);
    out
}

/// An `sw8` value: `<sampled>-<trace>-<segment>-<span>-<service>-<instance>-<endpoint>-<address>`,
/// each text in base64 (the propagator's and the SkyWalking reporter's, written in one
/// buffer).
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_sw8(
    sampled: bool,
    trace_id: &str,
    segment_id: &str,
    span_id: i32,
    service: &str,
    instance: &str,
    endpoint: &str,
    address: &str,
) -> String {
    let texts = [trace_id, segment_id, service, instance, endpoint, address];
    let mut out = String::with_capacity(16 + texts.iter().map(|t| t.len().div_ceil(3) * 4 + 1).sum::<usize>());
    out.push_str(if sampled { "1" } else { "0" });
    for (i, text) in texts.into_iter().enumerate() {
        out.push('-');
        if i == 2 {
            out.push_str(&span_id.to_string());
            out.push('-');
        }
        base64_encode_into(&mut out, text.as_bytes());
    }
    out
}

/// Appends `bytes` in base64 to `out`.
pub(crate) fn base64_encode_into(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Each byte's value in [`BASE64`], or [`NOT_BASE64`]: a look-up per byte where a search of
/// the alphabet cost ~100 instructions (an `sw8` has ~150 bytes of base64 to read).
const DECODE: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let mut i = 0;
    while i < BASE64.len() {
        table[BASE64[i] as usize] = i as u8;
        i += 1;
    }
    table
};

const NOT_BASE64: u8 = 0xff;

pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match DECODE[usize::from(c)] {
            NOT_BASE64 => return None,
            v => u32::from(v),
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_base64() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "propagation:5566"] {
            let encoded = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&encoded).as_deref(), Some(text.as_bytes()), "{encoded}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        let every_byte: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&every_byte)), Some(every_byte));
        // go2sky's own example context.
        assert_eq!(
            encode_sw8(true, "1f2d4bf47bf711eab794acde48001122", "1e7c204a7bf711eab858acde48001122", 3, "service", "instance", "propagation", "propagation:5566"),
            "1-MWYyZDRiZjQ3YmY3MTFlYWI3OTRhY2RlNDgwMDExMjI=-MWU3YzIwNGE3YmY3MTFlYWI4NThhY2RlNDgwMDExMjI=-3-c2VydmljZQ==-aW5zdGFuY2U=-cHJvcGFnYXRpb24=-cHJvcGFnYXRpb246NTU2Ng=="
        );
        assert!(encode_sw8(false, "t", "s", 1, "a", "b", "c", "").starts_with("0-dA==-cw==-1-"));
        assert!(
            encode_sw8(false, "t", "s", 1, "a", "b", "c", "").ends_with("-Yw==-"),
            "an empty address, filled in later"
        );
        for bad in ["Zm9v-mFy", "Zm9v YmFy", "Zm9vYmFy\u{e9}", "Zm9v_mFy"] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }
}
