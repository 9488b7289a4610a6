//! The instances every plan launches in one region, and the account's launch quotas they are
//! counted against: what one instance takes of each quota, in which unit the cloud's numbers
//! read, and the entry at which the plans no longer fit.

use crate::cloud::{Api, ChargeType};
use crate::facts::{Account, Facts, Quota};
use crate::plan::Instance;

/// The instances every plan launches in one region (those that add instances to the
/// account), in plan order: what the launch quotas are checked against.
pub struct RegionLaunches<'a> {
    pub api: Api,
    pub region: &'a str,
    pub entries: Vec<&'a Instance>,
    pub facts: &'a Facts,
}

/// What one instance of an entry takes of a launch quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Counts(u64),
    /// Nothing the quota counts: a type the region does not offer, or one the facts do not
    /// know (its own findings say so).
    Nothing,
    /// An offered type whose vCPUs or memory the facts do not say.
    Unknown,
}

/// What a launch quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    Instances,
    Vcpus,
    /// Memory, which instance types state in MB (JD `memoryMB`).
    Memory,
}

/// One launch quota: its key in the facts, what it counts (for messages), which entries it
/// covers, and what one instance of an entry takes of it.
pub struct LaunchQuota {
    pub key: &'static str,
    pub what: &'static str,
    pub charges: &'static [ChargeType],
    pub counts: Counts,
}

/// How a quota's numbers read against what instances take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Instances or vCPUs, one for one.
    Count,
    /// Memory in MB.
    Mb,
    /// Memory in GB (1024 MB).
    Gb,
    /// Memory in a unit the answer does not tell: GB or MB.
    Unsure,
}

impl Unit {
    /// "16 GB", "16384 MB", "3" for an amount in what instances take (MB for memory).
    pub fn show(self, amount: u64) -> String {
        match self {
            Unit::Count => amount.to_string(),
            Unit::Mb => format!("{amount} MB"),
            Unit::Gb | Unit::Unsure => {
                let whole = amount / 1024;
                match amount % 1024 {
                    0 => format!("{whole} GB"),
                    part => {
                        let hundredths = (part * 100).div_ceil(1024);
                        let text = format!("{whole}.{hundredths:02}");
                        format!("{} GB", text.trim_end_matches('0'))
                    }
                }
            }
        }
    }

    /// An amount of the cloud's numbers in what instances take.
    fn scale(self, strictest: bool) -> u64 {
        match self {
            Unit::Count | Unit::Mb => 1,
            Unit::Gb => 1024,
            Unit::Unsure if strictest => 1,
            Unit::Unsure => 1024,
        }
    }
}

/// In which unit JD's `instance_memory` quota counts. Neither the SDK model (`Quota`:
/// "云主机的内存", no unit) nor JD's API documentation says, so the answer's own numbers
/// decide: every type JD sells has between 1 and 8 GB per vCPU (its instance-type-family
/// page), so the memory in use per vCPU in use (a sum of instances lies between their
/// extremes) is at most 64 counted in GB and at least 256 counted in MB, with wide margins.
/// With nothing in use, the limits per vCPU limit decide the same way. `Unsure` when neither
/// does; the check then judges in both units.
pub fn memory_unit(account: &Account) -> Unit {
    let (Some(memory), Some(cpu)) = (
        account.quotas.get("instance_memory"),
        account.quotas.get("instance_cpu"),
    ) else {
        return Unit::Unsure;
    };
    let per_vcpu = if memory.used > 0 && cpu.used > 0 {
        f64::from(memory.used) / f64::from(cpu.used)
    } else if memory.limit > 0 && cpu.limit > 0 {
        f64::from(memory.limit) / f64::from(cpu.limit)
    } else {
        return Unit::Unsure;
    };
    if per_vcpu <= 64.0 {
        Unit::Gb
    } else if per_vcpu >= 256.0 {
        Unit::Mb
    } else {
        Unit::Unsure
    }
}

/// Where the plans stop fitting a quota.
#[derive(Debug, Clone, Copy)]
pub struct Over<'a> {
    pub at: &'a Instance,
    /// What one instance of it takes (an instance, vCPUs, MB of memory).
    pub each: u64,
    /// What the entries up to and including it take.
    pub planned: u64,
}

/// The entries of a region added up against one quota.
pub struct Tally<'a> {
    pub quota: &'static LaunchQuota,
    /// The cloud's numbers.
    pub numbers: Quota,
    pub unit: Unit,
    /// The first entry at which the plans no longer fit, whichever unit the numbers are in.
    pub over: Option<Over<'a>>,
    /// The first entry at which they no longer fit in one unit the numbers may be in but
    /// still do in another (`Unit::Unsure`).
    pub unsure: Option<Over<'a>>,
    /// An offered type whose size the facts do not say: nothing from it on is added up.
    pub unknown: Option<&'a Instance>,
}

impl Tally<'_> {
    /// The cloud's `used` or `limit` in what instances take (in the most lenient unit).
    pub fn amount(&self, n: u32) -> u64 {
        u64::from(n) * self.unit.scale(false)
    }
}

