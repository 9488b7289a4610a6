//! JD Cloud VM (`vm.jdcloud-api.com`): what to ask for each region, in the fewest requests.
//! Per region: `describeImages` and `describeImageConstraintsBatch` in chunks of 100 ids,
//! `describeInstanceTypes` filtered to the plans' types (once for pay-as-you-go and
//! subscription, once more with `chargeMode=postpaid_by_spot` where plans use spot), and
//! `describeQuotas` for images when the plans create some. All concurrent.
//!
//! A batch answered 404 is asked again one image at a time, so one bad id never hides the
//! others; a 404 about one id is a fact about it. A 404 for the region's instance types is not
//! a fact about anything: the region is unknown, and everything in it is unverified.
//!
//! `request` sends and classifies, `answers` reads the answers (pure), `sign` signs.

pub mod answers;
pub mod request;
pub mod sign;

use std::collections::BTreeMap;
use std::sync::Arc;

use answers::Batch;
use request::{
    DESCRIBE_IMAGE_CONSTRAINTS_BATCH, DESCRIBE_IMAGES, DESCRIBE_INSTANCE_TYPES, DESCRIBE_QUOTAS,
    get,
};

use crate::cloud::Api;
use crate::cloud::ChargeType;
use crate::clouds::http::Answer;
use crate::clouds::provider::{self, Fetching, Probe, Provider};
use crate::clouds::sign::encode;
use crate::clouds::slots::Priority;
use crate::clouds::{Client, Endpoint, MAX_PAGES, RegionNeeds, all, chunks, per_region};
use crate::facts::{Availability, Fetched, InstanceTypes, RegionFacts};

const CHUNK: usize = 100;

/// JD Cloud's VM API as a provider.
pub struct JdCloud;

impl Provider for JdCloud {
    fn api(&self) -> Api {
        Api::Jdcloud
    }

    fn operations(&self) -> &'static [&'static str] {
        request::OPERATIONS
    }

    fn permission_service(&self) -> &'static str {
        "vm"
    }

    fn endpoint(&self, _region: &str) -> Endpoint {
        provider::https("vm.jdcloud-api.com")
    }

    fn probe(&self) -> Probe {
        Probe::Quota {
            place: "cn-north-1",
        }
    }

    fn fetch(&self, client: Arc<Client>, regions: Vec<(String, RegionNeeds)>) -> Fetching {
        Box::pin(per_region(client, regions, fetch_region))
    }
}

async fn fetch_region(client: Arc<Client>, region: String, needs: RegionNeeds) -> RegionFacts {
    let (client, region, needs) = (&client, region.as_str(), &needs);
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
    // One `describeQuotas` for what the plans need: images they create, instances they launch.
    let quotas = async {
        let mut kinds = Vec::new();
        if needs.quota {
            kinds.push("image");
        }
        if needs.account {
            kinds.extend(answers::LAUNCH_QUOTAS);
        }
        if kinds.is_empty() {
            None
        } else {
            Some(quotas(client, region, &kinds).await)
        }
    };
    let (images, constraints, types, quotas) = tokio::join!(images, constraints, types, quotas);
    let quota = quotas
        .as_ref()
        .filter(|_| needs.quota)
        .map(|answer| match answer {
            Ok(json) => answers::quota(json),
            Err(reason) => Fetched::Error(reason.clone()),
        });
    let account = quotas
        .as_ref()
        .filter(|_| needs.account)
        .map(|answer| match answer {
            Ok(json) => answers::launch_quotas(json),
            Err(reason) => Fetched::Error(reason.clone()),
        });

    let (instance_types, availability) = match types {
        Types::RegionUnknown(why) => {
            return RegionFacts {
                error: Some(why),
                ..RegionFacts::default()
            };
        }
        Types::Answered {
            catalogue,
            availability,
        } => (catalogue, availability),
    };
    let mut facts = RegionFacts {
        instance_types,
        availability,
        quota,
        account,
        ..RegionFacts::default()
    };
    for ((ids, found), constraint) in image_chunks.iter().zip(images).zip(constraints) {
        for id in ids {
            facts
                .images
                .insert(id.clone(), answers::image_fact(id, &found, &constraint));
        }
    }
    facts
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
                let got = match op {
                    Op::Images => answers::images(&json)?,
                    Op::Constraints => answers::constraints(&json)?,
                };
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
            // An answer about this one id: it does not exist (images), or has no constraint
            // (it does not exist either; `describeImages` says so).
            Ok(Answer::NotFound(_)) => return Ok(merged),
            Err(reason) => return Err(format!("{}: {reason}", op.name())),
        }
    }
    Ok(merged)
}

