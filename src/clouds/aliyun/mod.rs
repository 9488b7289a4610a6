//! Alibaba Cloud ECS (`ecs.{region}.aliyuncs.com`, RPC style): what to ask for each region.
//! Per region, all concurrent:
//! - `DescribeImages` (`Status=ALL`, so deprecated images are not "missing") for up to 100
//!   comma-separated ids as a first step. The SDK documents `ImageId` as one id, so an id the
//!   batch does not return is asked alone, then as a Marketplace image
//!   (`ImageOwnerAlias=marketplace`), then as a community image (`ImageOwnerAlias=others`,
//!   `IsPublic=true`): an empty alias returns neither. Only then is it missing.
//! - one `DescribeImageSupportInstanceTypes` per image (the API takes one);
//! - `DescribeInstanceTypes` in chunks of 10: the global catalogue (it takes no region), for
//!   each type's architecture and whether it exists at all;
//! - `DescribeAvailableResource` once per charge type the plans use, for every zone of the
//!   region: what the region sells, and where it is in stock.
//!
//! - VPC's `DescribeVSwitches` (`vpc.{region}.aliyuncs.com`, version 2016-04-28) once per
//!   vSwitch the plans launch in: its `ZoneId` is where the instances land. The SDK models
//!   `VSwitchId` as one id, so one call each.
//!
//! - `DescribeAccountAttributes` once, where the plans launch instances: the networks new
//!   instances may use, and the vCPU quotas of pay-as-you-go and spot instances.
//!
//! Alibaba has no custom-image quota API we know of, so quota is never asked.
//! `request` sends and classifies, `answers` reads the answers (pure), `sign` signs.

pub mod answers;
pub mod request;
pub mod sign;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use request::{
    DESCRIBE_ACCOUNT_ATTRIBUTES, DESCRIBE_AVAILABLE_RESOURCE,
    DESCRIBE_IMAGE_SUPPORT_INSTANCE_TYPES, DESCRIBE_IMAGES, DESCRIBE_INSTANCE_TYPES,
    DESCRIBE_VSWITCHES, RUN_INSTANCES, call, call_with, classify_batch, classify_dry_run,
    classify_vswitch,
};

use crate::cloud::{Api, ChargeType};
use crate::clouds::http::Answer;
use crate::clouds::provider::{self, Fetching, Probe, Provider};
use crate::clouds::slots::Priority;
use crate::clouds::{
    Client, Endpoint, MAX_PAGES, RegionNeeds, all, chunks, per_charge, per_region,
};
use crate::facts::{
    Availability, Constraint, DryRun, Fetched, ImageFact, InstanceTypes, RegionFacts, VSwitchFact,
};

/// Alibaba Cloud's ECS API as a provider.
pub struct Ecs;

impl Provider for Ecs {
    fn api(&self) -> Api {
        Api::Aliyun
    }

    fn operations(&self) -> &'static [&'static str] {
        request::OPERATIONS
    }

    fn permission_service(&self) -> &'static str {
        "ecs"
    }

    fn other_operations(&self) -> &'static [(&'static str, &'static str)] {
        &[("vpc", request::DESCRIBE_VSWITCHES)]
    }

    fn endpoint(&self, region: &str) -> Endpoint {
        provider::https(request::host(region))
    }

    fn probe(&self) -> Probe {
        Probe::CallerIdentity
    }

    fn fetch(&self, client: Arc<Client>, regions: Vec<(String, RegionNeeds)>) -> Fetching {
        Box::pin(per_region(client, regions, fetch_region))
    }
}

