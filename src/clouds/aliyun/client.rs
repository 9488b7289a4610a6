//! Fetches Alibaba Cloud ECS facts for some regions: per region, `DescribeImages`
//! (`Status=ALL`, so deprecated images are not "missing"; up to 100 comma-separated ids),
//! one `DescribeImageSupportInstanceTypes` per image (the API takes one), and
//! `DescribeInstanceTypes` in chunks of 10. All concurrent, signed with ACS3-HMAC-SHA256.
//! Alibaba has no custom-image quota API we know of, so quota is never asked.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::sign;
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::jdcloud::client::{MAX_PAGES, arch};
use crate::clouds::sign::{now, query_string, sha256_hex};
use crate::clouds::slots::Priority;
use crate::clouds::{
    Client, Cloud, RegionNeeds, all, chunks, per_region, record_types, text_field,
};
use crate::facts::{Constraint, Fetched, ImageFact, ImageInfo, InstanceTypes, RegionFacts};

const VERSION: &str = "2014-05-26";

/// Every action this client calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES,
    DESCRIBE_INSTANCE_TYPES,
];
const DESCRIBE_IMAGES: &str = "DescribeImages";
const DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES: &str = "DescribeImageSupportInstanceTypes";
const DESCRIBE_INSTANCE_TYPES: &str = "DescribeInstanceTypes";

pub async fn fetch(
    client: Arc<Client>,
    regions: Vec<(String, RegionNeeds)>,
) -> Vec<(String, RegionFacts)> {
    per_region(client, regions, |client, region, needs| async move {
        fetch_region(&client, &region, &needs).await
    })
    .await
}

async fn fetch_region(client: &Arc<Client>, region: &str, needs: &RegionNeeds) -> RegionFacts {
    let image_chunks = chunks(&needs.images, 100);
    let images = all(image_chunks
        .iter()
        .map(|ids| describe_images(Arc::clone(client), region.to_string(), ids.clone()))
        .collect());
    let supports = all(needs
        .images
        .iter()
        .map(|id| supported_types(Arc::clone(client), region.to_string(), id.clone()))
        .collect());
    let types = instance_types(client, region, needs);
    let (images, supports, types) = tokio::join!(images, supports, types);
    let supports: BTreeMap<&String, Constraint> = needs.images.iter().zip(supports).collect();

    let mut facts = RegionFacts {
        instance_types: Some(types),
        ..RegionFacts::default()
    };
    for (ids, found) in image_chunks.iter().zip(images) {
        for id in ids {
            let fact = match &found {
                Err(reason) => ImageFact::Error {
                    reason: reason.clone(),
                },
                Ok(map) => match map.get(id) {
                    None => ImageFact::NotFound,
                    Some(image) => {
                        let status = image["Status"].as_str().unwrap_or("unknown").to_string();
                        ImageFact::Found(ImageInfo {
                            usable: status == "Available",
                            status,
                            architecture: arch(&image["Architecture"]),
                            min_system_disk_gb: image["Size"]
                                .as_u64()
                                .and_then(|n| u32::try_from(n).ok()),
                            constraint: supports.get(id).cloned(),
                        })
                    }
                },
            };
            facts.images.insert(id.clone(), fact);
        }
    }
    facts
}

async fn describe_images(
    client: Arc<Client>,
    region: String,
    ids: Vec<String>,
) -> Result<BTreeMap<String, Value>, String> {
    let mut found = BTreeMap::new();
    for page in 1..=MAX_PAGES {
        let query = vec![
            ("RegionId".to_string(), region.clone()),
            ("ImageId".to_string(), ids.join(",")),
            ("Status".to_string(), "ALL".to_string()),
            ("PageSize".to_string(), "100".to_string()),
            ("PageNumber".to_string(), page.to_string()),
        ];
        match call(&client, &region, DESCRIBE_IMAGES, Priority::Shared, &query).await {
            Ok(Answer::Json(json)) => {
                let list = json["Images"]["Image"].as_array().ok_or_else(|| {
                    "DescribeImages: Alibaba Cloud's answer has an unexpected shape".to_string()
                })?;
                let new = list.len();
                found.extend(
                    list.iter()
                        .filter_map(|i| Some((i["ImageId"].as_str()?.to_string(), i.clone()))),
                );
                let total = json["TotalCount"].as_u64().unwrap_or(0) as usize;
                if new == 0 || found.len() >= total {
                    break;
                }
            }
            Ok(Answer::NotFound(_)) => break,
            Err(reason) => return Err(format!("DescribeImages: {reason}")),
        }
    }
    Ok(found)
}

