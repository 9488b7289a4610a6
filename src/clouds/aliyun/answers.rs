//! Alibaba Cloud ECS's answers read into facts: pure functions of the JSON (tests and the
//! fuzzer feed them anything). Shapes are those of the official SDK's models
//! (`alibabacloud-ecs20140526`): `Images.Image[]`, `InstanceTypes.InstanceType[]`,
//! `AvailableZones.AvailableZone[].AvailableResources.AvailableResource[].SupportedResources
//! .SupportedResource[]`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::facts::{
    Account, Arch, Availability, Constraint, DiskOffer, DiskRange, ImageInfo, InstanceTypeInfo,
    Quota, VSwitchInfo,
};

/// `DescribeImages`: `Images.Image[]` by `ImageId`.
pub fn images(json: &Value) -> Result<BTreeMap<String, Value>, String> {
    let list = json["Images"]["Image"].as_array().ok_or_else(|| {
        "DescribeImages: Alibaba Cloud's answer has an unexpected shape".to_string()
    })?;
    Ok(list
        .iter()
        .filter_map(|i| Some((i["ImageId"].as_str()?.to_string(), i.clone())))
        .collect())
}

/// One image of a `DescribeImages` answer. An image can be used when its `Status` is
/// `Available` and `Usable` (beside it in the answer) is not false.
pub fn image_info(image: &Value, constraint: Option<Constraint>) -> ImageInfo {
    let status = image["Status"].as_str().unwrap_or("unknown").to_string();
    let usable = image["Usable"].as_bool().unwrap_or(true);
    ImageInfo {
        usable: status == "Available" && usable,
        status: if status == "Available" && !usable {
            "Available, but not usable".to_string()
        } else {
            status
        },
        architecture: Arch::parse(&image["Architecture"]),
        min_system_disk_gb: image["Size"].as_u64().and_then(|n| u32::try_from(n).ok()),
        constraint,
        nvme: text(&image["Features"]["NvmeSupport"]),
        boot_mode: text(&image["BootMode"]),
    }
}

/// A non-empty string field.
fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// `DescribeImageSupportInstanceTypes`: the image's includes list.
pub fn supported(json: &Value) -> Constraint {
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

/// `DescribeInstanceTypes` (the global catalogue): each type's name and CPU architecture.
pub fn catalogue(json: &Value) -> Result<Vec<(String, InstanceTypeInfo)>, String> {
    let list = json["InstanceTypes"]["InstanceType"]
        .as_array()
        .ok_or_else(|| {
            "DescribeInstanceTypes: Alibaba Cloud's answer has an unexpected shape".to_string()
        })?;
    Ok(list
        .iter()
        .filter_map(|t| {
            Some((
                t["InstanceTypeId"].as_str()?.to_string(),
                InstanceTypeInfo {
                    architecture: Arch::parse(&t["CpuArchitecture"]),
                    nvme: text(&t["NvmeSupport"]),
                    boot_modes: t["SupportedBootModes"]["SupportedBootMode"]
                        .as_array()
                        .map(|modes| modes.iter().filter_map(text).collect())
                        .filter(|modes: &Vec<String>| !modes.is_empty()),
                    vcpus: t["CpuCoreCount"]
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok()),
                    // No memory quota is checked on Alibaba: `MemorySize` is not kept.
                    memory_mb: None,
                    // `DiskQuantity`'s model says nothing of the system disk: not kept.
                    cloud_disk_limit: None,
                    cloud_disk_types: None,
                },
            ))
        })
        .collect())
}

