//! What a plan is once read: instance entries, custom images created and deleted, entries
//! that cannot be checked and why, suppression comments; every value with its span.

use miette::SourceSpan;

use crate::cloud::{Api, ChargeType, Cloud, Service};
use crate::source::SourceFile;

use super::Suppression;

/// A value from the plan and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<T> {
    pub value: T,
    pub span: SourceSpan,
}

/// Where a value used at `of` was set, when that is somewhere else: a Terraform variable's
/// default, a tfvars line, a module argument. Reports show it beside findings at `of`.
#[derive(Debug, Clone)]
pub struct Origin {
    pub of: SourceSpan,
    pub file: SourceFile,
    pub span: SourceSpan,
    pub label: String,
}

/// One instance entry: a (cloud, region, image, instance type) pairing at a place in a plan.
/// Its spans are in `file`: the plan itself, or for Terraform the `.tf` file of the resource.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: Value<String>,
    /// Where `cloud` was set: on the entry or in `defaults`.
    pub cloud: Value<Cloud>,
    pub region: Value<String>,
    pub image: Value<String>,
    pub instance_type: Value<String>,
    pub count: u32,
    pub system_disk_gb: Option<Value<u32>>,
    /// Zenlayer's service (`vm` for the other clouds).
    pub service: Service,
    /// The availability zone (JD Cloud, Alibaba), where the plan says.
    pub zone: Option<Value<String>>,
    /// The vSwitch (Alibaba), where the plan says and it is known: the zone is its zone.
    pub vswitch: Option<Value<String>>,
    /// The system disk's category (Alibaba), where the plan says or the provider's default
    /// applies.
    pub system_disk_category: Option<DiskCategory>,
    /// The vSwitches of the scaling group a scaling configuration launches in (Alibaba), when
    /// every one is known, at the reference to the group: their zones are where it may launch.
    pub group_vswitches: Option<Value<Vec<String>>>,
    /// The data disks (Alibaba), each with its category (written, or the provider's default)
    /// and size where known, in the order written.
    pub data_disks: Vec<DataDisk>,
    /// The security groups (Terraform's `security_groups`, Alibaba), where known: with them a
    /// launch is fully known, so Alibaba's dry run can judge it.
    pub security_groups: Option<Value<Vec<String>>>,
    /// A Terraform Alibaba instance with no `vswitch_id`: it launches in the classic network
    /// (at its block). YAML plans never say so.
    pub classic_network: Option<SourceSpan>,
    /// Whether the entry adds `count` instances to the account (the launch quotas): not a
    /// template or scaling configuration, not an instance Terraform replaces (the old one
    /// frees its place first).
    pub adds_instances: bool,
    /// How the instances are bought, where the plan says (else postpaid).
    pub charge_type: Option<Value<ChargeType>>,
    /// 1-based line where the entry starts.
    pub line: usize,
    pub file: SourceFile,
    pub origins: Vec<Origin>,
    /// Messages name the entry: a Terraform block can stand for several instances
    /// (`count`, `for_each`), so the span alone does not say which.
    pub named_in_messages: bool,
    /// A side of the pairing known only once Terraform plans: the rules that need it do not
    /// run, and one `unverified` says why; the rest are checked.
    pub unknown: Vec<UnknownSide>,
    /// The module calls that lead to a Terraform resource in a module, outermost first.
    pub callers: Vec<Origin>,
}

/// One launch as `RunInstances` takes it, fully known: what Alibaba's dry run is asked
/// about. Entries with the same spec share one dry run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaunchSpec {
    pub image: String,
    pub instance_type: String,
    pub vswitch: String,
    pub security_groups: Vec<String>,
    pub charge: ChargeType,
    pub disk_category: Option<String>,
    pub disk_gb: Option<u32>,
    /// The data disks: (category, size in GiB).
    pub data_disks: Vec<(String, Option<u32>)>,
    pub amount: u32,
}

