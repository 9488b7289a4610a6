//! Zenlayer Elastic Compute (`zec`), per zone: `DescribeImages` with all the plans'
//! `imageIds` (its images have a `minDiskSize`), and the zone's instance types as the union
//! of `DescribeZoneInstanceConfigInfos`, `DescribeZoneGpuInstanceConfigInfos` and
//! `DescribeZoneAcceleratorConfigInfos` (none takes a charge type; `withStock: false` is sold
//! out). ZEC has no image-quota operation.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::request::{
    self, DESCRIBE_ZONE_ACCELERATOR_CONFIG_INFOS, DESCRIBE_ZONE_GPU_INSTANCE_CONFIG_INFOS,
    DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS,
};
use super::{answers, disk_categories, images};
use crate::cloud::{Api, Service};
use crate::clouds::http::Answer;
use crate::clouds::provider::{self, Fetching, Probe, Provider};
use crate::clouds::{Client, Endpoint, RegionNeeds, all, per_region};
use crate::facts::{Availability, Fetched, InstanceTypeInfo, InstanceTypes, RegionFacts, Stock};

/// Zenlayer's Zec service as a provider.
pub struct Zec;

impl Provider for Zec {
    fn api(&self) -> Api {
        Api::ZenlayerZec
    }

    fn operations(&self) -> &'static [&'static str] {
        request::ZEC_OPERATIONS
    }

    fn permission_service(&self) -> &'static str {
        "zec"
    }

    fn endpoint(&self, _zone: &str) -> Endpoint {
        provider::https("console.zenlayer.com")
    }

    fn probe(&self) -> Probe {
        Probe::Quota { place: "SEL-A" }
    }

    fn fetch(&self, client: Arc<Client>, zones: Vec<(String, RegionNeeds)>) -> Fetching {
        Box::pin(per_region(client, zones, fetch_zone))
    }
}

async fn fetch_zone(client: Arc<Client>, zone: String, needs: RegionNeeds) -> RegionFacts {
    let (client, zone, needs) = (&client, zone.as_str(), &needs);
    let images = images(
        client,
        Service::Zec,
        zone,
        &needs.images,
        answers::zec_image,
    );
    let types = async {
        if needs.instance_types.is_empty() {
            return None;
        }
        let lists = all([
            DESCRIBE_ZONE_INSTANCE_CONFIG_INFOS,
            DESCRIBE_ZONE_GPU_INSTANCE_CONFIG_INFOS,
            DESCRIBE_ZONE_ACCELERATOR_CONFIG_INFOS,
        ]
        .into_iter()
        .map(|op| {
            let (client, zone) = (Arc::clone(client), zone.to_string());
            async move { types_of(&client, &zone, op).await }
        })
        .collect())
        .await;
        let mut union: BTreeMap<String, Stock> = BTreeMap::new();
        for list in lists {
            match list {
                Ok(types) => union.extend(types),
                Err(reason) => return Some(Err(reason)),
            }
        }
        Some(Ok(union))
    };
    let disks = disk_categories(client, Service::Zec, zone, &needs.disk_categories);
    let (images, types, disk_categories) = tokio::join!(images, types, disks);
    let mut facts = RegionFacts {
        images,
        disk_categories,
        ..RegionFacts::default()
    };
    if let Some(types) = types {
        let catalogue = types.as_ref().map(|union| InstanceTypes {
            complete: true,
            offered: union
                .keys()
                .map(|n| (n.clone(), InstanceTypeInfo::default()))
                .collect(),
            not_offered: Default::default(),
        });
        facts.instance_types = Some(match catalogue {
            Ok(c) => Fetched::Known(c),
            Err(reason) => Fetched::Error(reason.clone()),
        });
        // ZEC has no charge types: every one the plans name gets the zone's answer.
        for charge in &needs.charge_types {
            facts.availability.insert(
                *charge,
                match &types {
                    Ok(union) => Fetched::Known(Availability {
                        types: union.clone(),
                    }),
                    Err(reason) => Fetched::Error(reason.clone()),
                },
            );
        }
    }
    facts
}

async fn types_of(client: &Client, zone: &str, op: &str) -> Result<Vec<(String, Stock)>, String> {
    match request::post(client, Service::Zec, op, &json!({"zoneId": zone})).await {
        Ok(Answer::Json(r)) => answers::instance_types(&r, zone).map_err(|e| format!("{op}: {e}")),
        Ok(Answer::NotFound(m)) => Err(format!("{op}: {m}")),
        Err(reason) => Err(format!("{op}: {reason}")),
    }
}
