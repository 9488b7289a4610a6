//! The pieces every cloud's request signing shares: hashing, HMAC, RFC 3986 encoding and
//! timestamps. Each cloud's signer (`jdcloud/sign.rs`, `aliyun/sign.rs`, `zenlayer/sign.rs`)
//! is a pure function of credentials, time, nonce and request built from these.

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// RFC 3986 unreserved characters stay; everything else is `%XX` with uppercase hex.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Like `UNRESERVED`, but `/` stays too (paths).
pub const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 3986 percent-encoding of a query key or value.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Percent-decoding where `+` means a space, as query strings are read.
pub fn decode_query_component(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// `k=v&k=v` with both sides encoded, in the order given.
pub fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A computed signature and every intermediate, so tests and the fake cloud can compare them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub authorization: String,
}

/// Canonical headers (`name:value\n`, names lowercased, values trimmed, sorted by name) and
/// the `;`-joined list of their names, as SigV4-style schemes sign them.
pub fn canonical_headers(headers: impl IntoIterator<Item = (String, String)>) -> (String, String) {
    let mut headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.sort();
    let canonical = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (canonical, signed)
}

/// Already-encoded pairs sorted as strings and joined as `k=v&k=v`.
pub fn sorted_query(mut encoded: Vec<(String, String)>) -> String {
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A UTC time as the clouds write it.
pub fn utc(timestamp: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default()
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
pub(crate) mod vectors {
    //! The signing vectors computed by the clouds' own SDKs (copied from shared/vectors so the
    //! tests run anywhere).
    use serde_json::Value;

    pub fn all(provider: &str) -> Vec<Value> {
        let text = include_str!("../../testdata/vectors/signing.json");
        let all: Vec<Value> = serde_json::from_str(text).expect("vectors parse");
        all.into_iter()
            .filter(|v| v["provider"] == provider)
            .collect()
    }

    pub fn pairs(v: &Value) -> Vec<(String, String)> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|p| (s(&p[0]).to_string(), s(&p[1]).to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn s(v: &Value) -> &str {
        v.as_str().unwrap_or("")
    }

    /// The four things every vector pins: canonical request, string to sign, signature and
    /// the Authorization header (from `expected.authorization` or the expected headers).
    pub fn assert_signature(got: &super::Signature, v: &Value) {
        let (expected, id) = (&v["expected"], &v["id"]);
        let authorization = expected["authorization"]
            .as_str()
            .unwrap_or_else(|| s(&expected["headers"]["Authorization"]));
        assert_eq!(
            got.canonical_request,
            s(&expected["canonical_request"]),
            "{id}"
        );
        assert_eq!(got.string_to_sign, s(&expected["string_to_sign"]), "{id}");
        assert_eq!(got.signature, s(&expected["signature"]), "{id}");
        assert_eq!(got.authorization, authorization, "{id}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_rfc_3986() {
        assert_eq!(encode("a b/c*~+中"), "a%20b%2Fc%2A~%2B%E4%B8%AD");
        assert_eq!(decode_query_component("a+b%2Fc"), "a b/c");
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
