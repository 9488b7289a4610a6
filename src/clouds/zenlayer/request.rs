//! Zenlayer's requests: signed POSTs (`ZC2-HMAC-SHA256`) to
//! `console.zenlayer.com/api/v2/<service>` with the action in `X-ZC-Action` and the parameters
//! as JSON, for the VM service (version 2026-04-01) and Zenlayer Elastic Compute (`zec`,
//! 2025-09-01); and how answers are classified (`{"requestId", "response": …}`, or
//! `{"requestId", "code", "message"}` with a non-200 status).

use serde_json::Value;

use super::sign;
use crate::cloud::{Cloud, Service};
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::sign::now;
use crate::clouds::slots::Priority;
use crate::clouds::{Client, text_field};
use crate::facts::reason;

const VM_VERSION: &str = "2026-04-01";
const ZEC_VERSION: &str = "2025-09-01";

pub const DESCRIBE_IMAGES: &str = "DescribeImages";
pub const DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS: &str = "DescribeZoneInstanceConfigInfos";
pub const DESCRIBE_IMAGE_QUOTA: &str = "DescribeImageQuota";
pub const DESCRIBE_ZONE_GPU_INSTANCE_CONFIG_INFOS: &str = "DescribeZoneGpuInstanceConfigInfos";
pub const DESCRIBE_ZONE_ACCELERATOR_CONFIG_INFOS: &str = "DescribeZoneAcceleratorConfigInfos";
pub const DESCRIBE_DISK_CATEGORY: &str = "DescribeDiskCategory";

/// Every VM action preflight calls: `preflight permissions` lists exactly these.
pub const VM_OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS,
    DESCRIBE_IMAGE_QUOTA,
    DESCRIBE_DISK_CATEGORY,
];

/// Every ZEC action preflight calls.
pub const ZEC_OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS,
    DESCRIBE_ZONE_GPU_INSTANCE_CONFIG_INFOS,
    DESCRIBE_ZONE_ACCELERATOR_CONFIG_INFOS,
    DESCRIBE_DISK_CATEGORY,
];

/// The VM service's `instanceChargeType` for a plan's charge type (it sells no spot
/// instances; plans cannot ask for them).
pub(super) fn vm_charge(charge: crate::cloud::ChargeType) -> &'static str {
    use crate::cloud::ChargeType;
    match charge {
        ChargeType::Prepaid => "PREPAID",
        ChargeType::Postpaid | ChargeType::Spot => "POSTPAID",
    }
}

/// A signed call: POST `/api/v2/<service>`, the action in a header, the parameters as JSON.
pub(super) async fn post(
    client: &Client,
    service: Service,
    action: &str,
    body: &Value,
) -> Result<Answer, String> {
    let endpoint = client.config.endpoint(Cloud::Zenlayer, "");
    let (name, version) = match service {
        Service::Vm => ("vm", VM_VERSION),
        Service::Zec => ("zec", ZEC_VERSION),
    };
    let body = serde_json::to_vec(body).unwrap_or_default();
    let build = || {
        let timestamp = now();
        let content_type = "application/json";
        let signature = sign::sign(
            &client.credentials.access_key_id,
            client.credentials.secret.expose(),
            timestamp,
            content_type,
            &endpoint.authority,
            &body,
        );
        let headers = [
            ("x-zc-version", version.to_string()),
            ("x-zc-service", name.to_string()),
            ("x-zc-action", action.to_string()),
            ("content-type", content_type.to_string()),
            ("x-zc-signature-method", sign::ALGORITHM.to_string()),
            ("x-zc-timestamp", timestamp.to_string()),
            ("authorization", signature.authorization),
        ];
        Call {
            method: reqwest::Method::POST,
            url: format!("{}/api/v2/{name}", endpoint.base()),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            body: body.clone(),
        }
    };
    // Each service has its own limits and log lines.
    let operation = match service {
        Service::Vm => action.to_string(),
        Service::Zec => format!("ZEC {action}"),
    };
    client
        .send(&operation, Priority::Shared, build, classify)
        .await
}

/// Zenlayer's answers: `{"requestId", "response": …}`, or `{"requestId", "code", "message"}`
/// with a non-200 status.
pub fn classify(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let code = text_field(json.as_ref(), "code");
    let message = text_field(json.as_ref(), "message");
    match (r.status, json) {
        (200, Some(j)) if code.is_empty() && j["response"].is_object() => {
            Class::Ok(j["response"].clone())
        }
        (200, Some(_)) if code.is_empty() => {
            Class::Fail("Zenlayer's answer has an unexpected shape (no `response`)".to_string())
        }
        (200, None) => Class::Fail("Zenlayer's answer is not valid JSON".to_string()),
        _ if r.status == 429 || code == "REQUEST_LIMIT_EXCEEDED" => {
            Class::throttled("Zenlayer", r, &code)
        }
        _ if r.status >= 500 => Class::retry("Zenlayer", r, &code),
        (403, _) if r.headers.contains_key("cf-mitigated") => Class::Fail(
            "Zenlayer's Cloudflare front blocked the request with a challenge".to_string(),
        ),
        (401 | 403, _) => Class::Fail(reason::refused(
            "Zenlayer",
            &format!("HTTP {} {code}: {message}", r.status),
        )),
        _ if r.status == 404 || code.ends_with("_NOT_FOUND") => {
            Class::NotFound(format!("{code}: {message}"))
        }
        (status, _) => Class::Fail(reason::answered(
            "Zenlayer",
            status,
            &format!("{code}: {message}"),
        )),
    }
}
