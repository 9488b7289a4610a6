//! Zenlayer `ZC2-HMAC-SHA256` (providers.md §3a): a fixed canonical request (`POST`, `/`, only
//! `content-type` and `host`), the body hash, and HMAC with the raw secret.

pub use crate::clouds::sign::Signature;
use crate::clouds::sign::{hmac_sha256, sha256_hex};

pub const ALGORITHM: &str = "ZC2-HMAC-SHA256";

/// `timestamp` is the value of `x-zc-timestamp` (unix seconds); `body` the exact bytes sent.
pub fn sign(
    access_key: &str,
    secret: &str,
    timestamp: i64,
    content_type: &str,
    host: &str,
    body: &[u8],
) -> Signature {
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}",
        sha256_hex(body)
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = hex::encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={access_key}, SignedHeaders=content-type;host, Signature={signature}"
    );
    Signature {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::sign::vectors::{self, s};

    #[test]
    fn reproduces_every_zenlayer_vector() {
        let all = vectors::all("zenlayer");
        assert_eq!(all.len(), 5);
        for v in all {
            let (input, expected) = (&v["input"], &v["expected"]);
            let got = sign(
                s(&input["access_key"]),
                s(&input["secret"]),
                input["timestamp"].as_i64().expect("timestamp"),
                s(&expected["headers"]["Content-Type"]),
                s(&input["host"]),
                s(&input["body"]).as_bytes(),
            );
            vectors::assert_signature(&got, &v);
        }
    }
}