impl LaunchSpec {
    /// How the spec is keyed among the facts.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.image,
            self.instance_type,
            self.vswitch,
            self.security_groups.join(","),
            self.charge,
            self.disk_category.as_deref().unwrap_or(""),
            self.disk_gb.map(|n| n.to_string()).unwrap_or_default(),
            self.data_disks
                .iter()
                .map(|(c, n)| format!("{c}:{}", n.map(|n| n.to_string()).unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(","),
            self.amount
        )
    }
}

/// A system disk category, and whether it was written or is the provider's default (then its
/// span is the resource's header).
#[derive(Debug, Clone)]
pub struct DiskCategory {
    pub value: Value<String>,
    pub default: bool,
}

/// How facts key the data disks of an entry that names no system disk category.
pub const DEFAULT_SYSTEM_DISK: &str = "default";

/// One data disk: its category and size in GiB, each where known (a Terraform value known
/// only later is `None`: not checked, and no dry run for the launch).
#[derive(Debug, Clone)]
pub struct DataDisk {
    pub category: Option<DiskCategory>,
    pub size_gb: Option<Value<u32>>,
}

/// The side of a pairing a Terraform value leaves unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Image,
    InstanceType,
}

/// One unknown side: which, why (as the end of "`instance_type` …"), and where.
#[derive(Debug, Clone)]
pub struct UnknownSide {
    pub side: Side,
    pub why: String,
    /// What to do about it.
    pub help: String,
    pub span: SourceSpan,
    pub origins: Vec<Origin>,
}