/// What the region's instance types came to.
enum Types {
    Answered {
        catalogue: Option<Fetched<InstanceTypes>>,
        availability: BTreeMap<ChargeType, Fetched<Availability>>,
    },
    /// JD answered 404 for the region itself.
    RegionUnknown(String),
}

/// `describeInstanceTypes` once for pay-as-you-go and subscription (JD sells the same types
/// both ways) and once for spot, each as the plans need; the first answer gives the
/// catalogue.
async fn instance_types(client: &Arc<Client>, region: &str, needs: &RegionNeeds) -> Types {
    let spot = needs.charge_types.contains(&ChargeType::Spot);
    let regular = needs.charge_types.iter().any(|c| *c != ChargeType::Spot);
    let (regular, spot) = tokio::join!(
        async {
            if regular {
                Some(types_for(client, region, needs, false).await)
            } else {
                None
            }
        },
        async {
            if spot {
                Some(types_for(client, region, needs, true).await)
            } else {
                None
            }
        }
    );
    let mut availability = BTreeMap::new();
    let mut catalogue = None;
    for (answer, charges) in [
        (regular, &[ChargeType::Postpaid, ChargeType::Prepaid][..]),
        (spot, &[ChargeType::Spot][..]),
    ] {
        let Some(answer) = answer else { continue };
        let answer = match answer {
            Err(TypesFailure::RegionUnknown(m)) => {
                return Types::RegionUnknown(format!(
                    "JD Cloud answered 404 for region `{region}` (describeInstanceTypes{}): it \
                     does not seem to be a JD Cloud region",
                    if m.is_empty() {
                        String::new()
                    } else {
                        format!(": {m}")
                    }
                ));
            }
            Err(TypesFailure::Failed(reason)) => Err(reason),
            Ok(found) => Ok(found),
        };
        for charge in charges {
            if needs.charge_types.contains(charge) {
                availability.insert(
                    *charge,
                    match &answer {
                        Ok((_, sold)) => Fetched::Known(Availability {
                            types: sold.clone(),
                        }),
                        Err(reason) => Fetched::Error(reason.clone()),
                    },
                );
            }
        }
        catalogue.get_or_insert(match answer {
            Ok((known, _)) => Fetched::Known(known),
            Err(reason) => Fetched::Error(reason),
        });
    }
    Types::Answered {
        catalogue,
        availability,
    }
}

enum TypesFailure {
    RegionUnknown(String),
    Failed(String),
}

type TypesFound = (InstanceTypes, BTreeMap<String, crate::facts::Stock>);

/// The plans' types in chunks of 100, merged.
async fn types_for(
    client: &Arc<Client>,
    region: &str,
    needs: &RegionNeeds,
    spot: bool,
) -> Result<TypesFound, TypesFailure> {
    let mut known = InstanceTypes::default();
    let mut sold = BTreeMap::new();
    for names in chunks(&needs.instance_types, CHUNK) {
        let mut query = vec![("filters.1.name".to_string(), "instanceTypes".to_string())];
        query.extend(
            names
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("filters.1.values.{}", i + 1), t.clone())),
        );
        if spot {
            query.push(("chargeMode".to_string(), "postpaid_by_spot".to_string()));
        }
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
            Ok(Answer::NotFound(m)) => return Err(TypesFailure::RegionUnknown(m)),
            Err(reason) => {
                return Err(TypesFailure::Failed(format!(
                    "describeInstanceTypes: {reason}"
                )));
            }
        };
        let (found, stock) =
            answers::instance_types(&json, &names).map_err(TypesFailure::Failed)?;
        known.offered.extend(found.offered);
        known.not_offered.extend(found.not_offered);
        sold.extend(stock);
    }
    Ok((known, sold))
}

/// `describeQuotas` for `kinds` (`image`, `instance`, `instance_cpu`), one call.
async fn quotas(
    client: &Arc<Client>,
    region: &str,
    kinds: &[&str],
) -> Result<serde_json::Value, String> {
    let mut query = vec![("filters.1.name".to_string(), "resourceTypes".to_string())];
    for (i, kind) in kinds.iter().enumerate() {
        query.push((format!("filters.1.values.{}", i + 1), kind.to_string()));
    }
    let path = format!("/v1/regions/{}/quotas", encode(region));
    match get(
        client,
        region,
        DESCRIBE_QUOTAS,
        Priority::Shared,
        &path,
        &query,
    )
    .await
    {
        Ok(Answer::Json(j)) => Ok(j),
        Ok(Answer::NotFound(m)) => Err(format!("describeQuotas: {m}")),
        Err(reason) => Err(format!("describeQuotas: {reason}")),
    }
}