async fn fetch_region(client: Arc<Client>, region: String, needs: RegionNeeds) -> RegionFacts {
    let (client, region, needs) = (&client, region.as_str(), &needs);
    let images = find_images(client, region, &needs.images);
    let supports = all(needs
        .images
        .iter()
        .map(|id| supported_types(Arc::clone(client), region.to_string(), id.clone()))
        .collect());
    let types = catalogue(client, region, needs);
    let availability = per_charge(client, region, needs, |client, region, charge| async move {
        available(&client, &region, charge).await
    });
    let vswitches = all(needs
        .vswitches
        .iter()
        .map(|id| {
            let (client, region, id) = (Arc::clone(client), region.to_string(), id.clone());
            async move {
                let fact = vswitch(&client, &region, &id).await;
                (id, fact)
            }
        })
        .collect());
    // System disks per (charge, type); data disks per (charge, type, system disk beside).
    let asked_disks = needs
        .system_disks
        .iter()
        .map(|(charge, name)| (*charge, name.clone(), None))
        .chain(
            needs
                .data_disks
                .iter()
                .map(|(charge, name, system)| (*charge, name.clone(), Some(system.clone()))),
        );
    let disk_offers = all(asked_disks
        .map(|(charge, name, beside)| {
            let (client, region) = (Arc::clone(client), region.to_string());
            async move {
                let offer = disks(&client, &region, charge, &name, beside.as_deref()).await;
                (charge, name, beside, offer)
            }
        })
        .collect());
    let dry_runs = all(if client.config.dry_run {
        needs
            .dry_runs
            .iter()
            .map(|spec| {
                let (client, region, spec) = (Arc::clone(client), region.to_string(), spec.clone());
                async move {
                    let verdict = dry_run(&client, &region, &spec).await;
                    (spec.key(), verdict)
                }
            })
            .collect()
    } else {
        Vec::new()
    });
    let account = async {
        if needs.account {
            Some(account(client, region).await)
        } else {
            None
        }
    };
    let (images, supports, types, availability, vswitches, account, disk_offers, dry_runs) = tokio::join!(
        images,
        supports,
        types,
        availability,
        vswitches,
        account,
        disk_offers,
        dry_runs
    );
    let supports: BTreeMap<&String, Constraint> = needs.images.iter().zip(supports).collect();

    let mut facts = RegionFacts {
        instance_types: Some(types),
        availability: availability.into_iter().collect(),
        vswitches: vswitches.into_iter().collect(),
        account,
        dry_runs: dry_runs.into_iter().collect(),
        ..RegionFacts::default()
    };
    for (charge, name, beside, offer) in disk_offers {
        match beside {
            None => {
                facts
                    .system_disks
                    .entry(charge)
                    .or_default()
                    .insert(name, offer);
            }
            Some(system) => {
                facts
                    .data_disks
                    .entry(charge)
                    .or_default()
                    .entry(name)
                    .or_default()
                    .insert(system, offer);
            }
        }
    }
    for (id, found) in images {
        let fact = match found {
            Lookup::Found(image) => {
                ImageFact::Found(answers::image_info(&image, supports.get(&id).cloned()))
            }
            Lookup::Missing => ImageFact::NotFound,
            Lookup::Failed(reason) => ImageFact::Error { reason },
        };
        facts.images.insert(id, fact);
    }
    facts
}

/// What the lookups said about one image id.
enum Lookup {
    Found(Value),
    Missing,
    Failed(String),
}

/// Every id: in batches first, then each one the batches did not return, alone and under the
/// owner aliases an empty alias leaves out.
async fn find_images(
    client: &Arc<Client>,
    region: &str,
    ids: &BTreeSet<String>,
) -> BTreeMap<String, Lookup> {
    let batches = all(chunks(ids, 100)
        .into_iter()
        .map(|chunk| {
            let (client, region) = (Arc::clone(client), region.to_string());
            async move {
                let found = describe_images(&client, &region, &chunk.join(","), &[]).await;
                (chunk, found)
            }
        })
        .collect())
    .await;
    let mut result = BTreeMap::new();
    let mut unanswered = Vec::new();
    for (chunk, found) in batches {
        for id in chunk {
            match &found {
                Err(reason) => {
                    result.insert(id, Lookup::Failed(reason.clone()));
                }
                Ok(map) => match map.get(&id) {
                    Some(image) => {
                        result.insert(id, Lookup::Found(image.clone()));
                    }
                    None => unanswered.push(id),
                },
            }
        }
    }
    let alone = all(unanswered
        .into_iter()
        .map(|id| {
            let (client, region) = (Arc::clone(client), region.to_string());
            async move {
                let found = find_one(&client, &region, &id).await;
                (id, found)
            }
        })
        .collect())
    .await;
    result.extend(alone);
    result
}

