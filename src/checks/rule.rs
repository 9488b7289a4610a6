//! What a built-in rule is (`Rule`: its id, documentation, the facts it needs, its check) and
//! the list of them (`BUILTIN`), in the order `preflight rules` lists them.

use super::{
    Pairing, RegionImages, RegionLaunches, architecture_mismatch, boot_mode_mismatch,
    classic_network_unavailable, data_disk_unsupported, dry_run_refused, image_not_found,
    image_quota_exceeded, image_unavailable, instance_quota_exceeded, instance_type_excluded,
    instance_type_not_included, instance_type_sold_out, instance_type_unknown, nvme_unsupported,
    system_disk_too_small, system_disk_unsupported, unverified, vswitch_not_found,
    vswitch_zone_mismatch,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::plan::Side;

/// A fact a rule needs; when it is missing, the pairing is `unverified` (if the rule is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Whether the image exists, its status, architecture and minimum disk.
    Image,
    /// Which instance types the image allows (only clouds that can say).
    Constraint,
    /// Whether the instance type exists, and its architecture (the catalogue).
    InstanceType,
    /// What the region sells for the entry's charge type, and where it is in stock.
    Availability,
    /// The region's custom-image quota (only clouds that can say).
    Quota,
    /// The zone of the entry's vSwitch (Alibaba), where it names one.
    VSwitch,
    /// What the account may launch in the region: network types, instance and vCPU quotas.
    Account,
    /// The system disks the entry's type is sold with (Alibaba), where it names a category.
    SystemDisks,
    /// The data disks the entry's type is sold with (Alibaba), where it has data disks.
    DataDisks,
}

impl Need {
    /// Which sides of a pairing the fact is about.
    pub fn sides(self) -> &'static [Side] {
        match self {
            Need::Image => &[Side::Image],
            Need::Constraint => &[Side::Image, Side::InstanceType],
            Need::InstanceType | Need::Availability => &[Side::InstanceType],
            Need::Quota | Need::VSwitch | Need::Account => &[],
            Need::SystemDisks | Need::DataDisks => &[Side::InstanceType],
        }
    }
}

/// What a rule checks.
#[derive(Clone, Copy)]
pub enum Check {
    /// One instance entry at a time.
    Pairing(fn(&Pairing) -> Option<Diagnostic>),
    /// The custom images all plans create in one region.
    Region(fn(&RegionImages) -> Option<Diagnostic>),
    /// The instances all plans launch in one region.
    Launches(fn(&RegionLaunches) -> Vec<Diagnostic>),
    /// Reports what the other enabled rules could not check.
    Unverified,
}

/// A built-in rule: its id, documentation and check.
pub struct Rule {
    pub id: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub needs: &'static [Need],
    /// The rule's source file; its `//!` lines are the documentation.
    pub(super) source: &'static str,
    pub check: Check,
}

impl Rule {
    /// The documentation: the rule file's leading `//!` comment.
    pub fn doc(&self) -> String {
        let mut doc = String::new();
        for line in self.source.lines() {
            let Some(text) = line.strip_prefix("//!") else {
                break;
            };
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
            doc.push('\n');
        }
        doc
    }
}

/// Every built-in rule, in the order `preflight rules` lists them.
pub const BUILTIN: &[&Rule] = &[
    &instance_type_excluded::RULE,
    &instance_type_not_included::RULE,
    &image_not_found::RULE,
    &image_unavailable::RULE,
    &system_disk_too_small::RULE,
    &instance_type_unknown::RULE,
    &instance_type_sold_out::RULE,
    &vswitch_not_found::RULE,
    &vswitch_zone_mismatch::RULE,
    &nvme_unsupported::RULE,
    &boot_mode_mismatch::RULE,
    &classic_network_unavailable::RULE,
    &instance_quota_exceeded::RULE,
    &system_disk_unsupported::RULE,
    &data_disk_unsupported::RULE,
    &dry_run_refused::RULE,
    &architecture_mismatch::RULE,
    &image_quota_exceeded::RULE,
    &unverified::RULE,
];

/// The id of the rule that reports what could not be checked; it cannot be disabled.
pub const UNVERIFIED: &str = "unverified";

/// The built-in rules' ids, which no rule file may take.
pub fn ids() -> Vec<&'static str> {
    BUILTIN.iter().map(|r| r.id).collect()
}

pub fn builtin(id: &str) -> Option<&'static Rule> {
    BUILTIN.iter().copied().find(|r| r.id == id)
}
