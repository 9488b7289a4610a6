//! Fetches JD Cloud facts for some regions, in the fewest requests: per region,
//! `describeImages` and `describeImageConstraintsBatch` in chunks of 100 ids,
//! `describeInstanceTypes` filtered to the plans' types, and `describeQuotas` for images when
//! the plans create some. All concurrent. A batch answered with 404 (some id unknown) is asked
//! again one image at a time, so one bad id never hides the others.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::sign;
use crate::clouds::http::{Answer, Call, Class, Response};
use crate::clouds::sign::{encode, now, query_string};
use crate::clouds::slots::Priority;
use crate::clouds::{
    Client, Cloud, RegionNeeds, all, chunks, per_region, record_types, text_field,
};
use crate::facts::{
    Arch, Constraint, Fetched, ImageFact, ImageInfo, InstanceTypes, Quota, RegionFacts,
};

/// Every operation this client calls: `preflight permissions` lists exactly these.
pub const OPERATIONS: &[&str] = &[
    DESCRIBE_IMAGES,
    DESCRIBE_IMAGE_CONSTRAINTS_BATCH,
    DESCRIBE_INSTANCE_TYPES,
    DESCRIBE_QUOTAS,
];
const DESCRIBE_IMAGES: &str = "describeImages";
const DESCRIBE_IMAGE_CONSTRAINTS_BATCH: &str = "describeImageConstraintsBatch";
const DESCRIBE_INSTANCE_TYPES: &str = "describeInstanceTypes";
const DESCRIBE_QUOTAS: &str = "describeQuotas";

const CHUNK: usize = 100;
/// Pages asked for one batch at most, should a cloud page below the size asked.
pub(crate) const MAX_PAGES: usize = 100;

pub async fn fetch(
    client: Arc<Client>,
    regions: Vec<(String, RegionNeeds)>,
) -> Vec<(String, RegionFacts)> {
    per_region(client, regions, |client, region, needs| async move {
        fetch_region(&client, &region, &needs).await
    })
    .await
}

/// What one batch call said about its ids: per id, its JSON entry (or absent), or why not.
pub type Batch = Result<BTreeMap<String, Value>, String>;

async fn fetch_region(client: &Arc<Client>, region: &str, needs: &RegionNeeds) -> RegionFacts {
    let image_chunks = chunks(&needs.images, CHUNK);
    let batches = |op: Op| {
        all(image_chunks
            .iter()
            .map(|ids| batch(Arc::clone(client), region.to_string(), ids.clone(), op))
            .collect())
    };
    let images = batches(Op::Images);
    let constraints = batches(Op::Constraints);
    let types = instance_types(client, region, needs);
    let quota = async {
        if needs.quota {
            Some(quota(client, region).await)
        } else {
            None
        }
    };
    let (images, constraints, types, quota) = tokio::join!(images, constraints, types, quota);

    let mut facts = RegionFacts {
        instance_types: Some(types),
        quota,
        ..RegionFacts::default()
    };
    for ((ids, found), constraint) in image_chunks.iter().zip(images).zip(constraints) {
        for id in ids {
            facts
                .images
                .insert(id.clone(), image_fact(id, &found, &constraint));
        }
    }
    facts
}

/// One image's fact from what the image and constraint batches said about it.
pub fn image_fact(id: &str, images: &Batch, constraints: &Batch) -> ImageFact {
    let entry = match images {
        Err(reason) => {
            return ImageFact::Error {
                reason: reason.clone(),
            };
        }
        Ok(map) => match map.get(id) {
            None => return ImageFact::NotFound,
            Some(e) => e,
        },
    };
    let status = entry["status"].as_str().unwrap_or("unknown").to_string();
    let offline = entry["offline"].as_bool().unwrap_or(false);
    let constraint = match constraints {
        Err(reason) => Constraint::Error(reason.clone()),
        Ok(map) => match map.get(id) {
            // Private images have no constraint: they allow every type.
            None => Constraint::None,
            Some(c) => constraint(&c["imageInstanceTypeConstraint"]),
        },
    };
    ImageFact::Found(ImageInfo {
        usable: status == "ready" && !offline,
        status: if offline {
            "offline".to_string()
        } else {
            status
        },
        architecture: arch(&entry["architecture"]),
        min_system_disk_gb: entry["systemDiskSizeGB"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()),
        constraint: Some(constraint),
    })
}

