//! What the plans ask the clouds, deduplicated: per API and region, the images, the instance
//! types, the charge types and whether the quota matters. A side Terraform decides only at
//! plan time is never asked about.

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::{Api, ChargeType};
use crate::plan::Plan;

/// What the plans ask about, per API and region.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub regions: BTreeMap<(Api, String), RegionNeeds>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegionNeeds {
    pub images: BTreeSet<String>,
    pub instance_types: BTreeSet<String>,
    /// How the plans buy instances here: what the region sells is asked for each.
    pub charge_types: BTreeSet<ChargeType>,
    /// The plans create custom images here, so the quota matters.
    pub quota: bool,
    /// The vSwitches the plans launch in (Alibaba): their zones.
    pub vswitches: BTreeSet<String>,
    /// The (charge type, instance type) pairs whose system disks matter (Alibaba entries
    /// that name a category, or take the provider's default).
    pub system_disks: BTreeSet<(ChargeType, String)>,
    /// The (charge type, instance type, system disk category) triples whose data disks matter
    /// (Alibaba entries with data disks): what is sold depends on the system disk too.
    /// `DEFAULT_SYSTEM_DISK` where the entry says none.
    pub data_disks: BTreeSet<(ChargeType, String, String)>,
    /// The charge types of Zenlayer entries that name a system disk category: the zone's
    /// disk categories (`DescribeDiskCategory`) matter for them.
    pub disk_categories: BTreeSet<ChargeType>,
    /// The fully known launches (Alibaba), for the dry run when it is asked for.
    pub dry_runs: BTreeSet<crate::plan::LaunchSpec>,
    /// The plans launch instances here: what the account may launch matters (Alibaba's
    /// network types and vCPU quotas, JD's instance and vCPU quotas).
    pub account: bool,
}

impl Needs {
    pub fn from_plans(plans: &[Plan]) -> Needs {
        let mut needs = Needs::default();
        for plan in plans {
            for i in &plan.instances {
                let r = needs
                    .regions
                    .entry((i.api(), i.region.value.clone()))
                    .or_default();
                // A side Terraform decides at plan time is not asked about.
                if i.knows(crate::plan::Side::Image) {
                    r.images.insert(i.image.value.clone());
                }
                if i.knows(crate::plan::Side::InstanceType) {
                    r.instance_types.insert(i.instance_type.value.clone());
                    r.charge_types.insert(i.charge());
                }
                if i.system_disk_category.is_some()
                    && i.cloud.value == crate::cloud::Cloud::Zenlayer
                {
                    r.disk_categories.insert(i.charge());
                }
                // JD's disk types come with its catalogue: nothing more to ask.
                if i.system_disk_category.is_some()
                    && i.api() == Api::Aliyun
                    && i.knows(crate::plan::Side::InstanceType)
                {
                    r.system_disks
                        .insert((i.charge(), i.instance_type.value.clone()));
                }
                if i.data_disks.iter().any(|d| d.category.is_some())
                    && i.api() == Api::Aliyun
                    && i.knows(crate::plan::Side::InstanceType)
                {
                    r.data_disks.insert((
                        i.charge(),
                        i.instance_type.value.clone(),
                        i.system_disk_key().to_string(),
                    ));
                }
                if let Some(vswitch) = &i.vswitch {
                    r.vswitches.insert(vswitch.value.clone());
                }
                if let Some(group) = &i.group_vswitches {
                    r.vswitches.extend(group.value.iter().cloned());
                }
                if let Some(spec) = i.launch_spec() {
                    r.dry_runs.insert(spec);
                }
                if (i.adds_instances
                    && i.knows(crate::plan::Side::InstanceType)
                    && i.api().knows_launch_quotas())
                    || i.classic_network.is_some()
                {
                    r.account = true;
                }
            }
            for image in &plan.images {
                if image.api().knows_image_quota() {
                    needs
                        .regions
                        .entry((image.api(), image.region.value.clone()))
                        .or_default()
                        .quota = true;
                }
            }
        }
        needs
    }

    pub(super) fn apis(&self) -> BTreeSet<Api> {
        self.regions.keys().map(|(a, _)| *a).collect()
    }

    pub(super) fn of(&self, api: Api) -> Vec<(String, RegionNeeds)> {
        self.regions
            .iter()
            .filter(|((a, _), _)| *a == api)
            .map(|((_, r), n)| (r.clone(), n.clone()))
            .collect()
    }
}
