//! JD Cloud's requests: signed GETs to the VM API (`vm.jdcloud-api.com/v1/regions/{r}/…`,
//! `JDCLOUD3-HMAC-SHA256`), and how its answers are classified (`{"result": …}` or
//! `{"error": {"code", "status", "message"}}`, with the statuses JD documents as transient).

use serde_json::Value;

use super::sign;
use crate::cloud::Cloud;
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::sign::{now, query_string};
use crate::clouds::slots::Priority;
use crate::clouds::{Client, text_field};
use crate::facts::reason;

/// Every operation preflight calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_IMAGE_CONSTRAINTS_BATCH,
    DESCRIBE_INSTANCE_TYPES,
    DESCRIBE_QUOTAS,
];
pub const DESCRIBE_IMAGES: &str = "describeImages";
pub const DESCRIBE_IMAGE_CONSTRAINTS_BATCH: &str = "describeImageConstraintsBatch";
pub const DESCRIBE_INSTANCE_TYPES: &str = "describeInstanceTypes";
pub const DESCRIBE_QUOTAS: &str = "describeQuotas";

/// A signed GET, retried as JD Cloud's error codes say.
pub(super) async fn get(
    client: &Client,
    region: &str,
    operation: &str,
    priority: Priority,
    path: &str,
    query: &[(String, String)],
) -> Result<Answer, String> {
    let endpoint = client.config.endpoint(Cloud::Jdcloud, region);
    let query_text = query_string(query);
    let build = || {
        let date = sign::date(now());
        let nonce = uuid::Uuid::new_v4().to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-jdcloud-date", date.as_str()),
            ("x-jdcloud-nonce", nonce.as_str()),
        ];
        let signature = sign::sign(
            &client.credentials.access_key_id,
            client.credentials.secret.expose(),
            &date,
            &sign::Request {
                method: "GET",
                host: &endpoint.authority,
                path,
                query: &query_text,
                headers: &headers,
                body: b"",
                region,
                service: "vm",
            },
        );
        let mut headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        headers.push(("authorization".to_string(), signature.authorization));
        Call {
            method: reqwest::Method::GET,
            url: format!("{}{path}?{query_text}", endpoint.base()),
            headers,
            body: Vec::new(),
        }
    };
    client.send(operation, priority, build, classify).await
}

/// JD Cloud's answers: `{"result": …}` or `{"error": {"code", "status", "message"}}`.
pub fn classify(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let error = json
        .as_ref()
        .map(|j| j["error"].clone())
        .filter(|e| !e.is_null());
    let has_error = error.is_some();
    let word = text_field(error.as_ref(), "status");
    let message = text_field(error.as_ref(), "message");
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    match (r.status, json) {
        (200, Some(j)) if !has_error => Class::Ok(j),
        (200, None) => Class::Fail("JD Cloud's answer is not valid JSON".to_string()),
        (404, _) => Class::NotFound(message),
        (429, _) if word == "QUOTA_EXCEEDED" => Class::Fail(reason::answered(
            "JD Cloud",
            429,
            &format!("QUOTA_EXCEEDED{said}"),
        )),
        _ if word == "RATE_LIMIT" || r.status == 429 => Class::throttled("JD Cloud", r, &word),
        _ if matches!(
            word.as_str(),
            "INTERNAL" | "UNKNOWN" | "SOURCE_UNAVAILABLE" | "UNAVAILABLE"
        ) || matches!(r.status, 500 | 502 | 503) =>
        {
            Class::retry("JD Cloud", r, &word)
        }
        (401 | 403, _) => Class::Fail(reason::refused(
            "JD Cloud",
            &format!("HTTP {} {word}{said}", r.status),
        )),
        (status, _) => Class::Fail(reason::answered(
            "JD Cloud",
            status,
            &format!("{word}{said}"),
        )),
    }
}