/// `DescribeAvailableResource` for instance types, every zone of the region: which types the
/// region sells (for the charge type asked), and in which zones each is in stock. A zone or a
/// type marked `SoldOut` is out of stock there.
pub fn available(json: &Value) -> Result<Availability, String> {
    let zones = json["AvailableZones"]["AvailableZone"]
        .as_array()
        .ok_or_else(|| "Alibaba Cloud's answer has an unexpected shape".to_string())?;
    let mut types: BTreeMap<String, Option<BTreeMap<String, bool>>> = BTreeMap::new();
    for zone in zones {
        let Some(zone_id) = zone["ZoneId"].as_str() else {
            continue;
        };
        let zone_open = zone["Status"].as_str() != Some("SoldOut");
        let resources = zone["AvailableResources"]["AvailableResource"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for resource in resources
            .iter()
            .filter(|r| r["Type"].as_str() == Some("InstanceType"))
        {
            let supported = resource["SupportedResources"]["SupportedResource"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for t in supported {
                let Some(name) = t["Value"].as_str() else {
                    continue;
                };
                let in_stock = zone_open && t["Status"].as_str() == Some("Available");
                types
                    .entry(name.to_string())
                    .or_insert_with(|| Some(BTreeMap::new()))
                    .get_or_insert_with(BTreeMap::new)
                    .insert(zone_id.to_string(), in_stock);
            }
        }
    }
    Ok(Availability { types })
}

/// VPC `DescribeVSwitches` (`alibabacloud-vpc20160428`): `VSwitches.VSwitch[]{VSwitchId,
/// ZoneId, VpcId, Status}`. The entry of `id`, `None` when the listing does not have it; an
/// entry without a zone is no answer.
pub fn vswitch(json: &Value, id: &str) -> Result<Option<VSwitchInfo>, String> {
    let list = json["VSwitches"]["VSwitch"]
        .as_array()
        .ok_or_else(|| "Alibaba Cloud's answer has an unexpected shape".to_string())?;
    let Some(entry) = list.iter().find(|v| v["VSwitchId"].as_str() == Some(id)) else {
        return Ok(None);
    };
    let text = |key: &str| {
        entry[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let zone = text("ZoneId").ok_or_else(|| format!("the answer gives vSwitch `{id}` no zone"))?;
    Ok(Some(VSwitchInfo {
        zone,
        vpc: text("VpcId"),
        status: text("Status"),
    }))
}

/// `DescribeAvailableResource` with `DestinationResource=SystemDisk` for one type: per zone,
/// the `SystemDisk` resources' `SupportedResource[]{Value, Status, Min, Max}`. A category
/// whose `Status` is not `Available` is not offered there now.
pub fn system_disks(json: &Value) -> Result<DiskOffer, String> {
    disks(json, "SystemDisk")
}

/// The same for `DestinationResource=DataDisk`: the `DataDisk` resources.
pub fn data_disks(json: &Value) -> Result<DiskOffer, String> {
    disks(json, "DataDisk")
}

/// The disks of `kind` (`SystemDisk`, `DataDisk`) an answer lists, zone by zone.
fn disks(json: &Value, kind: &str) -> Result<DiskOffer, String> {
    let zones = json["AvailableZones"]["AvailableZone"]
        .as_array()
        .ok_or_else(|| "Alibaba Cloud's answer has an unexpected shape".to_string())?;
    let mut offer = DiskOffer::default();
    let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    for zone in zones {
        let Some(zone_id) = zone["ZoneId"].as_str() else {
            continue;
        };
        let entry = offer.zones.entry(zone_id.to_string()).or_default();
        let resources = zone["AvailableResources"]["AvailableResource"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["Type"].as_str() == Some(kind));
        for resource in resources {
            let supported = resource["SupportedResources"]["SupportedResource"]
                .as_array()
                .into_iter()
                .flatten();
            for s in supported {
                let (Some(category), Some("Available")) =
                    (s["Value"].as_str(), s["Status"].as_str())
                else {
                    continue;
                };
                entry.insert(
                    category.to_string(),
                    DiskRange {
                        min: number(&s["Min"]),
                        max: number(&s["Max"]),
                    },
                );
            }
        }
    }
    Ok(offer)
}

/// The attributes `DescribeAccountAttributes` is asked for.
pub const ACCOUNT_ATTRIBUTES: [&str; 5] = [
    "instance-network-type",
    "max-postpaid-instance-vcpu-count",
    "used-postpaid-instance-vcpu-count",
    "max-spot-instance-vcpu-count",
    "used-spot-instance-vcpu-count",
];

/// `DescribeAccountAttributes`: `AccountAttributeItems.AccountAttributeItem[]{AttributeName,
/// AttributeValues.ValueItem[]{Value, Count, …}}`. The networks new instances may use, and
/// the vCPU quotas of pay-as-you-go and spot instances (`postpaid-vcpu`, `spot-vcpu`). The
/// model gives no field text: a number is read from `Value`, else from `Count`; a quota whose
/// `max` or `used` is missing is left out (and its pairings are then unverified).
pub fn account(json: &Value) -> Result<Account, String> {
    let items = json["AccountAttributeItems"]["AccountAttributeItem"]
        .as_array()
        .ok_or_else(|| "Alibaba Cloud's answer has an unexpected shape".to_string())?;
    let values = |name: &str| -> Vec<&Value> {
        items
            .iter()
            .filter(|i| i["AttributeName"].as_str() == Some(name))
            .flat_map(|i| {
                i["AttributeValues"]["ValueItem"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .collect()
    };
    let number = |name: &str| -> Option<u32> {
        let item = values(name).into_iter().next()?;
        let from_value = item["Value"]
            .as_str()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .or_else(|| item["Value"].as_u64().and_then(|n| u32::try_from(n).ok()));
        from_value.or_else(|| item["Count"].as_u64().and_then(|n| u32::try_from(n).ok()))
    };
    let networks: Vec<String> = values("instance-network-type")
        .into_iter()
        .filter_map(|v| v["Value"].as_str())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    let mut quotas = std::collections::BTreeMap::new();
    for charge in ["postpaid", "spot"] {
        let limit = number(&format!("max-{charge}-instance-vcpu-count"));
        let used = number(&format!("used-{charge}-instance-vcpu-count"));
        if let (Some(limit), Some(used)) = (limit, used) {
            quotas.insert(format!("{charge}-vcpu"), Quota { used, limit });
        }
    }
    Ok(Account {
        network_types: (!networks.is_empty()).then(|| networks.into_iter().collect()),
        quotas,
    })
}

/// Every parser over one answer, as the fuzzer and property tests run them.
pub fn parse_all(json: &Value) {
    if let Ok(found) = images(json) {
        for image in found.values() {
            let _ = image_info(image, None);
        }
    }
    let _ = supported(json);
    let _ = catalogue(json);
    let _ = available(json);
    let _ = vswitch(json, "vsw-1");
    let _ = account(json);
    let _ = system_disks(json);
    let _ = data_disks(json);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usable_false_makes_an_available_image_unusable() {
        let image = json!({"ImageId": "m-1", "Status": "Available", "Usable": false, "Size": 40});
        let info = image_info(&image, None);
        assert!(!info.usable);
        assert_eq!(info.status, "Available, but not usable");
        assert_eq!(info.min_system_disk_gb, Some(40));
        let fine = image_info(&json!({"Status": "Available", "Usable": true}), None);
        assert!(fine.usable);
        let old = image_info(&json!({"Status": "Deprecated", "Usable": true}), None);
        assert!(!old.usable);
    }

    #[test]
    fn availability_is_per_zone_and_sold_out_means_out_of_stock() {
        let answer = json!({"AvailableZones": {"AvailableZone": [
            {"ZoneId": "cn-hangzhou-h", "Status": "Available", "AvailableResources": {"AvailableResource": [
                {"Type": "InstanceType", "SupportedResources": {"SupportedResource": [
                    {"Value": "ecs.g7.large", "Status": "Available", "StatusCategory": "WithStock"},
                    {"Value": "ecs.g6.large", "Status": "SoldOut", "StatusCategory": "WithoutStock"}]}}]}},
            {"ZoneId": "cn-hangzhou-i", "Status": "SoldOut", "AvailableResources": {"AvailableResource": [
                {"Type": "InstanceType", "SupportedResources": {"SupportedResource": [
                    {"Value": "ecs.g7.large", "Status": "Available"}]}}]}}]}});
        let sold = available(&answer).expect("reads");
        let g7 = sold.types["ecs.g7.large"].as_ref().expect("zones");
        assert_eq!((g7["cn-hangzhou-h"], g7["cn-hangzhou-i"]), (true, false));
        let g6 = sold.types["ecs.g6.large"].as_ref().expect("zones");
        assert!(!g6["cn-hangzhou-h"]);
        assert!(available(&json!({"AvailableZones": {}})).is_err());
    }

    #[test]
    fn account_attributes_read_numbers_from_value_or_count() {
        let item = |name: &str, values: serde_json::Value| json!({"AttributeName": name, "AttributeValues": {"ValueItem": values}});
        let answer = json!({"AccountAttributeItems": {"AccountAttributeItem": [
            item("instance-network-type", json!([{"Value": "vpc"}])),
            item("max-postpaid-instance-vcpu-count", json!([{"Value": "500", "Count": 0}])),
            item("used-postpaid-instance-vcpu-count", json!([{"Value": "", "Count": 480}])),
            item("max-spot-instance-vcpu-count", json!([{"Value": "800"}]))]}});
        let got = account(&answer).expect("reads");
        assert_eq!(got.network_types, Some(["vpc".to_string()].into()));
        assert_eq!(
            got.quotas["postpaid-vcpu"],
            Quota {
                used: 480,
                limit: 500
            }
        );
        // Spot has no `used`: no quota, so its pairings are unverified, never passed.
        assert!(!got.quotas.contains_key("spot-vcpu"));
        assert!(account(&json!({})).is_err());
    }

    #[test]
    fn a_vswitch_is_its_listing_entry_and_an_empty_listing_is_none() {
        let answer = json!({"TotalCount": 1, "VSwitches": {"VSwitch": [
            {"VSwitchId": "vsw-1", "ZoneId": "cn-hangzhou-i", "VpcId": "vpc-1", "Status": "Available"}]}});
        let info = vswitch(&answer, "vsw-1").expect("reads").expect("found");
        assert_eq!(info.zone, "cn-hangzhou-i");
        assert_eq!(info.vpc.as_deref(), Some("vpc-1"));
        assert_eq!(vswitch(&answer, "vsw-2"), Ok(None));
        let empty = json!({"TotalCount": 0, "VSwitches": {"VSwitch": []}});
        assert_eq!(vswitch(&empty, "vsw-1"), Ok(None));
        assert!(vswitch(&json!({}), "vsw-1").is_err());
        let no_zone = json!({"VSwitches": {"VSwitch": [{"VSwitchId": "vsw-1"}]}});
        assert!(vswitch(&no_zone, "vsw-1").is_err());
    }
}
