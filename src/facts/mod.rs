//! What the clouds said, as plain data: the seam between fetching and checking. The checks
//! never know whether facts came from a cloud, the cache or a facts file.
//!
//! The facts file (`preflight fetch` writes it, `validate --facts` reads it) is this data as
//! JSON, versioned by `version`. Its format is documented in `docs/facts-file.md`. Each fact is
//! either known, or an `{"error": "reason"}` saying why it could not be fetched; a fact that is
//! absent was never asked for. Checks treat both of the latter as "unverified", never as fine.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cloud::{Api, ChargeType};
use crate::error::InputError;
use crate::source::SourceFile;

pub mod reason;

/// The facts-file format version this build reads and writes. Version 2 keys facts by API
/// (`zenlayer-zec` beside the three clouds) and adds `availability`; version 3 adds
/// `vswitches` (the zone of each Alibaba vSwitch the plans launch in); version 4 adds the cloud
/// disk types of JD instance types and the data disks of Alibaba types, which version 3 files
/// lack; version 5 adds JD's memory quota, and the memory and cloud disk limit of JD types.
pub const FACTS_VERSION: u32 = 5;

/// Everything known about the clouds, per API and region (zone, for Zenlayer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub version: u32,
    /// When the facts were fetched (RFC 3339), for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    #[serde(default)]
    pub clouds: BTreeMap<Api, BTreeMap<String, RegionFacts>>,
    /// Why there are no facts at all (no facts file and no fetching), for unverified reasons.
    #[serde(skip)]
    pub absent_reason: Option<String>,
    /// Whether this run asked for Alibaba's dry runs (`--dry-run`).
    #[serde(skip)]
    pub dry_run: bool,
}

/// What one cloud said about one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFacts {
    /// Set when nothing in the region could be fetched (bad credentials, unreachable
    /// endpoint): every fact missing here takes this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per image id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, ImageFact>,
    /// What the types are (the catalogue): that they exist, and their architecture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_types: Option<Fetched<InstanceTypes>>,
    /// What the region sells, per charge type asked, and where it is in stock.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub availability: BTreeMap<ChargeType, Fetched<Availability>>,
    /// The custom-image quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Fetched<Quota>>,
    /// What the account may launch here: Alibaba's `DescribeAccountAttributes` (network
    /// types, vCPU quotas), JD's instance and vCPU quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Fetched<Account>>,
    /// The system disks a type is sold with (Alibaba), per charge type and type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub system_disks: BTreeMap<ChargeType, BTreeMap<String, Fetched<DiskOffer>>>,
    /// The data disks a type is sold with (Alibaba), per charge type, type and the system
    /// disk category asked with (`default`: none named, the API's default).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_disks: BTreeMap<ChargeType, BTreeMap<String, BTreeMap<String, Fetched<DiskOffer>>>>,
    /// The disk categories the zone sells (Zenlayer `DescribeDiskCategory`), per charge type
    /// asked (ZEC's answer takes none: every charge type the plans name gets it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disk_categories: BTreeMap<ChargeType, Fetched<Vec<String>>>,
    /// Alibaba's dry runs, by launch spec (`LaunchSpec::key`). Never written to a facts file
    /// or the cache: a pass holds for this run only.
    #[serde(skip)]
    pub dry_runs: BTreeMap<String, DryRun>,
    /// Per vSwitch id (Alibaba): the zone it lies in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vswitches: BTreeMap<String, VSwitchFact>,
}

/// The system disk categories one type is sold with, zone by zone, each with its size range
/// in GiB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskOffer {
    pub zones: BTreeMap<String, BTreeMap<String, DiskRange>>,
}

/// A disk category's size range, where the cloud states it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiskOfferForm {
    zones: Option<BTreeMap<String, BTreeMap<String, DiskRange>>>,
    error: Option<String>,
}

