//! Zenlayer (`console.zenlayer.com/api/v2/<service>`): two services answer for instances.
//! `vm` asks the VM service (Terraform's `zenlayercloud_instance` / `_zvm_instance`), `zec`
//! asks Zenlayer Elastic Compute (`zenlayercloud_zec_instance`); both are signed alike, and
//! for both a plan's region is the zone. Zenlayer has no image/instance-type constraint API,
//! so constraints are never asked.
//!
//! `request` sends and classifies, `answers` reads the answers (pure), `sign` signs.

pub mod answers;
pub mod request;
pub mod sign;
pub mod vm;
pub mod zec;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cloud::{ChargeType, Service};
use crate::clouds::http::Answer;
use crate::clouds::{Client, MAX_PAGES, chunks};
use crate::facts::{Fetched, ImageFact, ImageInfo};

/// `DescribeImages` takes up to this many ids a page.
const PAGE: usize = 1000;

/// Every id's fact from the zone's `DescribeImages` (all of the plans' ids, pages followed).
async fn images(
    client: &Client,
    service: Service,
    zone: &str,
    ids: &BTreeSet<String>,
    read: fn(&Value) -> ImageInfo,
) -> BTreeMap<String, ImageFact> {
    let mut facts = BTreeMap::new();
    for chunk in chunks(ids, PAGE) {
        let found = image_pages(client, service, zone, &chunk).await;
        for id in chunk {
            let fact = match &found {
                Err(reason) => ImageFact::Error {
                    reason: reason.clone(),
                },
                Ok(map) => match map.get(&id) {
                    None => ImageFact::NotFound,
                    Some(image) => ImageFact::Found(read(image)),
                },
            };
            facts.insert(id, fact);
        }
    }
    facts
}

/// Every page of one `DescribeImages` query, merged by id.
async fn image_pages(
    client: &Client,
    service: Service,
    zone: &str,
    ids: &[String],
) -> Result<BTreeMap<String, Value>, String> {
    let mut found = BTreeMap::new();
    for page in 1..=MAX_PAGES {
        let body = json!({"zoneId": zone, "imageIds": ids, "pageNum": page, "pageSize": PAGE});
        let r = match request::post(client, service, request::DESCRIBE_IMAGES, &body).await {
            Ok(Answer::Json(r)) => r,
            Ok(Answer::NotFound(m)) => return Err(format!("DescribeImages: {m}")),
            Err(reason) => return Err(format!("DescribeImages: {reason}")),
        };
        let list = answers::images(&r)?;
        let new = list.len();
        found.extend(list);
        let total = r["totalCount"].as_u64().unwrap_or(0) as usize;
        if new == 0 || found.len() >= total {
            break;
        }
    }
    Ok(found)
}

/// The zone's disk categories: `DescribeDiskCategory` with `zoneId` (and, for the VM service,
/// `instanceChargeType`, which its model has and ZEC's does not), once per charge type the
/// plans' entries with a system disk category use, all at once. ZEC's one answer serves every
/// charge type.
async fn disk_categories(
    client: &Arc<Client>,
    service: Service,
    zone: &str,
    charges: &BTreeSet<ChargeType>,
) -> BTreeMap<ChargeType, Fetched<Vec<String>>> {
    // Each request with the charge types its answer is for.
    let asks: Vec<(Vec<ChargeType>, Value)> = match service {
        Service::Zec if charges.is_empty() => Vec::new(),
        Service::Zec => vec![(charges.iter().copied().collect(), json!({"zoneId": zone}))],
        Service::Vm => charges
            .iter()
            .map(|&c| {
                let charge = request::vm_charge(c);
                (
                    vec![c],
                    json!({"zoneId": zone, "instanceChargeType": charge}),
                )
            })
            .collect(),
    };
    let answers = crate::clouds::all(
        asks.into_iter()
            .map(|(covers, body)| {
                let (client, zone) = (Arc::clone(client), zone.to_string());
                async move {
                    (
                        covers,
                        ask_disk_categories(&client, service, &zone, body).await,
                    )
                }
            })
            .collect(),
    )
    .await;
    answers
        .into_iter()
        .flat_map(|(covers, answer)| covers.into_iter().map(move |c| (c, answer.clone())))
        .collect()
}

async fn ask_disk_categories(
    client: &Client,
    service: Service,
    zone: &str,
    body: Value,
) -> Fetched<Vec<String>> {
    let op = request::DESCRIBE_DISK_CATEGORY;
    match request::post(client, service, op, &body).await {
        Ok(Answer::Json(r)) => match answers::disk_categories(&r, zone) {
            Ok(list) => Fetched::Known(list),
            Err(reason) => Fetched::Error(reason),
        },
        Ok(Answer::NotFound(m)) => Fetched::Error(format!("{op}: {m}")),
        Err(reason) => Fetched::Error(format!("{op}: {reason}")),
    }
}
