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
use crate::facts::reason;

pub const VERSION: &str = "2014-05-26";

/// Every action preflight calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES,
    DESCRIBE_INSTANCE_TYPES,
    DESCRIBE_AVAILABLE_RESOURCE,
    DESCRIBE_ACCOUNT_ATTRIBUTES,
];
pub const DESCRIBE_IMAGES: &str = "DescribeImages";
pub const DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES: &str = "DescribeImageSupportInstanceTypes";
pub const DESCRIBE_INSTANCE_TYPES: &str = "DescribeInstanceTypes";
pub const DESCRIBE_AVAILABLE_RESOURCE: &str = "DescribeAvailableResource";
pub const DESCRIBE_ACCOUNT_ATTRIBUTES: &str = "DescribeAccountAttributes";
/// The write action of the opt-in dry run (`--dry-run`): apart from `OPERATIONS`, which are
/// all read-only.
pub const RUN_INSTANCES: &str = "RunInstances";

/// A dry run's answer is its verdict: `DryRunOperation` (it would go through) or the code of
/// what would fail, both as errors. Only throttling, server faults and refused credentials are
/// read as `classify` reads them.
pub fn classify_dry_run(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let code = text_field(json.as_ref(), "Code");
    let transient = code.starts_with("Throttling")
        || matches!(
            code.as_str(),
            "InternalError" | "UnknownError" | "ServiceUnavailable"
        )
        || r.status >= 500;
    let refused_key = code.starts_with("InvalidAccessKeyId")
        || matches!(
            code.as_str(),
            "SignatureDoesNotMatch" | "IncompleteSignature" | "InvalidTimeStamp.Expired"
        );
    if code.starts_with("Forbidden") || code.starts_with("NoPermission") {
        let message = text_field(json.as_ref(), "Message");
        return Class::Fail(format!(
            "the key may not call RunInstances ({code}: {message}); the dry run needs the `ecs:RunInstances` permission"
        ));
    }
    match json {
        Some(j) if !code.is_empty() && !transient && !refused_key => Class::Ok(j),
        _ => classify(r),
    }
}

/// The VPC product's actions (version 2016-04-28, same signature, its own host): a vSwitch's
/// zone. RAM names them `vpc:…`.
pub const VPC_OPERATIONS: &[&str] = &[DESCRIBE_VSWITCHES];
pub const DESCRIBE_VSWITCHES: &str = "DescribeVSwitches";
pub const VPC_VERSION: &str = "2016-04-28";

/// The VPC endpoint of a region: `vpc.{region}.aliyuncs.com`, except where the official
/// SDK's endpoint table (`alibabacloud_vpc20160428` `client.py`) names the central endpoint.
pub fn vpc_host(region: &str) -> String {
    const CENTRAL: &[&str] = &[
        "cn-hangzhou",
        "cn-shanghai-finance-1",
        "cn-shenzhen-finance-1",
        "cn-north-2-gov-1",
        "ap-northeast-2-pop",
        "cn-beijing-finance-pop",
        "cn-beijing-gov-1",
        "cn-fujian",
        "cn-hangzhou-finance",
        "cn-hongkong-finance-pop",
        "cn-wuhan",
        "cn-zhangbei",
        "rus-west-1-pop",
    ];
    if CENTRAL.contains(&region) {
        "vpc.aliyuncs.com".to_string()
    } else if region == "cn-edge-1" {
        "vpc-nebula.cn-qingdao-nebula.aliyuncs.com".to_string()
    } else {
        format!("vpc.{region}.aliyuncs.com")
    }
}

/// A vSwitch id VPC says it does not know is a not-found, as an empty listing is.
pub fn classify_vswitch(r: &Response) -> Class {
    let json: Option<Value> = serde_json::from_slice(&r.body).ok();
    let code = text_field(json.as_ref(), "Code");
    if code.eq_ignore_ascii_case("InvalidVSwitchId.NotExist")
        || code.eq_ignore_ascii_case("InvalidVSwitchId.NotFound")
    {
        return Class::NotFound(text_field(json.as_ref(), "Message"));
    }
    classify(r)
}

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
    // VPC's actions go to VPC's host, unless an endpoint is configured for the cloud.
    let vpc = VPC_OPERATIONS.contains(&action);
    let endpoint = match client.config.configured(Cloud::Aliyun) {
        Some(endpoint) => endpoint,
        None if vpc => crate::clouds::provider::https(vpc_host(region)),
        None => client.config.endpoint(Cloud::Aliyun, region),
    };
    let version = if vpc { VPC_VERSION } else { VERSION };
    let query_text = query_string(query);
    let body_hash = sha256_hex(b"");
    let build = || {
        let date = sign::date(now());
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", &endpoint.authority),
            ("x-acs-action", action),
            ("x-acs-version", version),
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
        _ if auth => Class::Fail(reason::refused(
            "Alibaba Cloud",
            &format!("{code}: {message}"),
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
        (status, _) => Class::Fail(reason::answered(
            "Alibaba Cloud",
            status,
            &format!("{code}: {message}"),
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
        assert_eq!(vpc_host("cn-beijing"), "vpc.cn-beijing.aliyuncs.com");
        assert_eq!(vpc_host("cn-hangzhou"), "vpc.aliyuncs.com");
        assert_eq!(
            vpc_host("cn-edge-1"),
            "vpc-nebula.cn-qingdao-nebula.aliyuncs.com"
        );
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