/// One id: as any image the account can see, then Marketplace, then community.
async fn find_one(client: &Client, region: &str, id: &str) -> Lookup {
    const OWNERS: [&[(&str, &str)]; 3] = [
        &[],
        &[("ImageOwnerAlias", "marketplace")],
        &[("ImageOwnerAlias", "others"), ("IsPublic", "true")],
    ];
    for owner in OWNERS {
        match describe_images(client, region, id, owner).await {
            Err(reason) => return Lookup::Failed(reason),
            Ok(mut map) => {
                if let Some(image) = map.remove(id) {
                    return Lookup::Found(image);
                }
            }
        }
    }
    Lookup::Missing
}

/// `DescribeImages` for `ids` (one, or a comma list), every page. An answer that refuses a
/// comma list, or is a not-found, returns no image: those ids are then asked alone.
async fn describe_images(
    client: &Client,
    region: &str,
    ids: &str,
    owner: &[(&str, &str)],
) -> Result<BTreeMap<String, Value>, String> {
    let batch = ids.contains(',');
    let priority = if batch {
        Priority::Shared
    } else {
        Priority::PerImage
    };
    let mut found = BTreeMap::new();
    for page in 1..=MAX_PAGES {
        let mut query = vec![
            ("RegionId".to_string(), region.to_string()),
            ("ImageId".to_string(), ids.to_string()),
            ("Status".to_string(), "ALL".to_string()),
            ("PageSize".to_string(), "100".to_string()),
            ("PageNumber".to_string(), page.to_string()),
        ];
        query.extend(owner.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let answer = call_with(
            client,
            region,
            DESCRIBE_IMAGES,
            priority,
            &query,
            classify_batch,
        )
        .await;
        match answer {
            Ok(Answer::Json(json)) => {
                let page_images = answers::images(&json)?;
                let new = page_images.len();
                found.extend(page_images);
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
        Ok(Answer::Json(json)) => answers::supported(&json),
        Ok(Answer::NotFound(m)) => {
            Constraint::Error(format!("DescribeImageSupportInstanceTypes: not found: {m}"))
        }
        Err(reason) => Constraint::Error(format!("DescribeImageSupportInstanceTypes: {reason}")),
    }
}

/// The catalogue entries of the plans' types, 10 per call. A type it lacks does not exist.
async fn catalogue(
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
                let query: Vec<(String, String)> = names
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("InstanceTypes.{}", i + 1), t.clone()))
                    .collect();
                (names, catalogue_pages(&client, &region, query).await)
            }
        })
        .collect())
    .await;
    let mut known = InstanceTypes::default();
    for (names, answer) in answers {
        let found = match answer {
            Ok(found) => found,
            Err(reason) => return Fetched::Error(format!("DescribeInstanceTypes: {reason}")),
        };
        known.offered.extend(found);
        for name in names {
            if !known.offered.contains_key(&name) {
                known.not_offered.insert(name);
            }
        }
    }
    Fetched::Known(known)
}

/// Every page of one `DescribeInstanceTypes` query, following `NextToken`. A not-found is no
/// answer about the types: a failure.
async fn catalogue_pages(
    client: &Client,
    region: &str,
    query: Vec<(String, String)>,
) -> Result<Vec<(String, crate::facts::InstanceTypeInfo)>, String> {
    let mut types = Vec::new();
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
            Answer::NotFound(m) => return Err(format!("not found: {m}")),
        };
        let page = answers::catalogue(&json)?;
        let empty = page.is_empty();
        types.extend(page);
        token = json["NextToken"].as_str().unwrap_or("").to_string();
        if token.is_empty() || empty {
            break;
        }
    }
    Ok(types)
}

