//! # data-disk-unsupported
//!
//! ## What it does
//! Flags an Alibaba instance's data disk whose category is not one its type is sold with
//! where the instances land (the vSwitch's zone, else the planned zone, else any zone of the
//! region), or whose size is outside the category's range, as `DescribeAvailableResource`
//! with `DestinationResource=DataDisk` reports it for the type, the charge type and the
//! system disk's category. A Terraform `data_disks` block without `category` takes the
//! provider's default, `cloud_efficiency`, and is checked with it.
//!
//! On JD Cloud, flags a data disk whose cloud disk type (`data_disk.disk_type` in Terraform,
//! the `category` of a plan's data disk) is not one the instance type takes, as
//! `describeInstanceTypes` lists them (`cloudDiskTypes`), or whose size is outside the
//! 20–32000 GiB JD's model states for a cloud data disk (`CloudDiskSpec.diskSizeGB`; the disk
//! service's model says 16000 for some types: the wider range is kept), or that is one more
//! than the type takes (`cloudDiskCountLimit`, the system disk included when the entry names
//! a cloud disk type for it).
//!
//! ## Why it matters
//! `InvalidDataDiskCategory.ValueNotSupported` and `InvalidDiskCategory.ZoneNotSupported` fail
//! the launch at `terraform apply`, mostly from the default: newer families sell only
//! ESSD-class disks, and an `alicloud_instance` whose `data_disks` block names no category asks
//! for `cloud_efficiency`.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: db
//!     image: ubuntu_22_04_x64_20G_alibase_20240130.vhd
//!     instance_type: ecs.g8i.large
//!     system_disk_category: cloud_essd
//!     data_disks:
//!       - {category: cloud_efficiency, size_gb: 200}
//! ```
//! ```text
//! plan.yaml:10:20: error [data-disk-unsupported] data disk category `cloud_efficiency` is not sold with `ecs.g8i.large` in aliyun region `cn-hangzhou` (postpaid): it is sold with `cloud_auto` or `cloud_essd`
//! ```
//!
//! ## How to fix
//! Use a category the type is sold with there (`cloud_essd` for most newer families), or a
//! size within the category's range; on JD Cloud, a cloud disk type the instance type takes.

use super::disk_offer::{self, Disk};
use super::{Check, Need, Pairing, Rule};
use crate::cloud::Api;
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "data-disk-unsupported",
    summary: "a data disk's category or size is not sold with the instance type there, or it is one too many",
    severity: Severity::Error,
    needs: &[Need::DataDisks, Need::VSwitch],
    source: include_str!("data_disk_unsupported.rs"),
    check: Check::Pairing(check),
};

/// The first data disk the type is not sold with: one finding per entry, at that disk.
fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    if instance.data_disks.is_empty() {
        return None;
    }
    let mut disks = instance.data_disks.iter().filter_map(|d| {
        Some(Disk {
            what: "data disk",
            key: "the data disk's `category`",
            category: d.category.as_ref()?,
            size: d.size_gb.as_ref(),
        })
    });
    if p.api() == Api::Jdcloud {
        if let Some(d) = too_many_jd(p) {
            return Some(d);
        }
        return disks
            .find_map(|disk| disk_offer::judge_jd(p, &RULE, &disk, disk_offer::JD_DATA_DISK_GB));
    }
    let offer = p
        .facts
        .data_disks(
            p.api(),
            p.region(),
            p.charge(),
            &instance.instance_type.value,
            instance.system_disk_key(),
        )
        .ok()?;
    disks.find_map(|disk| disk_offer::judge(p, &RULE, offer, &disk))
}