impl<'de> Deserialize<'de> for Fetched<DiskOffer> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match DiskOfferForm::deserialize(d)? {
            DiskOfferForm {
                zones: None,
                error: Some(e),
            } => Ok(Fetched::Error(e)),
            DiskOfferForm {
                zones: Some(zones),
                error: None,
            } => Ok(Fetched::Known(DiskOffer { zones })),
            _ => Err(D::Error::custom(
                "a disk offer is either `zones`, or only `error`",
            )),
        }
    }
}

/// What Alibaba's dry run of one launch said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRun {
    /// `DryRunOperation`: the launch would go through.
    Passed,
    /// Any other code: the launch would fail, and why.
    Refused { code: String, message: String },
    /// No verdict: a missing permission, a failure to ask.
    Failed(String),
}

/// What the account may launch in a region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Alibaba `instance-network-type`: the networks new instances may use (`vpc`,
    /// `classic`); absent when the answer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_types: Option<BTreeSet<String>>,
    /// Launch quotas by name: Alibaba `postpaid-vcpu` and `spot-vcpu`, JD `instance`,
    /// `instance_cpu` and `instance_memory` (as the answer states them: its unit unsaid).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quotas: BTreeMap<String, Quota>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountForm {
    network_types: Option<BTreeSet<String>>,
    quotas: Option<BTreeMap<String, Quota>>,
    error: Option<String>,
}

impl<'de> Deserialize<'de> for Fetched<Account> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match AccountForm::deserialize(d)? {
            AccountForm {
                network_types: None,
                quotas: None,
                error: Some(e),
            } => Ok(Fetched::Error(e)),
            AccountForm {
                network_types,
                quotas,
                error: None,
            } => Ok(Fetched::Known(Account {
                network_types,
                quotas: quotas.unwrap_or_default(),
            })),
            _ => Err(D::Error::custom(
                "an account is `network_types` and `quotas`, or only `error`",
            )),
        }
    }
}

/// What the cloud said about one vSwitch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VSwitchFact {
    Found(VSwitchInfo),
    /// The cloud lists no such vSwitch in this region.
    NotFound,
    /// It could not be looked up.
    Error {
        reason: String,
    },
}

/// A vSwitch that exists: the zone instances launched in it land in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VSwitchInfo {
    pub zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    /// As the cloud words it (`Available`, `Pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What the cloud said about one image id in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ImageFact {
    Found(ImageInfo),
    /// The cloud says no such image exists in this region.
    NotFound,
    /// The image could not be looked up.
    Error {
        reason: String,
    },
}

/// An image that exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInfo {
    /// The status as the cloud words it (`ready`, `Available`, `Deprecated`, `AVAILABLE` …).
    pub status: String,
    /// Whether new instances can boot from it (ready, online, not deprecated).
    pub usable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Arch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_system_disk_gb: Option<u32>,
    /// Which instance types it allows. Absent: not fetched (or the cloud cannot say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Constraint>,
    /// Alibaba `Features.NvmeSupport`: `supported` or `unsupported`; absent when the answer
    /// does not say (Alibaba then treats the image as not supporting NVMe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvme: Option<String>,
    /// Alibaba `BootMode` (`BIOS`, `UEFI`, `UEFI-Preferred`), JD `bootMode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_mode: Option<String>,
}

/// An image's instance-type constraint, in the clouds' own includes/excludes terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// The image allows every type (JD Cloud private images).
    None,
    /// The image allows every type but these.
    Excludes(BTreeSet<String>),
    /// The image allows only these types.
    Includes(BTreeSet<String>),
    /// The constraint could not be fetched.
    Error(String),
}

impl Constraint {
    /// `Some(true)` when the type is allowed, `None` when unknown.
    pub fn allows(&self, instance_type: &str) -> Option<bool> {
        match self {
            Constraint::None => Some(true),
            Constraint::Excludes(set) => Some(!set.contains(instance_type)),
            Constraint::Includes(set) => Some(set.contains(instance_type)),
            Constraint::Error(_) => None,
        }
    }
}

