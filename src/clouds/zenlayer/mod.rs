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

use serde_json::{Value, json};

use crate::cloud::Service;
use crate::clouds::http::Answer;
use crate::clouds::{Client, MAX_PAGES, chunks};
use crate::facts::{ImageFact, ImageInfo};

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
/// plans' entries with a system disk category use. ZEC's one answer serves every charge type.
async fn disk_categories(
    client: &Client,
    service: Service,
    zone: &str,
    charges: &BTreeSet<crate::cloud::ChargeType>,
) -> BTreeMap<crate::cloud::ChargeType, crate::facts::Fetched<Vec<String>>> {
    use crate::facts::Fetched;
    let ask = |body: Value| async move {
        let op = request::DESCRIBE_DISK_CATEGORY;
        match request::post(client, service, op, &body).await {
            Ok(Answer::Json(r)) => match answers::disk_categories(&r, zone) {
                Ok(list) => Fetched::Known(list),
                Err(reason) => Fetched::Error(reason),
            },
            Ok(Answer::NotFound(m)) => Fetched::Error(format!("{op}: {m}")),
            Err(reason) => Fetched::Error(format!("{op}: {reason}")),
        }
    };
    let mut out = BTreeMap::new();
    match service {
        Service::Zec => {
            if !charges.is_empty() {
                let answer = ask(json!({"zoneId": zone})).await;
                out.extend(charges.iter().map(|c| (*c, answer.clone())));
            }
        }
        Service::Vm => {
            for charge in charges {
                let name = request::vm_charge(*charge);
                let answer = ask(json!({"zoneId": zone, "instanceChargeType": name})).await;
                out.insert(*charge, answer);
            }
        }
    }
    out
}
