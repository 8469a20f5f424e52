//! Share links: a paste compressed with DEFLATE and written in URL-safe base64, for the URL fragment.

use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec_with_limit;

/// Largest text a share link may expand to: a link is a convenience for small, redacted dumps.
pub const MAX_SHARED_BYTES: usize = 4 * 1024 * 1024;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Compresses `text` and encodes it for a URL fragment.
pub fn encode(text: &str) -> String {
    base64url_encode(&compress_to_vec(text.as_bytes(), 9))
}

/// Reverses [`encode`]. `None` when the data is not base64url, not DEFLATE, not UTF-8, or would expand
/// past [`MAX_SHARED_BYTES`].
pub fn decode(data: &str) -> Option<String> {
    let bytes = base64url_decode(data)?;
    let text = decompress_to_vec_with_limit(&bytes, MAX_SHARED_BYTES).ok()?;
    String::from_utf8(text).ok()
}

/// Base64 with the URL alphabet and no padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let digits = chunk.len() + 1;
        for i in 0..digits {
            let index = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Reverses [`base64url_encode`]; also accepts `+`, `/` and trailing `=`.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_values() {
        assert_eq!(base64url_encode(b""), "");
        assert_eq!(base64url_encode(b"f"), "Zg");
        assert_eq!(base64url_encode(b"fo"), "Zm8");
        assert_eq!(base64url_encode(b"foo"), "Zm9v");
        assert_eq!(base64url_encode(b"foob"), "Zm9vYg");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base64url_decode("Zm9vYg==").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base64url_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64url_decode("a b"), None);
    }

    #[test]
    fn round_trips_a_dump() {
        let text = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-X\nCOMMIT\n";
        let encoded = encode(text);
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(decode(&encoded).as_deref(), Some(text));
    }

    #[test]
    fn rejects_garbage_and_bombs() {
        assert_eq!(decode("!!!"), None);
        assert_eq!(decode("AAAA"), None);
        let big = "a".repeat(MAX_SHARED_BYTES + 1);
        assert_eq!(decode(&encode(&big)), None);
    }
}
