//! Fetches Zenlayer facts for some zones: per zone, `DescribeImages` with all the plans'
//! `imageIds` and `DescribeZoneInstanceConfigInfos` (the zone's whole catalogue), and one
//! `DescribeImageQuota` for every zone where the plans create images. Zenlayer has no
//! image/instance-type constraint API, so constraints are never asked.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::sign;
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::sign::now;
use crate::clouds::slots::Priority;
use crate::clouds::{Client, Cloud, RegionNeeds, all, chunks, text_field};
use crate::facts::{
    Fetched, ImageFact, ImageInfo, InstanceTypeInfo, InstanceTypes, Quota, RegionFacts,
};

const VERSION: &str = "2026-04-01";

/// Every action this client calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS,
    DESCRIBE_IMAGE_QUOTA,
];
const DESCRIBE_IMAGES: &str = "DescribeImages";
const DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS: &str = "DescribeZoneInstanceConfigInfos";
const DESCRIBE_IMAGE_QUOTA: &str = "DescribeImageQuota";
const PAGE: usize = 1000;

pub async fn fetch(
    client: Arc<Client>,
    zones: Vec<(String, RegionNeeds)>,
) -> Vec<(String, RegionFacts)> {
    let quota_zones: Vec<String> = zones
        .iter()
        .filter(|(_, n)| n.quota)
        .map(|(z, _)| z.clone())
        .collect();
    let per_zone = all(zones
        .into_iter()
        .map(|(zone, needs)| {
            let client = Arc::clone(&client);
            async move {
                let facts = fetch_zone(&client, &zone, &needs).await;
                (zone, facts, needs.quota)
            }
        })
        .collect());
    let (per_zone, quotas) = tokio::join!(per_zone, quotas(&client, &quota_zones));
    per_zone
        .into_iter()
        .map(|(zone, mut facts, wants_quota)| {
            if wants_quota {
                facts.quota = Some(match &quotas {
                    Err(reason) => Fetched::Error(reason.clone()),
                    Ok(map) => match map.get(&zone) {
                        Some(q) => Fetched::Known(*q),
                        None => Fetched::Error(format!(
                            "DescribeImageQuota: Zenlayer said nothing about zone `{zone}`"
                        )),
                    },
                });
            }
            (zone, facts)
        })
        .collect()
}

async fn fetch_zone(client: &Arc<Client>, zone: &str, needs: &RegionNeeds) -> RegionFacts {
    let image_chunks = chunks(&needs.images, PAGE);
    let images = all(image_chunks
        .iter()
        .map(|ids| {
            let client = Arc::clone(client);
            let (zone, ids) = (zone.to_string(), ids.clone());
            async move { image_pages(&client, &zone, &ids).await }
        })
        .collect());
    // A zone where the plans only create images needs no catalogue.
    let types = async {
        if needs.instance_types.is_empty() {
            return None;
        }
        let body = json!({"instanceChargeType": "POSTPAID", "zoneId": zone});
        Some(post(client, DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS, &body).await)
    };
    let (images, types) = tokio::join!(images, types);

    let mut facts = RegionFacts {
        instance_types: types.map(|types| match types {
            Ok(Answer::Json(r)) => match r["instanceTypeQuotaSet"].as_array() {
                Some(list) => Fetched::Known(InstanceTypes {
                    complete: true,
                    offered: list
                        .iter()
                        .filter_map(|t| {
                            Some((
                                t["instanceType"].as_str()?.to_string(),
                                InstanceTypeInfo::default(),
                            ))
                        })
                        .collect(),
                    not_offered: Default::default(),
                }),
                None => Fetched::Error(shape("DescribeZoneInstanceConfigInfos")),
            },
            Ok(Answer::NotFound(m)) => {
                Fetched::Error(format!("DescribeZoneInstanceConfigInfos: {m}"))
            }
            Err(reason) => Fetched::Error(format!("DescribeZoneInstanceConfigInfos: {reason}")),
        }),
        ..RegionFacts::default()
    };
    for (ids, answer) in image_chunks.iter().zip(images) {
        let found: Result<BTreeMap<String, Value>, String> = match answer {
            Ok(Answer::Json(r)) => r["dataSet"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|i| Some((i["imageId"].as_str()?.to_string(), i.clone())))
                        .collect()
                })
                .ok_or_else(|| shape("DescribeImages")),
            Ok(Answer::NotFound(m)) => Err(format!("DescribeImages: {m}")),
            Err(reason) => Err(format!("DescribeImages: {reason}")),
        };
        for id in ids {
            let fact = match &found {
                Err(reason) => ImageFact::Error {
                    reason: reason.clone(),
                },
                Ok(map) => match map.get(id) {
                    None => ImageFact::NotFound,
                    Some(i) => {
                        let status = i["imageStatus"].as_str().unwrap_or("unknown").to_string();
                        ImageFact::Found(ImageInfo {
                            usable: status == "AVAILABLE",
                            status,
                            architecture: None,
                            min_system_disk_gb: None,
                            constraint: None,
                        })
                    }
                },
            };
            facts.images.insert(id.clone(), fact);
        }
    }
    facts
}

