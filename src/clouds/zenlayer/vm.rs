//! Zenlayer's VM service, per zone: `DescribeImages` with all the plans' `imageIds`,
//! `DescribeZoneInstanceConfigInfos` once per charge type the plans use (it requires
//! `instanceChargeType` and answers for that one only), and one `DescribeImageQuota` for every
//! zone where the plans create images.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::request::{self, DESCRIBE_IMAGE_QUOTA, DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS};
use super::{answers, disk_categories, images};
use crate::cloud::{Api, ChargeType, Service};
use crate::clouds::http::Answer;
use crate::clouds::provider::{self, Answers, Fetching, Probe, Provider};
use crate::clouds::{Client, Endpoint, RegionNeeds, all, per_charge};
use crate::facts::{Availability, Fetched, InstanceTypeInfo, InstanceTypes, Quota, RegionFacts};

/// Zenlayer's Vm service as a provider.
pub struct Vm;

impl Provider for Vm {
    fn api(&self) -> Api {
        Api::ZenlayerVm
    }

    fn operations(&self) -> &'static [&'static str] {
        request::VM_OPERATIONS
    }

    fn permission_service(&self) -> &'static str {
        "vm"
    }

    fn endpoint(&self, _zone: &str) -> Endpoint {
        provider::https("console.zenlayer.com")
    }

    fn probe(&self) -> Probe {
        // `DescribeImageQuota` takes no zone: any zone's name will do, the account's or not.
        Probe::Quota { place: "SEL-A" }
    }

    fn fetch(&self, client: Arc<Client>, zones: Vec<(String, RegionNeeds)>) -> Fetching {
        Box::pin(fetch(client, zones))
    }
}

async fn fetch(client: Arc<Client>, zones: Vec<(String, RegionNeeds)>) -> Answers {
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
                        None => Fetched::Error(crate::facts::reason::said_nothing(
                            "DescribeImageQuota",
                            "Zenlayer",
                            &format!("zone `{zone}`"),
                        )),
                    },
                });
            }
            (zone, facts)
        })
        .collect()
}

async fn fetch_zone(client: &Arc<Client>, zone: &str, needs: &RegionNeeds) -> RegionFacts {
    let images = images(client, Service::Vm, zone, &needs.images, answers::vm_image);
    let types = per_charge(client, zone, needs, |client, zone, charge| async move {
        types_for(&client, &zone, charge).await
    });
    let disks = disk_categories(client, Service::Vm, zone, &needs.disk_categories);
    let (images, types, disk_categories) = tokio::join!(images, types, disks);

    // The zone's catalogue is every type any charge type sells; each charge type's own list
    // is what it sells.
    let mut catalogue = InstanceTypes {
        complete: true,
        ..InstanceTypes::default()
    };
    let mut failed = None;
    let mut availability = BTreeMap::new();
    for (charge, answer) in types {
        match answer {
            Ok(names) => {
                catalogue.offered.extend(
                    names
                        .iter()
                        .map(|n| (n.clone(), InstanceTypeInfo::default())),
                );
                let types = names.into_iter().map(|n| (n, None)).collect();
                availability.insert(charge, Fetched::Known(Availability { types }));
            }
            Err(reason) => {
                failed.get_or_insert_with(|| reason.clone());
                availability.insert(charge, Fetched::Error(reason));
            }
        }
    }
    RegionFacts {
        images,
        instance_types: (!needs.charge_types.is_empty()).then_some(match failed {
            Some(reason) => Fetched::Error(reason),
            None => Fetched::Known(catalogue),
        }),
        availability,
        disk_categories,
        ..RegionFacts::default()
    }
}

/// The zone's types for one charge type (Zenlayer VM sells no spot instances; plans cannot
/// ask for them).
async fn types_for(client: &Client, zone: &str, charge: ChargeType) -> Result<Vec<String>, String> {
    let body = json!({"instanceChargeType": request::vm_charge(charge), "zoneId": zone});
    let op = DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS;
    match request::post(client, Service::Vm, op, &body).await {
        Ok(Answer::Json(r)) => Ok(answers::instance_types(&r, zone)
            .map_err(|e| format!("{op}: {e}"))?
            .into_iter()
            .map(|(name, _)| name)
            .collect()),
        Ok(Answer::NotFound(m)) => Err(format!("{op}: {m}")),
        Err(reason) => Err(format!("{op}: {reason}")),
    }
}

/// Per zone: (count, maxCount), in one call for every zone.
async fn quotas(client: &Arc<Client>, zones: &[String]) -> Result<BTreeMap<String, Quota>, String> {
    if zones.is_empty() {
        return Ok(BTreeMap::new());
    }
    let body = json!({"zoneIds": zones});
    let r = match request::post(client, Service::Vm, DESCRIBE_IMAGE_QUOTA, &body).await {
        Ok(Answer::Json(r)) => r,
        Ok(Answer::NotFound(m)) => return Err(format!("DescribeImageQuota: {m}")),
        Err(reason) => return Err(format!("DescribeImageQuota: {reason}")),
    };
    answers::quotas(&r)
}
