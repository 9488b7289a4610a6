//! Alibaba Cloud ECS's requests: signed RPC calls (`ACS3-HMAC-SHA256`, POST `/` with the
//! parameters in the query) to the region's endpoint, and how answers are classified (the
//! result, or `{"Code", "Message", "RequestId"}` with 4xx/5xx).

use serde_json::Value;

use super::sign;
use crate::cloud::Cloud;
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::sign::{now, query_string, sha256_hex};
use crate::clouds::slots::Priority;
use crate::clouds::{Client, text_field};

pub const VERSION: &str = "2014-05-26";

/// Every action preflight calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES,
    DESCRIBE_INSTANCE_TYPES,
    DESCRIBE_AVAILABLE_RESOURCE,
];
pub const DESCRIBE_IMAGES: &str = "DescribeImages";
pub const DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES: &str = "DescribeImageSupportInstanceTypes";
pub const DESCRIBE_INSTANCE_TYPES: &str = "DescribeInstanceTypes";
pub const DESCRIBE_AVAILABLE_RESOURCE: &str = "DescribeAvailableResource";

/// The ECS endpoint of a region: `ecs.{region}.aliyuncs.com`, except where the official SDK's
/// endpoint table says otherwise (the central endpoint, the finance and government regions).
pub fn host(region: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com"),
        ("cn-shanghai-finance-1", "ecs-cn-hangzhou.aliyuncs.com"),
        ("cn-shenzhen-finance-1", "ecs-cn-hangzhou.aliyuncs.com"),
        ("cn-hangzhou-finance", "ecs.aliyuncs.com"),
        ("cn-beijing-finance-pop", "ecs.aliyuncs.com"),
        ("cn-hongkong-finance-pop", "ecs.aliyuncs.com"),
        ("cn-north-2-gov-1", "ecs.aliyuncs.com"),
        ("cn-beijing-gov-1", "ecs.aliyuncs.com"),
        ("cn-fujian", "ecs-cn-hangzhou.aliyuncs.com"),
        ("cn-wuhan", "ecs.aliyuncs.com"),
        ("cn-zhangbei", "ecs.aliyuncs.com"),
        ("cn-edge-1", "ecs.cn-qingdao-nebula.aliyuncs.com"),
        ("ap-northeast-2-pop", "ecs.aliyuncs.com"),
        ("rus-west-1-pop", "ecs.aliyuncs.com"),
    ];
    TABLE.iter().find(|(r, _)| *r == region).map_or_else(
        || format!("ecs.{region}.aliyuncs.com"),
        |(_, h)| h.to_string(),
    )
}

/// A comma list of image ids refused as malformed is no answer about any of them: each is
/// then asked alone. Everything else reads as `classify` reads it.
pub fn classify_batch(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let code = text_field(json.as_ref(), "Code");
    if r.status == 400
        && (code.starts_with("InvalidImageId") || code.starts_with("InvalidParameter"))
    {
        return Class::NotFound(format!("the list of image ids was refused ({code})"));
    }
    classify(r)
}

/// A signed RPC call: POST `/` with the parameters in the query, as the SDK sends it.
pub(super) async fn call(
    client: &Client,
    region: &str,
    action: &str,
    priority: Priority,
    query: &[(String, String)],
) -> Result<Answer, String> {
    call_with(client, region, action, priority, query, classify).await
}