/// What the account may launch in the region: one `DescribeAccountAttributes` for the
/// network types and the vCPU quotas.
async fn account(client: &Client, region: &str) -> Fetched<crate::facts::Account> {
    let mut query = vec![("RegionId".to_string(), region.to_string())];
    for (i, name) in answers::ACCOUNT_ATTRIBUTES.iter().enumerate() {
        query.push((format!("AttributeName.{}", i + 1), name.to_string()));
    }
    shared_fact(
        client,
        region,
        DESCRIBE_ACCOUNT_ATTRIBUTES,
        &query,
        answers::account,
    )
    .await
}

/// One region-wide call read into a fact by `read`; every way it can fail names the action.
async fn shared_fact<T>(
    client: &Client,
    region: &str,
    action: &str,
    query: &[(String, String)],
    read: fn(&Value) -> Result<T, String>,
) -> Fetched<T> {
    let answer = call(client, region, action, Priority::Shared, query).await;
    match answer.and_then(|answer| match answer {
        Answer::Json(json) => read(&json),
        Answer::NotFound(m) => Err(m),
    }) {
        Ok(fact) => Fetched::Known(fact),
        Err(reason) => Fetched::Error(format!("{action}: {reason}")),
    }
}

/// Alibaba's own verdict on one launch: `RunInstances` with `DryRun=true` "checks whether
/// required parameters are specified, the request format, service limits, and ECS
/// inventory" and answers `DryRunOperation` when the launch would go through. No instance is
/// created; the answer is never cached.
async fn dry_run(client: &Client, region: &str, spec: &crate::plan::LaunchSpec) -> DryRun {
    let mut query = vec![
        ("RegionId".to_string(), region.to_string()),
        ("ImageId".to_string(), spec.image.clone()),
        ("InstanceType".to_string(), spec.instance_type.clone()),
        ("VSwitchId".to_string(), spec.vswitch.clone()),
        ("Amount".to_string(), spec.amount.to_string()),
        ("DryRun".to_string(), "true".to_string()),
    ];
    for (i, group) in spec.security_groups.iter().enumerate() {
        query.push((format!("SecurityGroupIds.{}", i + 1), group.clone()));
    }
    if let Some(category) = &spec.disk_category {
        query.push(("SystemDisk.Category".to_string(), category.clone()));
    }
    if let Some(size) = spec.disk_gb {
        query.push(("SystemDisk.Size".to_string(), size.to_string()));
    }
    // `DataDisk` is a list in the model, flattened as `DataDisk.N.Category` / `.Size`.
    for (i, (category, size)) in spec.data_disks.iter().enumerate() {
        query.push((format!("DataDisk.{}.Category", i + 1), category.clone()));
        if let Some(size) = size {
            query.push((format!("DataDisk.{}.Size", i + 1), size.to_string()));
        }
    }
    query.extend(charge_query(spec.charge));
    match call_with(
        client,
        region,
        RUN_INSTANCES,
        Priority::Shared,
        &query,
        classify_dry_run,
    )
    .await
    {
        Ok(Answer::Json(json)) => {
            let code = json["Code"].as_str().unwrap_or_default();
            if code == "DryRunOperation" {
                DryRun::Passed
            } else if code.is_empty() {
                // A success without the dry-run code would mean instances were created: the
                // request said DryRun, so this is no verdict.
                DryRun::Failed("RunInstances answered without `DryRunOperation`".to_string())
            } else {
                DryRun::Refused {
                    code: code.to_string(),
                    message: json["Message"].as_str().unwrap_or_default().to_string(),
                }
            }
        }
        Ok(Answer::NotFound(m)) => DryRun::Failed(format!("RunInstances: {m}")),
        Err(reason) => DryRun::Failed(format!("RunInstances: {reason}")),
    }
}

