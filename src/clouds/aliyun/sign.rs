//! Alibaba Cloud signatures (providers.md §2a). preflight sends `ACS3-HMAC-SHA256` (v3:
//! parameters stay in the query, the signature in `Authorization`); the RPC v1 `HMAC-SHA1`
//! signer (signature in the query) is kept for completeness and checked against the SDK too.

use base64::Engine;

pub use crate::clouds::sign::Signature;
use crate::clouds::sign::{
    canonical_headers, encode, hmac_sha1, hmac_sha256, sha256_hex, sorted_query,
};

pub const ACS3: &str = "ACS3-HMAC-SHA256";

/// What an ACS3 signature covers.
pub struct Request<'a> {
    pub method: &'a str,
    /// Always `/` for RPC-style APIs such as ECS.
    pub path: &'a str,
    /// Query parameters (unencoded).
    pub query: &'a [(String, String)],
    /// Headers to sign, as (name, value): at least `host` and the `x-acs-*` ones.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// ACS3-HMAC-SHA256.
pub fn sign_v3(access_key: &str, secret: &str, req: &Request) -> Signature {
    let canonical_query = sorted_query(
        req.query
            .iter()
            .map(|(k, v)| (encode(k), encode(v)))
            .collect(),
    );
    let (canonical_headers, signed_headers) = canonical_headers(
        req.headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .filter(|(k, _)| k != "authorization"),
    );
    let canonical_request = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method,
        req.path,
        sha256_hex(req.body)
    );
    let string_to_sign = format!("{ACS3}\n{}", sha256_hex(canonical_request.as_bytes()));
    let signature = hex::encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()));
    let authorization = format!(
        "{ACS3} Credential={access_key},SignedHeaders={signed_headers},Signature={signature}"
    );
    Signature {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
    }
}

/// `x-acs-date` / v1 `Timestamp` for a unix time.
pub fn date(timestamp: i64) -> String {
    crate::clouds::sign::utc(timestamp)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// RPC v1: the string to sign and the base64 signature over every parameter (query and form),
/// which must already include the common ones (`Timestamp`, `SignatureNonce`, …).
pub fn sign_v1(secret: &str, method: &str, params: &[(String, String)]) -> (String, String) {
    let canonical = sorted_query(params.iter().map(|(k, v)| (encode(k), encode(v))).collect());
    let string_to_sign = format!("{method}&%2F&{}", encode(&canonical));
    let mac = hmac_sha1(format!("{secret}&").as_bytes(), string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac);
    (string_to_sign, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::sign::vectors::{self, s};

    #[test]
    fn reproduces_every_acs3_vector() {
        let all: Vec<_> = vectors::all("aliyun")
            .into_iter()
            .filter(|v| v["algorithm"] == ACS3)
            .collect();
        assert_eq!(all.len(), 5);
        for v in all {
            let (input, expected, id) = (&v["input"], &v["expected"], &v["id"]);
            let date = date(input["timestamp"].as_i64().expect("timestamp"));
            let body = s(&input["body"]);
            let body_hash = sha256_hex(body.as_bytes());
            let mut headers: Vec<(&str, &str)> = vec![
                ("host", s(&input["host"])),
                ("x-acs-action", s(&input["action"])),
                ("x-acs-version", s(&input["version"])),
                ("x-acs-date", &date),
                ("x-acs-signature-nonce", s(&input["nonce"])),
                ("x-acs-content-sha256", &body_hash),
            ];
            if let Some(ct) = input["content_type"].as_str() {
                headers.push(("content-type", ct));
            }
            if let Some(extra) = input["headers"].as_object() {
                for (k, val) in extra {
                    headers.push((k.as_str(), s(val)));
                }
            }
            let query = vectors::pairs(&input["query"]);
            let got = sign_v3(
                s(&input["access_key"]),
                s(&input["secret"]),
                &Request {
                    method: s(&input["method"]),
                    path: s(&input["path"]),
                    query: &query,
                    headers: &headers,
                    body: body.as_bytes(),
                },
            );
            vectors::assert_signature(&got, &v);
            assert_eq!(
                crate::clouds::sign::query_string(&query),
                s(&expected["query_string"]),
                "{id}"
            );
        }
    }

    #[test]
    fn reproduces_every_rpc_v1_vector() {
        let all: Vec<_> = vectors::all("aliyun")
            .into_iter()
            .filter(|v| v["algorithm"] != ACS3)
            .collect();
        assert_eq!(all.len(), 5);
        for v in all {
            let (input, expected, id) = (&v["input"], &v["expected"], &v["id"]);
            let mut params = vectors::pairs(&input["query"]);
            for (k, val) in [
                (
                    "Timestamp",
                    date(input["timestamp"].as_i64().expect("timestamp")),
                ),
                ("SignatureMethod", "HMAC-SHA1".to_string()),
                ("SignatureType", String::new()),
                ("SignatureVersion", "1.0".to_string()),
                ("SignatureNonce", s(&input["nonce"]).to_string()),
                ("AccessKeyId", s(&input["access_key"]).to_string()),
                ("Format", "JSON".to_string()),
            ] {
                params.push((k.to_string(), val));
            }
            let wire = crate::clouds::sign::query_string(&params);
            params.extend(vectors::pairs(&input["form"]));
            let (string_to_sign, signature) =
                sign_v1(s(&input["secret"]), s(&input["method"]), &params);
            assert_eq!(string_to_sign, s(&expected["string_to_sign"]), "{id}");
            assert_eq!(signature, s(&expected["signature"]), "{id}");
            let with_signature = format!("{wire}&Signature={}", encode(&signature));
            assert_eq!(with_signature, s(&expected["query_string"]), "{id}");
        }
    }
}