/// CPU architecture, as images and instance types declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arch {
    #[serde(rename = "x86_64", alias = "X86", alias = "x86", alias = "amd64")]
    X86_64,
    #[serde(rename = "arm64", alias = "ARM", alias = "arm", alias = "aarch64")]
    Arm64,
    #[serde(rename = "i386")]
    I386,
}

impl Arch {
    /// An architecture as any of the clouds' answers write it (`x86_64`, `X86`, `arm64`,
    /// `ARM` …); `None` for anything else.
    pub fn parse(value: &serde_json::Value) -> Option<Arch> {
        serde_json::from_value(value.clone()).ok()
    }

    /// Whether an image of this architecture boots on a type of `machine`'s.
    pub fn runs_on(self, machine: Arch) -> bool {
        self == machine || (self == Arch::I386 && machine == Arch::X86_64)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
            Arch::I386 => "i386",
        })
    }
}

/// The instance types a region offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypes {
    /// True when `offered` is the region's whole catalogue, so a type not in it is not
    /// offered. False when only some types were asked about.
    #[serde(default)]
    pub complete: bool,
    #[serde(default)]
    pub offered: BTreeMap<String, InstanceTypeInfo>,
    /// Types asked about that the region does not offer.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub not_offered: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Arch>,
    /// Alibaba `NvmeSupport`: `required` (cloud disks attach over NVMe) or `unsupported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvme: Option<String>,
    /// Alibaba `SupportedBootModes` (`BIOS`, `UEFI`); absent when the answer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_modes: Option<Vec<String>>,
    /// vCPUs of one instance (Alibaba `CpuCoreCount`, JD `cpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// Memory of one instance in MB (JD `memoryMB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
    /// JD `cloudDiskTypes`: the cloud disk types the type takes (`ssd.gp1`, …); absent when
    /// the answer does not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_disk_types: Option<Vec<String>>,
    /// JD `cloudDiskCountLimit`: how many cloud disks an instance of the type takes, its
    /// system disk included; absent when the answer does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_disk_limit: Option<u32>,
}

/// The instance types a region sells for one charge type: every type it sells, with where it
/// is in stock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    pub types: BTreeMap<String, Stock>,
}

/// Where a type the region sells is in stock: zone → in stock. `None` when the cloud sells it
/// here but says nothing of stock (Zenlayer VM; JD types with no zone state).
pub type Stock = Option<BTreeMap<String, bool>>;

/// A region's custom-image quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub used: u32,
    pub limit: u32,
}

/// A fact that was fetched, or the reason it could not be: `{"error": "…"}` in JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched<T> {
    Known(T),
    Error(String),
}

impl<T: Serialize> Serialize for Fetched<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ErrorForm<'a> {
            error: &'a str,
        }
        match self {
            Fetched::Known(v) => v.serialize(s),
            Fetched::Error(reason) => ErrorForm { error: reason }.serialize(s),
        }
    }
}

/// How `quota` and `instance_types` are written: the fact's own fields, or only `error`.
/// Read field by field (not buffered), so a type error points at the exact value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaForm {
    used: Option<u32>,
    limit: Option<u32>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityForm {
    types: Option<BTreeMap<String, Stock>>,
    error: Option<String>,
}

impl<'de> Deserialize<'de> for Fetched<Availability> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match AvailabilityForm::deserialize(d)? {
            AvailabilityForm {
                types: None,
                error: Some(e),
            } => Ok(Fetched::Error(e)),
            AvailabilityForm {
                types: Some(types),
                error: None,
            } => Ok(Fetched::Known(Availability { types })),
            _ => Err(D::Error::custom(
                "availability is either `types`, or only `error`",
            )),
        }
    }
}

/// A list fact (Zenlayer's disk categories): the list, or only `error`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ListForm {
    List(Vec<String>),
    Error(ErrorOnly),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorOnly {
    error: String,
}