async fn supported_types(client: Arc<Client>, region: String, image: String) -> Constraint {
    let query = vec![
        ("RegionId".to_string(), region.clone()),
        ("ImageId".to_string(), image),
    ];
    match call(
        &client,
        &region,
        DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES,
        Priority::PerImage,
        &query,
    )
    .await
    {
        Ok(Answer::Json(json)) => parse_supported(&json),
        Ok(Answer::NotFound(m)) => {
            Constraint::Error(format!("DescribeImageSupportInstanceTypes: not found: {m}"))
        }
        Err(reason) => Constraint::Error(format!("DescribeImageSupportInstanceTypes: {reason}")),
    }
}

/// `DescribeImageSupportInstanceTypes`'s answer: the image's includes list.
pub fn parse_supported(json: &Value) -> Constraint {
    match json["InstanceTypes"]["InstanceType"].as_array() {
        Some(list) => Constraint::Includes(
            list.iter()
                .filter_map(|t| t["InstanceTypeId"].as_str().map(str::to_string))
                .collect(),
        ),
        None => Constraint::Error(
            "DescribeImageSupportInstanceTypes: Alibaba Cloud's answer has an unexpected shape"
                .to_string(),
        ),
    }
}

async fn instance_types(
    client: &Arc<Client>,
    region: &str,
    needs: &RegionNeeds,
) -> Fetched<InstanceTypes> {
    let answers = all(chunks(&needs.instance_types, 10)
        .into_iter()
        .map(|names| {
            let client = Arc::clone(client);
            let region = region.to_string();
            async move {
                let mut query = vec![("RegionId".to_string(), region.clone())];
                query.extend(
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (format!("InstanceTypes.{}", i + 1), t.clone())),
                );
                (names, instance_type_pages(&client, &region, query).await)
            }
        })
        .collect())
    .await;
    let mut known = InstanceTypes::default();
    for (names, answer) in answers {
        let json = match answer {
            Ok(Answer::Json(j)) => j,
            Ok(Answer::NotFound(_)) => Value::Null,
            Err(reason) => return Fetched::Error(format!("DescribeInstanceTypes: {reason}")),
        };
        let list = if json.is_null() {
            Vec::new()
        } else {
            match json["InstanceTypes"]["InstanceType"].as_array() {
                Some(list) => list.clone(),
                None => {
                    return Fetched::Error(
                        "DescribeInstanceTypes: Alibaba Cloud's answer has an unexpected shape"
                            .to_string(),
                    );
                }
            }
        };
        record_types(
            &mut known,
            &list,
            "InstanceTypeId",
            "CpuArchitecture",
            names,
        );
    }
    Fetched::Known(known)
}

/// Every page of one `DescribeInstanceTypes` query, following `NextToken`; the answer's
/// `InstanceTypes.InstanceType` lists joined.
async fn instance_type_pages(
    client: &Client,
    region: &str,
    query: Vec<(String, String)>,
) -> Result<Answer, String> {
    let mut types: Vec<Value> = Vec::new();
    let mut token = String::new();
    for _ in 0..MAX_PAGES {
        let mut q = query.clone();
        if !token.is_empty() {
            q.push(("NextToken".to_string(), token.clone()));
        }
        let json = match call(
            client,
            region,
            DESCRIBE_INSTANCE_TYPES,
            Priority::Shared,
            &q,
        )
        .await?
        {
            Answer::Json(j) => j,
            other => return Ok(other),
        };
        let Some(list) = json["InstanceTypes"]["InstanceType"].as_array() else {
            return Ok(Answer::Json(json));
        };
        types.extend(list.iter().cloned());
        token = json["NextToken"].as_str().unwrap_or("").to_string();
        if token.is_empty() || list.is_empty() {
            break;
        }
    }
    Ok(Answer::Json(
        serde_json::json!({"InstanceTypes": {"InstanceType": types}}),
    ))
}

/// A signed RPC call: POST `/` with the parameters in the query, as the SDK sends it.
async fn call(
    client: &Client,
    region: &str,
    action: &str,
    priority: Priority,
    query: &[(String, String)],
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