impl RegionLaunches<'_> {
    /// The launch quotas the region's API has: Alibaba's vCPUs of pay-as-you-go and of spot
    /// instances (subscriptions are not under them), JD's instances, vCPUs and memory.
    pub fn quotas(&self) -> &'static [LaunchQuota] {
        const ALIBABA: &[LaunchQuota] = &[
            LaunchQuota {
                key: "postpaid-vcpu",
                what: "pay-as-you-go vCPU",
                charges: &[ChargeType::Postpaid],
                counts: Counts::Vcpus,
            },
            LaunchQuota {
                key: "spot-vcpu",
                what: "spot vCPU",
                charges: &[ChargeType::Spot],
                counts: Counts::Vcpus,
            },
        ];
        const ALL: &[ChargeType] = &[ChargeType::Postpaid, ChargeType::Prepaid, ChargeType::Spot];
        const JD: &[LaunchQuota] = &[
            LaunchQuota {
                key: "instance",
                what: "instance",
                charges: ALL,
                counts: Counts::Instances,
            },
            LaunchQuota {
                key: "instance_cpu",
                what: "vCPU",
                charges: ALL,
                counts: Counts::Vcpus,
            },
            LaunchQuota {
                key: "instance_memory",
                what: "memory",
                charges: ALL,
                counts: Counts::Memory,
            },
        ];
        match self.api {
            Api::Aliyun => ALIBABA,
            Api::Jdcloud => JD,
            _ => &[],
        }
    }

    /// The entries a quota covers.
    pub fn covered<'b>(&'b self, quota: &'b LaunchQuota) -> impl Iterator<Item = &'b Instance> {
        self.entries
            .iter()
            .copied()
            .filter(|e| quota.charges.contains(&e.charge()))
    }

    /// What one instance of `entry` takes of `quota`.
    pub fn each(&self, quota: &LaunchQuota, entry: &Instance) -> Takes {
        let Ok(Some(info)) =
            self.facts
                .instance_type(self.api, self.region, &entry.instance_type.value)
        else {
            return Takes::Nothing;
        };
        let size = match quota.counts {
            Counts::Instances => return Takes::Counts(1),
            Counts::Vcpus => info.vcpus,
            Counts::Memory => info.memory_mb,
        };
        size.map_or(Takes::Unknown, |n| Takes::Counts(u64::from(n)))
    }

    /// The covered entries added up against `quota`, in plan order; `None` when the account's
    /// answer has no such quota.
    pub fn tally(&self, quota: &'static LaunchQuota, account: &Account) -> Option<Tally<'_>> {
        let numbers = *account.quotas.get(quota.key)?;
        let unit = match quota.counts {
            Counts::Memory => memory_unit(account),
            Counts::Instances | Counts::Vcpus => Unit::Count,
        };
        let fits = |strictest: bool, planned: u64| {
            let scale = unit.scale(strictest);
            u64::from(numbers.used) * scale + planned <= u64::from(numbers.limit) * scale
        };
        let mut tally = Tally {
            quota,
            numbers,
            unit,
            over: None,
            unsure: None,
            unknown: None,
        };
        let mut planned: u64 = 0;
        for entry in self.covered(quota) {
            let each = match self.each(quota, entry) {
                Takes::Counts(each) => each,
                Takes::Nothing => continue,
                Takes::Unknown => {
                    tally.unknown = Some(entry);
                    break;
                }
            };
            planned += u64::from(entry.count) * each;
            let here = Over {
                at: entry,
                each,
                planned,
            };
            if !fits(false, planned) {
                tally.over = Some(here);
                break;
            }
            if tally.unsure.is_none() && !fits(true, planned) {
                tally.unsure = Some(here);
            }
        }
        Some(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn account(memory: (u32, u32), cpu: (u32, u32)) -> Account {
        let q = |(used, limit)| Quota { used, limit };
        Account {
            network_types: None,
            quotas: BTreeMap::from([
                ("instance_memory".to_string(), q(memory)),
                ("instance_cpu".to_string(), q(cpu)),
            ]),
        }
    }

    #[test]
    fn the_memory_unit_is_read_from_the_numbers_in_use_else_from_the_limits() {
        // In use: 3 instances of 4 vCPUs and 16 GB.
        assert_eq!(memory_unit(&account((48, 160), (12, 40))), Unit::Gb);
        assert_eq!(memory_unit(&account((49152, 163840), (12, 40))), Unit::Mb);
        // Nothing in use: the limits tell.
        assert_eq!(memory_unit(&account((0, 160), (0, 40))), Unit::Gb);
        assert_eq!(memory_unit(&account((0, 163840), (0, 40))), Unit::Mb);
        // Between the two readings, or nothing to read: unsure.
        assert_eq!(memory_unit(&account((0, 4000), (0, 40))), Unit::Unsure);
        assert_eq!(memory_unit(&account((0, 0), (0, 0))), Unit::Unsure);
        let mut no_cpu = account((0, 160), (0, 40));
        no_cpu.quotas.remove("instance_cpu");
        assert_eq!(memory_unit(&no_cpu), Unit::Unsure);
    }

    #[test]
    fn amounts_show_in_the_unit_they_are_read_in() {
        assert_eq!(Unit::Gb.show(16384), "16 GB");
        assert_eq!(Unit::Unsure.show(1536), "1.5 GB");
        assert_eq!(Unit::Gb.show(1100), "1.08 GB");
        assert_eq!(Unit::Mb.show(16384), "16384 MB");
        assert_eq!(Unit::Count.show(3), "3");
    }
}