impl<'de> Deserialize<'de> for Fetched<Vec<String>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match ListForm::deserialize(d) {
            Ok(ListForm::List(list)) => Ok(Fetched::Known(list)),
            Ok(ListForm::Error(e)) => Ok(Fetched::Error(e.error)),
            Err(_) => Err(D::Error::custom(
                "a list of disk categories is a list of strings, or only `error`",
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceTypesForm {
    complete: Option<bool>,
    offered: Option<BTreeMap<String, InstanceTypeInfo>>,
    not_offered: Option<BTreeSet<String>>,
    error: Option<String>,
}

impl<'de> Deserialize<'de> for Fetched<Quota> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match QuotaForm::deserialize(d)? {
            QuotaForm {
                used: None,
                limit: None,
                error: Some(e),
            } => Ok(Fetched::Error(e)),
            QuotaForm {
                used: Some(used),
                limit: Some(limit),
                error: None,
            } => Ok(Fetched::Known(Quota { used, limit })),
            _ => Err(D::Error::custom(
                "a quota is either `used` and `limit`, or only `error`",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Fetched<InstanceTypes> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let form = InstanceTypesForm::deserialize(d)?;
        match form.error {
            Some(e)
                if form.complete.is_none()
                    && form.offered.is_none()
                    && form.not_offered.is_none() =>
            {
                Ok(Fetched::Error(e))
            }
            Some(_) => Err(D::Error::custom(
                "instance types are either `offered` (with `complete`, `not_offered`), or only `error`",
            )),
            None => Ok(Fetched::Known(InstanceTypes {
                complete: form.complete.unwrap_or(false),
                offered: form.offered.unwrap_or_default(),
                not_offered: form.not_offered.unwrap_or_default(),
            })),
        }
    }
}

/// Why a fact is not known; becomes the reason of an `unverified` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub String);

/// What is known about an image.
#[derive(Debug, Clone, Copy)]
pub enum ImageState<'a> {
    Found(&'a ImageInfo),
    NotFound,
}

impl Facts {
    pub fn new() -> Self {
        Facts {
            version: FACTS_VERSION,
            ..Facts::default()
        }
    }

    /// No facts, with the reason every pairing will be unverified.
    pub fn absent(reason: impl Into<String>) -> Self {
        Facts {
            absent_reason: Some(reason.into()),
            ..Facts::new()
        }
    }

    pub fn region(&self, api: Api, region: &str) -> Result<&RegionFacts, Missing> {
        if let Some(reason) = &self.absent_reason {
            return Err(Missing(reason.clone()));
        }
        self.clouds
            .get(&api)
            .and_then(|regions| regions.get(region))
            .ok_or_else(|| {
                Missing(format!(
                    "the facts have nothing about {api} {} `{region}`",
                    api.region_word()
                ))
            })
    }

    pub fn image(&self, api: Api, region: &str, id: &str) -> Result<ImageState<'_>, Missing> {
        let facts = self.region(api, region)?;
        match facts.images.get(id) {
            Some(ImageFact::Found(info)) => Ok(ImageState::Found(info)),
            Some(ImageFact::NotFound) => Ok(ImageState::NotFound),
            Some(ImageFact::Error { reason }) => Err(Missing(format!(
                "image `{id}` could not be looked up: {reason}"
            ))),
            None => Err(facts.missing(format!("the facts have nothing about image `{id}`"))),
        }
    }

    /// The image's constraint, when the image exists and its constraint was fetched.
    pub fn constraint(&self, api: Api, region: &str, id: &str) -> Result<&Constraint, Missing> {
        match self.image(api, region, id)? {
            ImageState::NotFound => Err(Missing(format!("image `{id}` does not exist"))),
            ImageState::Found(info) => match &info.constraint {
                Some(Constraint::Error(reason)) => Err(Missing(format!(
                    "the instance types image `{id}` allows could not be fetched: {reason}"
                ))),
                Some(c) => Ok(c),
                None => Err(Missing(format!(
                    "the facts do not say which instance types image `{id}` allows"
                ))),
            },
        }
    }

    /// `Some(info)` when the catalogue has the type, `None` when it does not.
    pub fn instance_type(
        &self,
        api: Api,
        region: &str,
        name: &str,
    ) -> Result<Option<&InstanceTypeInfo>, Missing> {
        let facts = self.region(api, region)?;
        let types = facts.instance_types(api, region)?;
        if let Some(info) = types.offered.get(name) {
            Ok(Some(info))
        } else if types.complete || types.not_offered.contains(name) {
            Ok(None)
        } else {
            Err(facts.missing(format!(
                "the facts do not say whether {} offers `{name}` in `{region}`",
                api.display_name()
            )))
        }
    }

    /// The data disks `instance_type` is sold with for `charge`, beside a system disk of
    /// `system` (`plan::DEFAULT_SYSTEM_DISK` for the API's default).
    pub fn data_disks(
        &self,
        api: Api,
        region: &str,
        charge: ChargeType,
        instance_type: &str,
        system: &str,
    ) -> Result<&DiskOffer, Missing> {
        let facts = self.region(api, region)?;
        let offer = facts
            .data_disks
            .get(&charge)
            .and_then(|t| t.get(instance_type))
            .and_then(|s| s.get(system));
        match offer {
            Some(Fetched::Known(offer)) => Ok(offer),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "the data disks `{instance_type}` is sold with could not be fetched: {reason}"
            ))),
            None => Err(facts.missing(format!(
                "the facts do not say which data disks `{instance_type}` is sold with for {charge}"
            ))),
        }
    }