/// One vSwitch's zone: VPC `DescribeVSwitches` filtered by its id. An empty listing, or a
/// not-found code, says it does not exist in the region.
async fn vswitch(client: &Client, region: &str, id: &str) -> VSwitchFact {
    let query = vec![
        ("RegionId".to_string(), region.to_string()),
        ("VSwitchId".to_string(), id.to_string()),
        ("PageSize".to_string(), "50".to_string()),
    ];
    match call_with(
        client,
        region,
        DESCRIBE_VSWITCHES,
        Priority::Shared,
        &query,
        classify_vswitch,
    )
    .await
    {
        Ok(Answer::Json(json)) => match answers::vswitch(&json, id) {
            Ok(Some(info)) => VSwitchFact::Found(info),
            Ok(None) => VSwitchFact::NotFound,
            Err(reason) => VSwitchFact::Error {
                reason: format!("DescribeVSwitches: {reason}"),
            },
        },
        Ok(Answer::NotFound(_)) => VSwitchFact::NotFound,
        Err(reason) => VSwitchFact::Error {
            reason: format!("DescribeVSwitches: {reason}"),
        },
    }
}

/// The charge parameters of `DescribeAvailableResource`: spot is pay-as-you-go with
/// `SpotStrategy=SpotAsPriceGo`.
fn charge_query(charge: ChargeType) -> Vec<(String, String)> {
    let (charge_type, spot) = match charge {
        ChargeType::Postpaid => ("PostPaid", "NoSpot"),
        ChargeType::Prepaid => ("PrePaid", "NoSpot"),
        ChargeType::Spot => ("PostPaid", "SpotAsPriceGo"),
    };
    let mut query = vec![("InstanceChargeType".to_string(), charge_type.to_string())];
    if charge_type == "PostPaid" {
        query.push(("SpotStrategy".to_string(), spot.to_string()));
    }
    query
}

/// The disks one type is sold with, in every zone: `DescribeAvailableResource` with
/// `ResourceType=instance` and `DestinationResource=SystemDisk` ("you must specify
/// InstanceType because system disks are restricted by instance types") where `beside` is
/// `None`, else `DataDisk` beside a system disk of that category, for which
/// `SystemDiskCategory` "is required. If you do not specify this parameter, the default value
/// takes effect" (`plan::DEFAULT_SYSTEM_DISK`: not sent).
async fn disks(
    client: &Client,
    region: &str,
    charge: ChargeType,
    instance_type: &str,
    beside: Option<&str>,
) -> Fetched<crate::facts::DiskOffer> {
    let destination = if beside.is_some() {
        "DataDisk"
    } else {
        "SystemDisk"
    };
    let mut query = vec![
        ("RegionId".to_string(), region.to_string()),
        ("DestinationResource".to_string(), destination.to_string()),
        ("InstanceType".to_string(), instance_type.to_string()),
        ("ResourceType".to_string(), "instance".to_string()),
        ("IoOptimized".to_string(), "optimized".to_string()),
    ];
    if let Some(system) = beside.filter(|s| *s != crate::plan::DEFAULT_SYSTEM_DISK) {
        query.push(("SystemDiskCategory".to_string(), system.to_string()));
    }
    query.extend(charge_query(charge));
    let read = if beside.is_some() {
        answers::data_disks
    } else {
        answers::system_disks
    };
    shared_fact(client, region, DESCRIBE_AVAILABLE_RESOURCE, &query, read).await
}

/// What the region sells for one charge type, in every zone: one `DescribeAvailableResource`
/// without `ZoneId`, as the Terraform provider's `alicloud_instance_types` asks it. Spot is
/// pay-as-you-go with `SpotStrategy=SpotAsPriceGo`.
async fn available(client: &Client, region: &str, charge: ChargeType) -> Fetched<Availability> {
    let mut query = vec![
        ("RegionId".to_string(), region.to_string()),
        (
            "DestinationResource".to_string(),
            "InstanceType".to_string(),
        ),
        ("IoOptimized".to_string(), "optimized".to_string()),
    ];
    query.extend(charge_query(charge));
    shared_fact(
        client,
        region,
        DESCRIBE_AVAILABLE_RESOURCE,
        &query,
        answers::available,
    )
    .await
}
