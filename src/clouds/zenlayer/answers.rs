//! Zenlayer's answers read into facts: pure functions of the JSON inside `response` (tests
//! and the fuzzer feed them anything). Shapes are the official SDK's models
//! (`zenlayercloud-sdk-python`, `vm/v20260401` and `zec/v20250901`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::facts::{ImageInfo, Quota, Stock};

/// `DescribeImages` (VM or ZEC): `dataSet[]` by `imageId`.
pub fn images(r: &Value) -> Result<BTreeMap<String, Value>, String> {
    r["dataSet"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|i| Some((i["imageId"].as_str()?.to_string(), i.clone())))
                .collect()
        })
        .ok_or_else(|| shape("DescribeImages"))
}

/// A VM image. Zenlayer says nothing of architecture; `imageSize` (GiB, as a string) of a
/// custom image is its source's system disk, so a new instance's disk is at least that.
pub fn vm_image(image: &Value) -> ImageInfo {
    let custom = image["imageType"].as_str() == Some("CUSTOM_IMAGE");
    ImageInfo {
        min_system_disk_gb: if custom {
            number(&image["imageSize"])
        } else {
            None
        },
        ..status(image)
    }
}

/// A ZEC image: its `minDiskSize` is the smallest system disk it boots from.
pub fn zec_image(image: &Value) -> ImageInfo {
    ImageInfo {
        min_system_disk_gb: number(&image["minDiskSize"]),
        ..status(image)
    }
}

fn status(image: &Value) -> ImageInfo {
    let status = image["imageStatus"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    ImageInfo {
        usable: status == "AVAILABLE",
        status,
        architecture: None,
        min_system_disk_gb: None,
        constraint: None,
        nvme: None,
        boot_mode: None,
    }
}

/// A zone's instance types (`instanceTypeQuotaSet[]`, from any of the VM or ZEC type calls),
/// with their stock in `zone`: ZEC's general types say `withStock`; the VM list, and ZEC's
/// GPU and accelerator lists (which carry an `inventoryCapacity` whose meaning is not
/// documented), say nothing of stock.
pub fn instance_types(r: &Value, zone: &str) -> Result<Vec<(String, Stock)>, String> {
    let list = r["instanceTypeQuotaSet"]
        .as_array()
        .ok_or_else(|| shape("the instance-type call"))?;
    Ok(list
        .iter()
        .filter_map(|t| {
            let name = t["instanceType"].as_str()?.to_string();
            let stock = t["withStock"]
                .as_bool()
                .map(|in_stock| BTreeMap::from([(zone.to_string(), in_stock)]));
            Some((name, stock))
        })
        .collect())
}

/// `DescribeImageQuota`'s answer, per zone. Accepts the SDK's `images[].zoneId` and the docs'
/// `imageRegionQuota[].regionId`, numbers or numeric strings.
pub fn quotas(r: &Value) -> Result<BTreeMap<String, Quota>, String> {
    let list = r["images"]
        .as_array()
        .or_else(|| r["imageRegionQuota"].as_array())
        .ok_or_else(|| shape("DescribeImageQuota"))?;
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

/// `DescribeDiskCategory`'s answer for `zone`: `categoryZoneSet[]{zoneId, categorySet[]}`
/// (the VM and ZEC models alike). A zone the answer does not name is no answer.
pub fn disk_categories(r: &Value, zone: &str) -> Result<Vec<String>, String> {
    let list = r["categoryZoneSet"]
        .as_array()
        .ok_or_else(|| shape("DescribeDiskCategory"))?;
    let entry = list
        .iter()
        .find(|z| z["zoneId"].as_str() == Some(zone))
        .ok_or_else(|| {
            crate::facts::reason::said_nothing(
                "DescribeDiskCategory",
                "Zenlayer",
                &format!("zone `{zone}`"),
            )
        })?;
    let set = entry["categorySet"]
        .as_array()
        .ok_or_else(|| shape("DescribeDiskCategory"))?;
    Ok(set
        .iter()
        .filter_map(|c| Some(c.as_str()?.to_string()))
        .collect())
}

/// A whole number, written as a number or a numeric string.
fn number(v: &Value) -> Option<u32> {
    v.as_u64()
        .or_else(|| v.as_str()?.trim().parse().ok())
        .and_then(|n| u32::try_from(n).ok())
}

pub fn shape(action: &str) -> String {
    format!("{action}: Zenlayer's answer has an unexpected shape")
}

/// Every parser over one answer, as the fuzzer and property tests run them.
pub fn parse_all(r: &Value) {
    let _ = quotas(r);
    if let Ok(found) = images(r) {
        for image in found.values() {
            let _ = (vm_image(image), zec_image(image));
        }
    }
    let _ = instance_types(r, "FRA-A");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotas_read_both_documented_shapes_and_refuse_others() {
        let sdk = json!({"images": [{"zoneId": "FRA-A", "count": 1, "maxCount": 5}]});
        let doc = json!({"imageRegionQuota": [{"regionId": "sa-jeddah-1a", "count": "0", "maxCount": "5"}]});
        assert_eq!(
            quotas(&sdk).expect("sdk")["FRA-A"],
            Quota { used: 1, limit: 5 }
        );
        assert_eq!(
            quotas(&doc).expect("doc")["sa-jeddah-1a"],
            Quota { used: 0, limit: 5 }
        );
        assert!(quotas(&json!({"quota": []})).is_err());
    }

    #[test]
    fn minimum_disks_come_from_custom_vm_images_and_zec_images() {
        let public = json!({"imageId": "a", "imageType": "PUBLIC_IMAGE", "imageSize": "20", "imageStatus": "AVAILABLE"});
        let custom = json!({"imageId": "b", "imageType": "CUSTOM_IMAGE", "imageSize": "60", "imageStatus": "AVAILABLE"});
        assert_eq!(vm_image(&public).min_system_disk_gb, None);
        assert_eq!(vm_image(&custom).min_system_disk_gb, Some(60));
        let zec =
            json!({"imageId": "c", "imageSize": "2", "minDiskSize": 40, "imageStatus": "CREATING"});
        let info = zec_image(&zec);
        assert_eq!(info.min_system_disk_gb, Some(40));
        assert!(!info.usable);
    }

    #[test]
    fn with_stock_is_the_only_stock_zenlayer_states() {
        let answer = json!({"instanceTypeQuotaSet": [
            {"instanceType": "z2a.cpu.4", "withStock": false},
            {"instanceType": "z2a.gpu.1", "inventoryCapacity": 0}]});
        let types = instance_types(&answer, "asia-east-1a").expect("reads");
        assert_eq!(
            types[0].1,
            Some(BTreeMap::from([("asia-east-1a".to_string(), false)]))
        );
        assert_eq!(types[1].1, None);
    }

    #[test]
    fn disk_categories_are_the_zones_own_and_a_zone_left_out_is_no_answer() {
        let r = serde_json::json!({"categoryZoneSet": [
            {"zoneId": "FRA-A", "categorySet": ["Standard NVMe SSD", "Basic NVMe SSD"]},
            {"zoneId": "SEL-A", "categorySet": ["Standard NVMe SSD"]}]});
        assert_eq!(
            disk_categories(&r, "SEL-A").unwrap(),
            ["Standard NVMe SSD".to_string()]
        );
        let err = disk_categories(&r, "HKG-A").unwrap_err();
        assert!(err.contains("said nothing about zone `HKG-A`"), "{err}");
        assert!(disk_categories(&serde_json::json!({}), "FRA-A").is_err());
    }
}