/// `call`, with answers read by `classify`.
pub(super) async fn call_with(
    client: &Client,
    region: &str,
    action: &str,
    priority: Priority,
    query: &[(String, String)],
    classify: fn(&Response) -> Class,
) -> Result<Answer, String> {
    let endpoint = client.config.endpoint(Cloud::Aliyun, region);
    let query_text = query_string(query);
    let body_hash = sha256_hex(b"");
    let build = || {
        let date = sign::date(now());
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", &endpoint.authority),
            ("x-acs-action", action),
            ("x-acs-version", VERSION),
            ("x-acs-date", &date),
            ("x-acs-signature-nonce", &nonce),
            ("x-acs-content-sha256", &body_hash),
        ];
        if let Some(token) = &client.credentials.token {
            headers.push(("x-acs-security-token", token.expose()));
        }
        let signature = sign::sign_v3(
            &client.credentials.access_key_id,
            client.credentials.secret.expose(),
            &sign::Request {
                method: "POST",
                path: "/",
                query,
                headers: &headers,
                body: b"",
            },
        );
        let mut sent: Vec<(String, String)> = headers
            .iter()
            .filter(|(k, _)| *k != "host")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        sent.push(("authorization".to_string(), signature.authorization));
        Call {
            method: reqwest::Method::POST,
            url: format!("{}/?{query_text}", endpoint.base()),
            headers: sent,
            body: Vec::new(),
        }
    };
    client.send(action, priority, build, classify).await
}

/// Alibaba's answers: the result object, or `{"Code", "Message", "RequestId"}` with 4xx/5xx.
pub fn classify(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let code = text_field(json.as_ref(), "Code");
    let message = text_field(json.as_ref(), "Message");
    let auth = code.starts_with("InvalidAccessKeyId")
        || code.starts_with("Forbidden")
        || matches!(
            code.as_str(),
            "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "InvalidTimeStamp.Expired"
                | "SignatureNonceUsed"
        );
    match (r.status, json) {
        (200, Some(j)) if code.is_empty() => Class::Ok(j),
        (200, None) => Class::Fail("Alibaba Cloud's answer is not valid JSON".to_string()),
        _ if auth => Class::Fail(format!(
            "Alibaba Cloud refused the credentials ({code}: {message})"
        )),
        _ if code.starts_with("Throttling") || (r.status == 429 && code.is_empty()) => {
            Class::throttled("Alibaba Cloud", r, &code)
        }
        // An unknown region is no answer about anything in it.
        _ if code.starts_with("InvalidRegionId") => Class::Fail(format!(
            "Alibaba Cloud does not know the region ({code}: {message})"
        )),
        _ if matches!(
            code.as_str(),
            "InternalError" | "UnknownError" | "ServiceUnavailable"
        ) || r.status >= 500 =>
        {
            Class::retry("Alibaba Cloud", r, &code)
        }
        _ if code.ends_with(".NotFound") || r.status == 404 => Class::NotFound(message),
        (status, _) => Class::Fail(format!(
            "Alibaba Cloud answered HTTP {status} {code}: {message}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finance_and_government_regions_use_the_sdks_endpoints() {
        assert_eq!(host("cn-beijing"), "ecs.cn-beijing.aliyuncs.com");
        assert_eq!(host("cn-hangzhou"), "ecs-cn-hangzhou.aliyuncs.com");
        assert_eq!(
            host("cn-shanghai-finance-1"),
            "ecs-cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(host("cn-hangzhou-finance"), "ecs.aliyuncs.com");
        assert_eq!(host("cn-north-2-gov-1"), "ecs.aliyuncs.com");
    }

    #[test]
    fn a_refused_list_of_ids_is_asked_again_one_by_one_and_a_bad_region_is_a_failure() {
        let response = |status: u16, code: &str| Response {
            status,
            headers: Default::default(),
            body: format!(r#"{{"RequestId":"x","Code":"{code}","Message":"m"}}"#).into_bytes(),
        };
        assert!(matches!(
            classify_batch(&response(400, "InvalidImageId.Malformed")),
            Class::NotFound(_)
        ));
        assert!(matches!(
            classify(&response(400, "InvalidImageId.Malformed")),
            Class::Fail(_)
        ));
        assert!(matches!(
            classify(&response(404, "InvalidRegionId.NotFound")),
            Class::Fail(_)
        ));
        assert!(matches!(
            classify(&response(400, "Throttling.User")),
            Class::Throttled { .. }
        ));
    }
}