    /// The disk categories a Zenlayer zone sells for `charge`.
    pub fn disk_categories(
        &self,
        api: Api,
        zone: &str,
        charge: ChargeType,
    ) -> Result<&[String], Missing> {
        let facts = self.region(api, zone)?;
        match facts.disk_categories.get(&charge) {
            Some(Fetched::Known(list)) => Ok(list),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "the disk categories of zone `{zone}` could not be fetched: {reason}"
            ))),
            None => Err(facts.missing(format!(
                "the facts do not say which disk categories zone `{zone}` sells for {charge}"
            ))),
        }
    }

    /// The cloud disk types a JD type takes; `Ok(None)` when the catalogue does not have the
    /// type (another rule's finding).
    pub fn cloud_disk_types(
        &self,
        api: Api,
        region: &str,
        name: &str,
    ) -> Result<Option<&[String]>, Missing> {
        match self.instance_type(api, region, name)? {
            None => Ok(None),
            Some(info) => info.cloud_disk_types.as_deref().map(Some).ok_or_else(|| {
                Missing(format!(
                    "{}'s answer does not list the cloud disk types `{name}` takes",
                    api.display_name()
                ))
            }),
        }
    }

    /// What the region sells for `charge`.
    pub fn availability(
        &self,
        api: Api,
        region: &str,
        charge: ChargeType,
    ) -> Result<&Availability, Missing> {
        let facts = self.region(api, region)?;
        match facts.availability.get(&charge) {
            Some(Fetched::Known(a)) => Ok(a),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "what {} `{region}` sells for {charge} could not be fetched: {reason}",
                api.region_word()
            ))),
            None => Err(facts.missing(format!(
                "the facts do not say what `{region}` sells for {charge}"
            ))),
        }
    }

    /// The system disks `instance_type` is sold with for `charge`.
    pub fn system_disks(
        &self,
        api: Api,
        region: &str,
        charge: ChargeType,
        instance_type: &str,
    ) -> Result<&DiskOffer, Missing> {
        let facts = self.region(api, region)?;
        match facts.system_disks.get(&charge).and_then(|t| t.get(instance_type)) {
            Some(Fetched::Known(offer)) => Ok(offer),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "the system disks `{instance_type}` is sold with could not be fetched: {reason}"
            ))),
            None => Err(facts.missing(format!(
                "the facts do not say which system disks `{instance_type}` is sold with for {charge}"
            ))),
        }
    }

    /// What Alibaba's dry run said of `spec`, if it was asked.
    pub fn dry_run(&self, api: Api, region: &str, spec: &str) -> Option<&DryRun> {
        self.region(api, region).ok()?.dry_runs.get(spec)
    }

    /// What the account may launch in the region.
    pub fn account(&self, api: Api, region: &str) -> Result<&Account, Missing> {
        let facts = self.region(api, region)?;
        match &facts.account {
            Some(Fetched::Known(a)) => Ok(a),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "what the account may launch in `{region}` could not be fetched: {reason}"
            ))),
            None => Err(facts.missing(format!(
                "the facts do not say what the account may launch in `{region}`"
            ))),
        }
    }

    /// The vSwitch's zone and network; `None` when the cloud says it does not exist.
    pub fn vswitch(
        &self,
        api: Api,
        region: &str,
        id: &str,
    ) -> Result<Option<&VSwitchInfo>, Missing> {
        let facts = self.region(api, region)?;
        match facts.vswitches.get(id) {
            Some(VSwitchFact::Found(info)) => Ok(Some(info)),
            Some(VSwitchFact::NotFound) => Ok(None),
            Some(VSwitchFact::Error { reason }) => Err(Missing(format!(
                "the zone of vSwitch `{id}` could not be looked up: {reason}"
            ))),
            None => Err(facts.missing(format!("the facts have nothing about vSwitch `{id}`"))),
        }
    }

    pub fn quota(&self, api: Api, region: &str) -> Result<Quota, Missing> {
        let facts = self.region(api, region)?;
        match &facts.quota {
            Some(Fetched::Known(q)) => Ok(*q),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "the custom-image quota could not be fetched: {reason}"
            ))),
            None => Err(facts.missing(format!(
                "the facts have no custom-image quota for `{region}`"
            ))),
        }
    }

    /// How many facts could not be fetched (a whole region counts once).
    pub fn failures(&self) -> usize {
        self.clouds
            .values()
            .flat_map(BTreeMap::values)
            .map(|r| {
                if r.error.is_some() {
                    return 1;
                }
                let images = r
                    .images
                    .values()
                    .filter(|i| match i {
                        ImageFact::Error { .. } => true,
                        ImageFact::Found(info) => {
                            matches!(info.constraint, Some(Constraint::Error(_)))
                        }
                        ImageFact::NotFound => false,
                    })
                    .count();
                images
                    + usize::from(matches!(r.instance_types, Some(Fetched::Error(_))))
                    + r.availability
                        .values()
                        .filter(|a| matches!(a, Fetched::Error(_)))
                        .count()
                    + usize::from(matches!(r.quota, Some(Fetched::Error(_))))
                    + usize::from(matches!(r.account, Some(Fetched::Error(_))))
                    + r.system_disks
                        .values()
                        .flat_map(BTreeMap::values)
                        .filter(|o| matches!(o, Fetched::Error(_)))
                        .count()
                    + r.disk_categories
                        .values()
                        .filter(|o| matches!(o, Fetched::Error(_)))
                        .count()
                    + r.data_disks
                        .values()
                        .flat_map(BTreeMap::values)
                        .flat_map(BTreeMap::values)
                        .filter(|o| matches!(o, Fetched::Error(_)))
                        .count()
                    + r.vswitches
                        .values()
                        .filter(|v| matches!(v, VSwitchFact::Error { .. }))
                        .count()
            })
            .sum()
    }

    /// Reads a facts file; a broken one is an input error pointing at the spot. The version is
    /// read first, so an older file is refused in those words rather than for its fields.
    pub fn from_json(file: &SourceFile) -> Result<Facts, InputError> {
        #[derive(Deserialize)]
        struct Version {
            version: Option<u32>,
        }
        let version = serde_json::from_str::<Version>(file.text())
            .ok()
            .and_then(|v| v.version);
        if let Some(v) = version.filter(|v| *v != FACTS_VERSION) {
            let why = if v < FACTS_VERSION {
                format!(
                    "this facts file is version {v}, written by an older preflight; this one reads \
                     version {FACTS_VERSION}, which knows more about what the clouds sell"
                )
            } else {
                format!(
                    "this facts file is version {v}, newer than this preflight, which reads \
                     version {FACTS_VERSION}"
                )
            };
            return Err(InputError::in_file("facts::version", file.name(), why).with_help(
                "fetch the facts again with this preflight: `preflight fetch PLANS --output FILE`",
            ));
        }
        let facts: Facts = serde_json::from_str(file.text()).map_err(|e| {
            let offset = file.offset_of(e.line(), e.column());
            InputError::at(
                "facts::invalid",
                file,
                miette::SourceSpan::new(offset.into(), 0),
                format!("invalid facts file: {}", strip_serde_position(&e.to_string())),
                "here",
            )
            .with_help("facts files are written by `preflight fetch`; docs/facts-file.md describes the format")
        })?;
        Ok(facts)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl RegionFacts {
    pub fn instance_types(&self, api: Api, region: &str) -> Result<&InstanceTypes, Missing> {
        match &self.instance_types {
            Some(Fetched::Known(t)) => Ok(t),
            Some(Fetched::Error(reason)) => Err(Missing(format!(
                "the instance types of {} `{region}` could not be fetched: {reason}",
                api.region_word()
            ))),
            None => Err(self.missing(format!("the facts have no instance types for `{region}`"))),
        }
    }

    /// A missing fact's reason: the region's error when there is one, else `otherwise`.
    fn missing(&self, otherwise: String) -> Missing {
        Missing(self.error.clone().unwrap_or(otherwise))
    }
}

fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "version": 5,
      "clouds": {
        "jdcloud": {
          "cn-north-1": {
            "images": {
              "img-m5s0****29": {
                "state": "found", "status": "ready", "usable": true,
                "architecture": "x86_64", "min_system_disk_gb": 40,
                "constraint": {"excludes": ["p.c1p40g.3large"]}
              },
              "img-gone": {"state": "not_found"},
              "img-err": {"state": "error", "reason": "HTTP 500"}
            },
            "instance_types": {"offered": {"g.n4.xlarge": {"architecture": "X86"}}, "not_offered": ["x.y"]},
            "availability": {
              "postpaid": {"types": {"g.n4.xlarge": {"cn-north-1a": true, "cn-north-1b": false}, "g.n2.large": null}},
              "spot": {"error": "HTTP 500"}
            },
            "quota": {"error": "timed out"}
          }
        }
      }
    }"#;

    fn sample() -> Facts {
        Facts::from_json(&SourceFile::new("facts.json", SAMPLE)).expect("sample parses")
    }

    #[test]
    fn reads_every_kind_of_fact() {
        let f = sample();
        let c = Api::Jdcloud;
        let constraint = f.constraint(c, "cn-north-1", "img-m5s0****29").unwrap();
        assert_eq!(constraint.allows("p.c1p40g.3large"), Some(false));
        assert_eq!(constraint.allows("g.n4.xlarge"), Some(true));
        assert!(matches!(
            f.image(c, "cn-north-1", "img-gone"),
            Ok(ImageState::NotFound)
        ));
        assert!(
            f.image(c, "cn-north-1", "img-err")
                .unwrap_err()
                .0
                .contains("HTTP 500")
        );
        assert!(f.image(c, "cn-north-1", "img-other").is_err());
        let t = f
            .instance_type(c, "cn-north-1", "g.n4.xlarge")
            .unwrap()
            .unwrap();
        assert_eq!(t.architecture, Some(Arch::X86_64));
        assert!(f.instance_type(c, "cn-north-1", "x.y").unwrap().is_none());
        assert!(f.instance_type(c, "cn-north-1", "never.asked").is_err());
        assert!(
            f.quota(c, "cn-north-1")
                .unwrap_err()
                .0
                .contains("timed out")
        );
        assert!(f.region(Api::Aliyun, "cn-hangzhou").is_err());
        let sold = f
            .availability(c, "cn-north-1", ChargeType::Postpaid)
            .unwrap();
        assert!(!sold.types["g.n4.xlarge"].as_ref().unwrap()["cn-north-1b"]);
        assert_eq!(sold.types["g.n2.large"], None, "sold, stock unknown");
        assert!(
            f.availability(c, "cn-north-1", ChargeType::Spot)
                .unwrap_err()
                .0
                .contains("HTTP 500")
        );
        assert!(
            f.availability(c, "cn-north-1", ChargeType::Prepaid)
                .is_err()
        );
    }

    #[test]
    fn round_trips_through_json() {
        let f = sample();
        let again = Facts::from_json(&SourceFile::new("f", f.to_json())).unwrap();
        assert_eq!(f, again);
    }

    #[test]
    fn the_disk_facts_of_version_4_round_trip_and_read() {
        let text = r#"{"version":5,"clouds":{
            "jdcloud":{"r":{"instance_types":{"complete":true,"offered":{"t":{"cloud_disk_types":["ssd.gp1"]}}}}},
            "aliyun":{"r":{"data_disks":{"postpaid":{"t":{
                "default":{"zones":{"r-a":{"cloud_essd":{"min":20,"max":32768}}}},
                "cloud_essd":{"error":"throttled"}}}}}},
            "zenlayer":{"FRA-A":{"disk_categories":{"postpaid":["Standard NVMe SSD"],"prepaid":{"error":"down"}}}}}}"#;
        let f = Facts::from_json(&SourceFile::new("f", text)).unwrap();
        let again = Facts::from_json(&SourceFile::new("f", f.to_json())).unwrap();
        assert_eq!(f, again);
        let post = ChargeType::Postpaid;
        assert_eq!(
            f.cloud_disk_types(Api::Jdcloud, "r", "t").unwrap(),
            Some(&["ssd.gp1".to_string()][..])
        );
        assert!(f.data_disks(Api::Aliyun, "r", post, "t", "default").is_ok());
        let err = f
            .data_disks(Api::Aliyun, "r", post, "t", "cloud_essd")
            .unwrap_err();
        assert!(err.0.contains("throttled"), "{}", err.0);
        assert_eq!(
            f.disk_categories(Api::ZenlayerVm, "FRA-A", post).unwrap(),
            ["Standard NVMe SSD".to_string()]
        );
        let err = f
            .disk_categories(Api::ZenlayerVm, "FRA-A", ChargeType::Prepaid)
            .unwrap_err();
        assert!(err.0.contains("down"), "{}", err.0);
        // A list of something else is no list of categories.
        let bad =
            r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"disk_categories":{"postpaid":[1]}}}}}"#;
        assert!(Facts::from_json(&SourceFile::new("f", bad)).is_err());
    }

    #[test]
    fn region_error_explains_every_missing_fact() {
        let text = r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"error":"no credentials"}}}}"#;
        let f = Facts::from_json(&SourceFile::new("f", text)).unwrap();
        let why = f.image(Api::ZenlayerVm, "FRA-A", "img-1").unwrap_err();
        assert_eq!(why.0, "no credentials");
    }

    #[test]
    fn bad_files_point_at_the_spot() {
        let text = "{\"version\": 5,\n \"clouds\": {\"gcp\": {}}}";
        let err = Facts::from_json(&SourceFile::new("f", text)).unwrap_err();
        assert_eq!(err.position().map(|p| p.line), Some(2));
        // Version 2 has no vSwitches: a plan with one would read as "nothing about it".
        let old =
            r#"{"version": 2, "clouds": {"jdcloud": {"r": {"instance_types": {"offered": {}}}}}}"#;
        let err = Facts::from_json(&SourceFile::new("f", old)).unwrap_err();
        assert!(
            err.message()
                .contains("version 2, written by an older preflight"),
            "{}",
            err.message()
        );
        assert!(
            err.help_text()
                .is_some_and(|h| h.contains("preflight fetch"))
        );
        let err = Facts::from_json(&SourceFile::new("f", r#"{"version": 9}"#)).unwrap_err();
        assert!(err.message().contains("newer than this preflight"));
    }
}