/// More cloud disks than the JD type takes (`cloudDiskCountLimit`, "包括云盘系统盘": the system
/// disk counts when it is a cloud disk). The image decides that, so it is counted only where the
/// entry names a cloud disk type for it; else the data disks alone are held to the limit.
fn too_many_jd(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let wanted = &instance.instance_type.value;
    let limit = p
        .facts
        .instance_type(p.api(), p.region(), wanted)
        .ok()??
        .cloud_disk_limit?;
    let system = disk_offer::judged_system_disk(instance).is_some();
    let room = limit.saturating_sub(u32::from(system)) as usize;
    let first_over = instance.data_disks.get(room)?;
    let span = first_over
        .category
        .as_ref()
        .map(|c| c.value.span)
        .or(first_over.size_gb.as_ref().map(|s| s.span))
        .unwrap_or(instance.instance_type.span);
    let counted = if system {
        format!(
            "{} data disks and the cloud system disk",
            instance.data_disks.len()
        )
    } else {
        format!("{} data disks", instance.data_disks.len())
    };
    Some(
        p.diagnostic(
            &RULE,
            span,
            format!(
                "`{wanted}` takes at most {limit} cloud disks, its system disk included; the entry has {counted}"
            ),
            "one more than the type takes",
        )
        .with_related(instance.instance_type.span, format!("takes {limit} cloud disks"))
        .with_help(format!(
            "keep to {room} data disks, or pick a type that takes more"
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn data_disks_are_judged_with_the_system_disk_they_are_asked_with() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t, system_disk_category: cloud_essd, data_disks: [{category: cloud_efficiency, size_gb: 100}]}\n\
            - {name: b, image: i, instance_type: t, system_disk_category: cloud_essd, data_disks: [{category: cloud_essd, size_gb: 100}, {category: cloud_essd, size_gb: 40000}]}\n\
            - {name: c, image: i, instance_type: t, data_disks: [{category: cloud_efficiency}]}\n\
            - {name: d, image: i, instance_type: t, system_disk_category: cloud_essd, data_disks: [{category: cloud_essd, size_gb: 100}]}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "data_disks":{"postpaid":{"t":{
                "cloud_essd":{"zones":{"r-h":{"cloud_essd":{"min":20,"max":32768}}}},
                "default":{"zones":{"r-h":{"cloud_efficiency":{"min":20,"max":32768}}}}}}}}}}}"#;
        let got = findings("data-disk-unsupported", plan, facts);
        // a: not sold beside an ESSD system disk; b: its second disk too large; c and d fine.
        assert_eq!(
            got.iter().map(|g| g.1).collect::<Vec<_>>(),
            [3, 4],
            "{got:?}"
        );
        assert!(
            got[0].2.contains("it is sold with `cloud_essd`"),
            "{}",
            got[0].2
        );
        assert!(
            got[1]
                .2
                .contains("40000 GiB is outside the range of `cloud_essd`"),
            "{}",
            got[1].2
        );
    }

    #[test]
    fn a_jd_data_disk_is_judged_by_its_type_and_by_jds_size_range() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t, data_disks: [{category: ssd.gp1, size_gb: 100}, {category: ssd.io2, size_gb: 100}]}\n\
            - {name: b, image: i, instance_type: t, data_disks: [{category: ssd.gp1, size_gb: 10}]}\n\
            - {name: c, image: i, instance_type: t, data_disks: [{category: hdd.std1, size_gb: 32000}]}\n";
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"r":{
            "instance_types":{"complete":true,"offered":{
                "t":{"cloud_disk_types":["ssd.gp1","hdd.std1"]}}}}}}}"#;
        let got = findings("data-disk-unsupported", plan, facts);
        // a's second disk is not taken; b's is under 20 GiB; c's at the top of the range.
        assert_eq!(
            got.iter().map(|g| g.1).collect::<Vec<_>>(),
            [3, 4],
            "{got:?}"
        );
        assert!(
            got[0].2.contains("`ssd.io2` is not one `t` takes"),
            "{}",
            got[0].2
        );
        assert!(
            got[1].2.contains("a data disk of 10 GiB is outside the range of a JD Cloud cloud data disk: 20–32000 GiB"),
            "{}",
            got[1].2
        );
    }

    #[test]
    fn jd_data_disks_past_the_types_cloud_disk_limit_fail_at_the_first_too_many() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t, system_disk_category: ssd.gp1, data_disks: [{category: ssd.gp1}, {category: ssd.gp1}]}\n\
            - {name: b, image: i, instance_type: t, data_disks: [{category: ssd.gp1}, {category: ssd.gp1}]}\n\
            - {name: c, image: i, instance_type: t, system_disk_category: local, data_disks: [{category: ssd.gp1}, {category: ssd.gp1}]}\n\
            - {name: d, image: i, instance_type: t, data_disks: [{category: ssd.gp1}, {category: ssd.gp1}, {category: ssd.gp1, size_gb: 40}]}\n\
            - {name: e, image: i, instance_type: quiet, data_disks: [{category: ssd.gp1}, {category: ssd.gp1}, {category: ssd.gp1}]}\n";
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"r":{
            "instance_types":{"complete":true,"offered":{
                "t":{"cloud_disk_types":["ssd.gp1"],"cloud_disk_limit":2},
                "quiet":{"cloud_disk_types":["ssd.gp1"]}}}}}}}"#;
        let got = findings("data-disk-unsupported", plan, facts);
        // a: the cloud system disk makes three; b: the image decides the system disk, two data
        // disks fit; c: a local system disk; d: the third data disk; e: no limit.
        assert_eq!(
            got.iter().map(|g| g.1).collect::<Vec<_>>(),
            [3, 6],
            "{got:?}"
        );
        assert!(
            got[0].2.contains(
                "`t` takes at most 2 cloud disks, its system disk included; the entry has 2 data disks and the cloud system disk"
            ),
            "{}",
            got[0].2
        );
        assert!(
            got[1].2.contains("the entry has 3 data disks"),
            "{}",
            got[1].2
        );
    }
}