fn constraint(c: &Value) -> Constraint {
    let types = || {
        c["instanceTypes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match c["constraintsType"].as_str() {
        Some("excludes") => Constraint::Excludes(types()),
        Some("includes") => Constraint::Includes(types()),
        None if c.is_null() => Constraint::None,
        other => Constraint::Error(format!(
            "JD Cloud sent an unknown constraint type {other:?}"
        )),
    }
}

pub(crate) fn arch(v: &Value) -> Option<Arch> {
    serde_json::from_value(v.clone()).ok()
}

#[derive(Clone, Copy)]
enum Op {
    Images,
    Constraints,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Images => DESCRIBE_IMAGES,
            Op::Constraints => DESCRIBE_IMAGE_CONSTRAINTS_BATCH,
        }
    }
}

/// One batch call for up to 100 ids; on 404, one call per id (boxed: it recurses once).
fn batch(
    client: Arc<Client>,
    region: String,
    ids: Vec<String>,
    op: Op,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Batch> + Send>> {
    Box::pin(batch_once(client, region, ids, op))
}

async fn batch_once(client: Arc<Client>, region: String, ids: Vec<String>, op: Op) -> Batch {
    // One id asked alone is the fallback after a 404 batch: it serves one image.
    let priority = if ids.len() == 1 {
        Priority::PerImage
    } else {
        Priority::Shared
    };
    let id_params = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("ids.{}", i + 1), id.clone()));
    let path = match op {
        Op::Images => format!("/v1/regions/{}/images", encode(&region)),
        Op::Constraints => format!("/v1/regions/{}/imageConstraints", encode(&region)),
    };
    let mut merged = BTreeMap::new();
    // A batch fits one page; should the cloud cap pages lower, ask for the rest.
    for page in 1..=MAX_PAGES {
        let mut query: Vec<(String, String)> = id_params.clone().collect();
        if let Op::Images = op {
            query.push(("pageSize".into(), CHUNK.to_string()));
            query.push(("pageNumber".into(), page.to_string()));
        }
        match get(&client, &region, op.name(), priority, &path, &query).await {
            Ok(Answer::Json(json)) => {
                let got = entries(&json, op)?;
                let new = got.len();
                merged.extend(got);
                let total = json["result"]["totalCount"].as_u64().unwrap_or(0) as usize;
                if matches!(op, Op::Constraints) || new == 0 || merged.len() >= total {
                    return Ok(merged);
                }
            }
            Ok(Answer::NotFound(_)) if ids.len() > 1 && page == 1 => {
                let singles = all(ids
                    .into_iter()
                    .map(|id| batch(Arc::clone(&client), region.clone(), vec![id], op))
                    .collect())
                .await;
                for single in singles {
                    merged.extend(single?);
                }
                return Ok(merged);
            }
            // A single unknown id: it does not exist (images), or has no constraint (it
            // does not exist either; `describeImages` says so).
            Ok(Answer::NotFound(_)) => return Ok(merged),
            Err(reason) => return Err(format!("{}: {reason}", op.name())),
        }
    }
    Ok(merged)
}

/// A batch answer's entries by image id (`describeImages` when `images`, else
/// `describeImageConstraintsBatch`).
pub fn parse_batch(json: &Value, images: bool) -> Batch {
    entries(json, if images { Op::Images } else { Op::Constraints })
}

fn entries(json: &Value, op: Op) -> Batch {
    let (list, key) = match op {
        Op::Images => (&json["result"]["images"], "imageId"),
        Op::Constraints => (&json["result"]["imageConstraints"], "imageId"),
    };
    let list = list
        .as_array()
        .ok_or_else(|| format!("{}: JD Cloud's answer has an unexpected shape", op.name()))?;
    Ok(list
        .iter()
        .filter_map(|e| Some((e[key].as_str()?.to_string(), e.clone())))
        .collect())
}

