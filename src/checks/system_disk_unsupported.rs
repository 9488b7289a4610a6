//! # system-disk-unsupported
//!
//! ## What it does
//! Flags an Alibaba instance whose system disk category is not one its type is sold with
//! where the instances land (the vSwitch's zone, else the planned zone, else any zone of the
//! region), or whose size is outside the category's range, as `DescribeAvailableResource`
//! with `DestinationResource=SystemDisk` for the type and charge type reports it. A Terraform
//! `alicloud_instance` without `system_disk_category` takes the provider's default,
//! `cloud_efficiency`, and is checked with it.
//!
//! On JD Cloud, flags a system disk whose cloud disk type (`system_disk.disk_type` in
//! Terraform, `system_disk_category` in a plan) is not one the instance type takes, as
//! `describeInstanceTypes` lists them (`cloudDiskTypes`), or whose size is outside the 40–500
//! GiB JD's model states for a cloud system disk (`CloudDiskSpec.diskSizeGB`). Only a written
//! type is checked: the image decides whether the system disk is a cloud disk at all (`local`
//! is not checked).
//!
//! On Zenlayer, flags a system disk category (`system_disk_category` of a
//! `zenlayercloud_zec_instance` or a plan) the zone does not sell, as `DescribeDiskCategory`
//! lists them (VM: for the charge type).
//!
//! ## Why it matters
//! After stock, the commonest launch failures are `InvalidSystemDiskCategory.ValueNotSupported`
//! and `InvalidDiskCategory.ZoneNotSupported`, mostly from the default: newer families (g8i,
//! g7 in many zones) sell only ESSD-class disks. A size outside the category's range fails
//! with `InvalidParameter` 'The specified parameter "SystemDisk.Size" is not valid'.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: web
//!     image: ubuntu_22_04_x64_20G_alibase_20240130.vhd
//!     instance_type: ecs.g8i.large
//!     system_disk_category: cloud_efficiency
//! ```
//! ```text
//! plan.yaml:8:27: error [system-disk-unsupported] system disk category `cloud_efficiency` is not sold with `ecs.g8i.large` in aliyun region `cn-hangzhou` (postpaid): it is sold with `cloud_auto` or `cloud_essd`
//! ```
//!
//! ## How to fix
//! Use a category the type is sold with there (`cloud_essd` for most newer families), or a
//! size within the category's range; on JD Cloud, a cloud disk type the instance type takes;
//! on Zenlayer, a category the zone sells.

use super::disk_offer::{self, Disk};
use super::{Check, Need, Pairing, Rule};
use crate::cloud::Api;
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "system-disk-unsupported",
    summary: "the system disk's category or size is not sold with the instance type there",
    severity: Severity::Error,
    needs: &[Need::SystemDisks, Need::VSwitch],
    source: include_str!("system_disk_unsupported.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let disk = system_disk(p)?;
    match p.api() {
        Api::Jdcloud => disk_offer::judge_jd(p, &RULE, &disk, disk_offer::JD_SYSTEM_DISK_GB),
        Api::ZenlayerVm | Api::ZenlayerZec => disk_offer::judge_zenlayer(p, &RULE, &disk),
        Api::Aliyun => {
            let offer = p
                .facts
                .system_disks(
                    p.api(),
                    p.region(),
                    p.charge(),
                    &p.instance.instance_type.value,
                )
                .ok()?;
            disk_offer::judge(p, &RULE, offer, &disk)
        }
    }
}

/// The entry's system disk, where it names (or takes a default) category.
fn system_disk<'p>(p: &Pairing<'p>) -> Option<Disk<'p>> {
    Some(Disk {
        what: "system disk",
        key: "`system_disk_category`",
        category: disk_offer::judged_system_disk(p.instance)?,
        size: p.instance.system_disk_gb.as_ref(),
    })
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn categories_and_sizes_are_judged_where_the_instances_land() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t, system_disk_category: cloud_efficiency}\n\
            - {name: b, image: i, instance_type: t, system_disk_category: cloud_essd}\n\
            - {name: c, image: i, instance_type: t, system_disk_category: cloud_essd, system_disk_gb: 10}\n\
            - {name: d, image: i, instance_type: t, system_disk_category: cloud_efficiency, zone: r-h}\n\
            - {name: e, image: i, instance_type: t, system_disk_category: cloud_efficiency, zone: r-i}\n\
            - {name: f, image: i, instance_type: t}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "system_disks":{"postpaid":{"t":{"zones":{
                "r-h":{"cloud_essd":{"min":20,"max":2048},"cloud_efficiency":{"min":20,"max":2048}},
                "r-i":{"cloud_essd":{"min":20,"max":2048}}}}}}}}}}"#;
        let got = findings("system-disk-unsupported", plan, facts);
        let lines: Vec<usize> = got.iter().map(|g| g.1).collect();
        // a: sold in zone h, so fine region-wide; c: too small; e: not in zone i.
        assert_eq!(lines, [5, 7], "{got:?}");
        assert!(got[0].2.contains("outside the range"), "{}", got[0].2);
        assert!(
            got[1].2.contains("it is sold with `cloud_essd`"),
            "{}",
            got[1].2
        );
    }

    #[test]
    fn a_jd_system_disk_type_is_judged_against_the_types_cloud_disk_types() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t, system_disk_category: ssd.io2}\n\
            - {name: b, image: i, instance_type: t, system_disk_category: ssd.gp1}\n\
            - {name: c, image: i, instance_type: t, system_disk_category: local}\n\
            - {name: d, image: i, instance_type: quiet, system_disk_category: ssd.io2}\n\
            - {name: e, image: i, instance_type: t}\n\
            - {name: f, image: i, instance_type: t, system_disk_category: ssd.gp1, system_disk_gb: 600}\n\
            - {name: g, image: i, instance_type: t, system_disk_category: ssd.gp1, system_disk_gb: 500}\n";
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"r":{
            "instance_types":{"complete":true,"offered":{
                "t":{"cloud_disk_types":["ssd.gp1","hdd.std1"]},"quiet":{}}}}}}}"#;
        let got = findings("system-disk-unsupported", plan, facts);
        // a: not taken; b is taken, c is local, d's type lists none (unverified's), e writes
        // none; f is over JD's 500 GiB, g at it.
        assert_eq!(
            got.iter().map(|g| g.1).collect::<Vec<_>>(),
            [3, 8],
            "{got:?}"
        );
        assert!(
            got[1].2.contains(
                "a system disk of 600 GiB is outside the range of a JD Cloud cloud system disk: 40–500 GiB"
            ),
            "{}",
            got[1].2
        );
        assert!(
            got[0].2.contains("`ssd.io2` is not one `t` takes")
                && got[0].2.contains("it takes `ssd.gp1` or `hdd.std1`"),
            "{}",
            got[0].2
        );
    }
}