/// Every page of one `DescribeImages` query; the answer's `dataSet` lists joined.
async fn image_pages(client: &Client, zone: &str, ids: &[String]) -> Result<Answer, String> {
    let mut data: Vec<Value> = Vec::new();
    for page in 1..=crate::clouds::jdcloud::client::MAX_PAGES {
        let body = json!({"zoneId": zone, "imageIds": ids, "pageNum": page, "pageSize": PAGE});
        let r = match post(client, DESCRIBE_IMAGES, &body).await? {
            Answer::Json(r) => r,
            other => return Ok(other),
        };
        let Some(list) = r["dataSet"].as_array() else {
            return Ok(Answer::Json(r));
        };
        data.extend(list.iter().cloned());
        let total = r["totalCount"].as_u64().unwrap_or(0) as usize;
        if list.is_empty() || data.len() >= total {
            break;
        }
    }
    Ok(Answer::Json(json!({"dataSet": data})))
}

/// Per zone: (count, maxCount), in one call for every zone.
async fn quotas(client: &Arc<Client>, zones: &[String]) -> Result<BTreeMap<String, Quota>, String> {
    if zones.is_empty() {
        return Ok(BTreeMap::new());
    }
    let r = match post(client, DESCRIBE_IMAGE_QUOTA, &json!({"zoneIds": zones})).await {
        Ok(Answer::Json(r)) => r,
        Ok(Answer::NotFound(m)) => return Err(format!("DescribeImageQuota: {m}")),
        Err(reason) => return Err(format!("DescribeImageQuota: {reason}")),
    };
    parse_quotas(&r)
}

/// `DescribeImageQuota`'s answer, per zone. Accepts the SDK's `images[].zoneId` and the docs'
/// `imageRegionQuota[].regionId`, numbers or numeric strings.
pub fn parse_quotas(r: &Value) -> Result<BTreeMap<String, Quota>, String> {
    let list = r["images"]
        .as_array()
        .or_else(|| r["imageRegionQuota"].as_array())
        .ok_or_else(|| shape("DescribeImageQuota"))?;
    let number = |v: &Value| {
        v.as_u64()
            .or_else(|| v.as_str()?.trim().parse().ok())
            .and_then(|n| u32::try_from(n).ok())
    };
    Ok(list
        .iter()
        .filter_map(|q| {
            let zone = q["zoneId"].as_str().or_else(|| q["regionId"].as_str())?;
            Some((
                zone.to_string(),
                Quota {
                    used: number(&q["count"])?,
                    limit: number(&q["maxCount"])?,
                },
            ))
        })
        .collect())
}

fn shape(action: &str) -> String {
    format!("{action}: Zenlayer's answer has an unexpected shape")
}

/// A signed call: POST `/api/v2/vm`, the action in a header, the parameters as JSON.
async fn post(client: &Client, action: &str, body: &Value) -> Result<Answer, String> {
    let endpoint = client.config.endpoint(Cloud::Zenlayer, "");
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
            ("x-zc-version", VERSION.to_string()),
            ("x-zc-service", "vm".to_string()),
            ("x-zc-action", action.to_string()),
            ("content-type", content_type.to_string()),
            ("x-zc-signature-method", sign::ALGORITHM.to_string()),
            ("x-zc-timestamp", timestamp.to_string()),
            ("authorization", signature.authorization),
        ];
        Call {
            method: reqwest::Method::POST,
            url: format!("{}/api/v2/vm", endpoint.base()),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            body: body.clone(),
        }
    };
    client.send(action, Priority::Shared, build, classify).await
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
        (200, Some(_)) if code.is_empty() => Class::Fail(shape("the call")),
        (200, None) => Class::Fail("Zenlayer's answer is not valid JSON".to_string()),
        _ if r.status == 429 || code == "REQUEST_LIMIT_EXCEEDED" => {
            Class::throttled("Zenlayer", r, &code)
        }
        _ if r.status >= 500 => Class::retry("Zenlayer", r, &code),
        (403, _) if r.headers.contains_key("cf-mitigated") => Class::Fail(
            "Zenlayer's Cloudflare front blocked the request with a challenge".to_string(),
        ),
        (401 | 403, _) => Class::Fail(format!(
            "Zenlayer refused the credentials (HTTP {} {code}: {message})",
            r.status
        )),
        _ if r.status == 404 || code.ends_with("_NOT_FOUND") => {
            Class::NotFound(format!("{code}: {message}"))
        }
        (status, _) => Class::Fail(format!("Zenlayer answered HTTP {status} {code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_both_documented_shapes_and_refuse_others() {
        let sdk = json!({"images": [{"zoneId": "FRA-A", "count": 1, "maxCount": 5}]});
        let doc = json!({"imageRegionQuota": [{"regionId": "sa-jeddah-1a", "count": "0", "maxCount": "5"}]});
        assert_eq!(
            parse_quotas(&sdk).expect("sdk")["FRA-A"],
            Quota { used: 1, limit: 5 }
        );
        assert_eq!(
            parse_quotas(&doc).expect("doc")["sa-jeddah-1a"],
            Quota { used: 0, limit: 5 }
        );
        assert!(parse_quotas(&json!({"quota": []})).is_err());
    }
}