async fn instance_types(
    client: &Arc<Client>,
    region: &str,
    needs: &RegionNeeds,
) -> Fetched<InstanceTypes> {
    let mut known = InstanceTypes::default();
    for names in chunks(&needs.instance_types, CHUNK) {
        let mut query = vec![("filters.1.name".to_string(), "instanceTypes".to_string())];
        query.extend(
            names
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("filters.1.values.{}", i + 1), t.clone())),
        );
        let path = format!("/v1/regions/{}/instanceTypes", encode(region));
        let json = match get(
            client,
            region,
            DESCRIBE_INSTANCE_TYPES,
            Priority::Shared,
            &path,
            &query,
        )
        .await
        {
            Ok(Answer::Json(j)) => j,
            Ok(Answer::NotFound(m)) => {
                return Fetched::Error(format!("describeInstanceTypes: {m}"));
            }
            Err(reason) => return Fetched::Error(format!("describeInstanceTypes: {reason}")),
        };
        let Some(list) = json["result"]["instanceTypes"].as_array() else {
            return Fetched::Error(
                "describeInstanceTypes: JD Cloud's answer has an unexpected shape".to_string(),
            );
        };
        record_types(&mut known, list, "instanceType", "architecture", names);
    }
    Fetched::Known(known)
}

async fn quota(client: &Arc<Client>, region: &str) -> Fetched<Quota> {
    let query = [
        ("filters.1.name".to_string(), "resourceTypes".to_string()),
        ("filters.1.values.1".to_string(), "image".to_string()),
    ];
    let path = format!("/v1/regions/{}/quotas", encode(region));
    let json = match get(
        client,
        region,
        DESCRIBE_QUOTAS,
        Priority::Shared,
        &path,
        &query,
    )
    .await
    {
        Ok(Answer::Json(j)) => j,
        Ok(Answer::NotFound(m)) => return Fetched::Error(format!("describeQuotas: {m}")),
        Err(reason) => return Fetched::Error(format!("describeQuotas: {reason}")),
    };
    parse_quota(&json)
}

/// `describeQuotas`'s answer: the `image` quota's used and limit.
pub fn parse_quota(json: &Value) -> Fetched<Quota> {
    let found = json["result"]["quotas"].as_array().and_then(|list| {
        list.iter()
            .find(|q| q["resourceType"].as_str() == Some("image"))
    });
    let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    match found.and_then(|q| {
        Some(Quota {
            used: number(&q["used"])?,
            limit: number(&q["limit"])?,
        })
    }) {
        Some(q) => Fetched::Known(q),
        None => Fetched::Error("describeQuotas: JD Cloud's answer has no image quota".to_string()),
    }
}

/// A signed GET, retried as JD Cloud's error codes say.
async fn get(
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
        (429, _) if word == "QUOTA_EXCEEDED" => {
            Class::Fail(format!("JD Cloud answered HTTP 429 QUOTA_EXCEEDED{said}"))
        }
        _ if word == "RATE_LIMIT" || r.status == 429 => Class::throttled("JD Cloud", r, &word),
        _ if matches!(
            word.as_str(),
            "INTERNAL" | "UNKNOWN" | "SOURCE_UNAVAILABLE" | "UNAVAILABLE"
        ) || matches!(r.status, 500 | 502 | 503) =>
        {
            Class::retry("JD Cloud", r, &word)
        }
        (401 | 403, _) => Class::Fail(format!(
            "JD Cloud refused the credentials (HTTP {} {word}{said})",
            r.status
        )),
        (status, _) => Class::Fail(format!("JD Cloud answered HTTP {status} {word}{said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_of_the_wrong_shape_are_errors_not_facts() {
        assert!(matches!(
            parse_quota(&json!({"result": {"quotas": []}})),
            Fetched::Error(_)
        ));
        assert!(matches!(
            parse_quota(
                &json!({"result": {"quotas": [{"resourceType": "image", "used": 3, "limit": 10}]}})
            ),
            Fetched::Known(Quota { used: 3, limit: 10 })
        ));
        assert!(parse_batch(&json!({"result": {}}), true).is_err());
        let images = parse_batch(
            &json!({"result": {"images": [{"imageId": "a", "status": "ready", "offline": true}]}}),
            true,
        );
        let constraints: Batch = Ok(BTreeMap::new());
        match image_fact("a", &images, &constraints) {
            ImageFact::Found(info) => {
                assert!(!info.usable, "offline images are not usable");
                assert_eq!(info.status, "offline");
                assert_eq!(
                    info.constraint,
                    Some(Constraint::None),
                    "no constraint entry: private"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            image_fact("b", &images, &constraints),
            ImageFact::NotFound
        ));
    }
}