impl Instance {
    /// The launch as `RunInstances` would take it, when all of it is known (Alibaba: image,
    /// type, vSwitch and security groups; `Amount` is at most 100): else `None`, and no dry run.
    pub fn launch_spec(&self) -> Option<LaunchSpec> {
        if self.cloud.value != Cloud::Aliyun
            || !self.adds_instances
            || !self.knows(Side::Image)
            || !self.knows(Side::InstanceType)
            || !(1..=100).contains(&self.count)
        {
            return None;
        }
        let groups = self.security_groups.as_ref()?;
        if groups.value.is_empty() {
            return None;
        }
        let data_disks = self
            .data_disks
            .iter()
            .map(|d| {
                Some((
                    d.category.as_ref()?.value.value.clone(),
                    Some(d.size_gb.as_ref()?.value),
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(LaunchSpec {
            image: self.image.value.clone(),
            instance_type: self.instance_type.value.clone(),
            vswitch: self.vswitch.as_ref()?.value.clone(),
            security_groups: groups.value.clone(),
            charge: self.charge(),
            disk_category: self
                .system_disk_category
                .as_ref()
                .map(|c| c.value.value.clone()),
            disk_gb: self.system_disk_gb.as_ref().map(|d| d.value),
            data_disks,
            amount: self.count,
        })
    }

    /// The system disk category data disks are asked about with: the entry's, else
    /// `DEFAULT_SYSTEM_DISK` (the API's default applies).
    pub fn system_disk_key(&self) -> &str {
        self.system_disk_category
            .as_ref()
            .map_or(DEFAULT_SYSTEM_DISK, |c| c.value.value.as_str())
    }

    /// Whether a side is known (always, for YAML plans).
    pub fn knows(&self, side: Side) -> bool {
        !self.unknown.iter().any(|u| u.side == side)
    }

    /// The API that answers for this entry.
    pub fn api(&self) -> Api {
        Api::of(self.cloud.value, self.service)
    }

    /// How it is bought: what the plan says, else postpaid.
    pub fn charge(&self) -> ChargeType {
        self.charge_type
            .as_ref()
            .map(|c| c.value)
            .unwrap_or_default()
    }
}

/// One custom-image entry: images the deploy creates in a region.
#[derive(Debug, Clone)]
pub struct ImageCreate {
    pub name: Value<String>,
    pub cloud: Value<Cloud>,
    pub service: Service,
    pub region: Value<String>,
    pub count: u32,
    pub line: usize,
    pub file: SourceFile,
    /// As for instances.
    pub named_in_messages: bool,
}

impl ImageCreate {
    pub fn api(&self) -> Api {
        Api::of(self.cloud.value, self.service)
    }
}

/// Custom images a deploy deletes in a region: they free quota (Terraform plans only).
#[derive(Debug, Clone)]
pub struct ImageDelete {
    pub api: Api,
    pub region: String,
    pub count: u32,
}

/// An entry that cannot be checked as written: a value Terraform knows only after apply, a
/// resource Terraform deferred, a cloud service preflight does not ask. Always `unverified`.
#[derive(Debug, Clone)]
pub struct Unchecked {
    /// The entry's name (a Terraform resource address).
    pub name: Value<String>,
    pub file: SourceFile,
    pub cloud: Option<Cloud>,
    pub region: Option<String>,
    pub image: Option<String>,
    pub instance_type: Option<String>,
    /// Why it cannot be checked, as the end of "could not check `name`: …".
    pub reason: String,
    /// What to do about it.
    pub help: String,
    /// True for instances (they count as pairings), false for custom images and whole plans.
    pub pairing: bool,
    pub line: usize,
    /// Where what decides it is written (a module argument, a tfvars line).
    pub origins: Vec<Origin>,
}

impl Unchecked {
    /// A whole entry that cannot be checked (neither side known), at `name`'s span.
    pub fn whole(
        name: Value<String>,
        file: &SourceFile,
        cloud: Option<Cloud>,
        reason: impl Into<String>,
        help: impl Into<String>,
        pairing: bool,
    ) -> Unchecked {
        Unchecked {
            line: file.line_of(name.span.offset()),
            name,
            file: file.clone(),
            cloud,
            region: None,
            image: None,
            instance_type: None,
            reason: reason.into(),
            help: help.into(),
            pairing,
            origins: Vec::new(),
        }
    }

    pub fn with_origins(mut self, origins: Vec<Origin>) -> Unchecked {
        self.origins = origins;
        self
    }
}

/// A parsed, valid plan file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub source: SourceFile,
    pub instances: Vec<Instance>,
    pub images: Vec<ImageCreate>,
    pub suppressions: Vec<Suppression>,
    pub deleted_images: Vec<ImageDelete>,
    pub unchecked: Vec<Unchecked>,
    /// Things said once about this plan (where a Terraform region came from).
    pub notices: Vec<String>,
    /// Files other than `source` that entries point into (`.tf` files), with their
    /// suppression comments.
    pub other_files: Vec<(SourceFile, Vec<Suppression>)>,
    /// For plan JSON: the tool and version that wrote it (`OpenTofu 1.8.3`), for `-v`.
    pub written_by: Option<String>,
}

impl Plan {
    /// The path the user gave (or discovery found).
    pub fn path(&self) -> &str {
        self.source.name()
    }

    /// A plan of `source` with nothing in it yet.
    pub fn empty(source: SourceFile) -> Plan {
        Plan {
            source,
            instances: Vec::new(),
            images: Vec::new(),
            suppressions: Vec::new(),
            deleted_images: Vec::new(),
            unchecked: Vec::new(),
            notices: Vec::new(),
            other_files: Vec::new(),
            written_by: None,
        }
    }

    /// The suppression comments of `file` (the plan or one of its other files).
    pub fn suppressions_in(&self, file: &str) -> &[Suppression] {
        if file == self.path() {
            return &self.suppressions;
        }
        self.other_files
            .iter()
            .find(|(f, _)| f.name() == file)
            .map_or(&[], |(_, s)| s.as_slice())
    }

    /// Every file of the plan with its suppressions.
    pub fn files(&self) -> impl Iterator<Item = (&SourceFile, &[Suppression])> {
        std::iter::once((&self.source, self.suppressions.as_slice()))
            .chain(self.other_files.iter().map(|(f, s)| (f, s.as_slice())))
    }
}
