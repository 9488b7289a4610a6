//! JD Cloud's answers read into facts: pure functions of the JSON (tests and the fuzzer feed
//! them anything). Shapes are the VM API's (`jdcloud-sdk` models and JD's API reference):
//! `{"requestId", "result": {…}}`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::facts::{
    Account, Arch, Constraint, Fetched, ImageFact, ImageInfo, InstanceTypeInfo, InstanceTypes,
    Quota, Stock,
};

/// What one batch call said about its ids: per id, its JSON entry (or absent), or why not.
pub type Batch = Result<BTreeMap<String, Value>, String>;

/// `describeImages`: `result.images[]` by `imageId`.
pub fn images(json: &Value) -> Batch {
    by_id(&json["result"]["images"], "describeImages")
}

/// `describeImageConstraintsBatch`: `result.imageConstraints[]` by `imageId`.
pub fn constraints(json: &Value) -> Batch {
    by_id(
        &json["result"]["imageConstraints"],
        "describeImageConstraintsBatch",
    )
}

fn by_id(list: &Value, operation: &str) -> Batch {
    let list = list
        .as_array()
        .ok_or_else(|| format!("{operation}: JD Cloud's answer has an unexpected shape"))?;
    Ok(list
        .iter()
        .filter_map(|e| Some((e["imageId"].as_str()?.to_string(), e.clone())))
        .collect())
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
            // Only official and third-party images have constraints: the others allow every
            // type.
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
        architecture: Arch::parse(&entry["architecture"]),
        min_system_disk_gb: entry["systemDiskSizeGB"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()),
        constraint: Some(constraint),
        nvme: None,
        // "启动模式，默认bios": JD's types say no boot mode, so nothing compares it yet.
        boot_mode: entry["bootMode"].as_str().map(str::to_string),
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

/// `describeInstanceTypes` filtered to `asked`: the types JD offers (the general list and
/// `specificInstanceTypes`, granted to the account by ticket: either one is offered), and for
/// each where it is in stock (`state[]{az, inStock}`; no state says nothing of stock).
pub fn instance_types(
    json: &Value,
    asked: &[String],
) -> Result<(InstanceTypes, BTreeMap<String, Stock>), String> {
    let result = &json["result"];
    let general = result["instanceTypes"].as_array().ok_or_else(|| {
        "describeInstanceTypes: JD Cloud's answer has an unexpected shape".to_string()
    })?;
    let granted = result["specificInstanceTypes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut known = InstanceTypes::default();
    let mut sold = BTreeMap::new();
    for t in general.iter().chain(granted) {
        let Some(name) = t["instanceType"].as_str() else {
            continue;
        };
        known.offered.insert(
            name.to_string(),
            InstanceTypeInfo {
                architecture: Arch::parse(&t["architecture"]),
                vcpus: t["cpu"].as_u64().and_then(|n| u32::try_from(n).ok()),
                memory_mb: t["memoryMB"].as_u64().and_then(|n| u32::try_from(n).ok()),
                cloud_disk_limit: t["cloudDiskCountLimit"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok()),
                // An empty list says nothing: the field is optional in the SDK model.
                cloud_disk_types: t["cloudDiskTypes"]
                    .as_array()
                    .map(|types| {
                        types
                            .iter()
                            .filter_map(|d| Some(d.as_str()?.to_string()))
                            .collect::<Vec<_>>()
                    })
                    .filter(|types| !types.is_empty()),
                ..InstanceTypeInfo::default()
            },
        );
        let zones: BTreeMap<String, bool> = t["state"]
            .as_array()
            .map(|states| {
                states
                    .iter()
                    .filter_map(|s| Some((s["az"].as_str()?.to_string(), s["inStock"].as_bool()?)))
                    .collect()
            })
            .unwrap_or_default();
        sold.insert(name.to_string(), (!zones.is_empty()).then_some(zones));
    }
    for name in asked {
        if !known.offered.contains_key(name) {
            known.not_offered.insert(name.clone());
        }
    }
    Ok((known, sold))
}

/// `describeQuotas`: the `image` quota's used and limit.
pub fn quota(json: &Value) -> Fetched<Quota> {
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

/// The launch quotas asked of `describeQuotas` where plans launch instances.
pub const LAUNCH_QUOTAS: [&str; 3] = ["instance", "instance_cpu", "instance_memory"];

/// `describeQuotas`: the `instance`, `instance_cpu` and `instance_memory` quotas, numbers as
/// stated; one the answer lacks is left out (its pairings are then unverified).
pub fn launch_quotas(json: &Value) -> Fetched<Account> {
    let Some(list) = json["result"]["quotas"].as_array() else {
        return Fetched::Error(
            "describeQuotas: JD Cloud's answer has an unexpected shape".to_string(),
        );
    };
    let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let quotas = list
        .iter()
        .filter_map(|q| {
            let kind = q["resourceType"].as_str()?;
            LAUNCH_QUOTAS.contains(&kind).then_some(())?;
            Some((
                kind.to_string(),
                Quota {
                    used: number(&q["used"])?,
                    limit: number(&q["limit"])?,
                },
            ))
        })
        .collect();
    Fetched::Known(Account {
        network_types: None,
        quotas,
    })
}

/// Every parser over one answer, as the fuzzer and property tests run them.
pub fn parse_all(json: &Value) {
    let _ = quota(json);
    let _ = launch_quotas(json);
    let images = images(json);
    let constraints = constraints(json);
    if let Ok(found) = &images {
        for id in found.keys() {
            let _ = image_fact(id, &images, &constraints);
        }
    }
    let _ = instance_types(json, &["a".to_string(), "b".to_string()]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_of_the_wrong_shape_are_errors_not_facts() {
        assert!(matches!(
            quota(&json!({"result": {"quotas": []}})),
            Fetched::Error(_)
        ));
        assert!(matches!(
            quota(
                &json!({"result": {"quotas": [{"resourceType": "image", "used": 3, "limit": 10}]}})
            ),
            Fetched::Known(Quota { used: 3, limit: 10 })
        ));
        assert!(images(&json!({"result": {}})).is_err());
        assert!(instance_types(&json!({"result": {}}), &[]).is_err());
        let found = images(
            &json!({"result": {"images": [{"imageId": "a", "status": "ready", "offline": true}]}}),
        );
        let no_constraints: Batch = Ok(BTreeMap::new());
        match image_fact("a", &found, &no_constraints) {
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
            image_fact("b", &found, &no_constraints),
            ImageFact::NotFound
        ));
    }

    #[test]
    fn granted_types_are_offered_and_state_says_where_they_are_in_stock() {
        let answer = json!({"result": {
            "instanceTypes": [{"instanceType": "g.n4.xlarge", "architecture": "x86_64",
                               "cpu": 4, "memoryMB": 16384,
                               "state": [{"az": "cn-north-1a", "inStock": true}, {"az": "cn-north-1b", "inStock": false}]}],
            "specificInstanceTypes": [{"instanceType": "p.granted.large", "architecture": "x86_64"}],
            "totalCount": 1}});
        let asked = ["g.n4.xlarge", "p.granted.large", "g.n4.xlarg"].map(String::from);
        let (known, sold) = instance_types(&answer, &asked).expect("reads");
        assert!(
            known.offered.contains_key("p.granted.large"),
            "granted by ticket"
        );
        assert_eq!(known.not_offered.iter().collect::<Vec<_>>(), ["g.n4.xlarg"]);
        let zones = sold["g.n4.xlarge"].as_ref().expect("state");
        assert_eq!((zones["cn-north-1a"], zones["cn-north-1b"]), (true, false));
        assert_eq!(sold["p.granted.large"], None, "no state: stock unknown");
        let sizes = &known.offered["g.n4.xlarge"];
        assert_eq!((sizes.vcpus, sizes.memory_mb), (Some(4), Some(16384)));
        assert_eq!(known.offered["p.granted.large"].memory_mb, None);
    }

    #[test]
    fn launch_quotas_keep_the_three_asked_for_as_stated() {
        let answer = json!({"result": {"quotas": [
            {"resourceType": "instance", "used": 2, "limit": 20},
            {"resourceType": "instance_cpu", "used": 8, "limit": 80},
            {"resourceType": "instance_memory", "used": 32, "limit": 160},
            {"resourceType": "keypair", "used": 1, "limit": 20},
            {"resourceType": "instance_local_disk", "limit": 5}]}});
        let Fetched::Known(account) = launch_quotas(&answer) else {
            panic!("reads");
        };
        assert_eq!(
            account.quotas.keys().collect::<Vec<_>>(),
            ["instance", "instance_cpu", "instance_memory"]
        );
        assert_eq!(
            account.quotas["instance_memory"],
            Quota {
                used: 32,
                limit: 160
            }
        );
        assert!(matches!(
            launch_quotas(&json!({"result": {}})),
            Fetched::Error(_)
        ));
    }
}
