//! # instance-quota-exceeded
//!
//! ## What it does
//! Adds up the instances every plan in the run launches in a region, as the account's launch
//! quotas count them, and flags the entry at which one no longer fits: Alibaba's vCPU quotas
//! of pay-as-you-go and of spot instances (`DescribeAccountAttributes`
//! `max-…-instance-vcpu-count` and `used-…`, each instance counting its type's `CpuCoreCount`),
//! JD Cloud's `instance`, `instance_cpu` and `instance_memory` quotas (`describeQuotas`).
//! Subscriptions are not under Alibaba's vCPU quotas; an instance Terraform replaces frees its
//! place first, and templates and scaling configurations launch nothing themselves.
//!
//! JD does not say in which unit it counts memory. preflight reads it from the answer: no
//! type JD sells has under 1 GB or over 8 GB per vCPU, so memory in use per vCPU in use (else
//! the limits per vCPU limit) is at most 64 counted in GB and at least 256 counted in MB.
//! When the numbers cannot tell, a plan that fits counted in MB passes, one over counted in GB
//! fails, and one between is `unverified`.
//!
//! ## Why it matters
//! New accounts and large `count`s fail at apply time with `QuotaExceed.AfterpayInstance`
//! ("create ecs vcpu quota per region limited by user quota") or "exceeds the maximum limit for
//! the POSTPaid instances", after part of the plan was created.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: batch
//!     image: ubuntu_22_04_x64_20G_alibase_20240130.vhd
//!     instance_type: ecs.g7.4xlarge
//!     count: 8
//! ```
//! ```text
//! plan.yaml:5:11: error [instance-quota-exceeded] the pay-as-you-go vCPU quota of aliyun region `cn-hangzhou` does not fit: 72 in use + 128 planned up to here (8 × 16 for `batch`) = 200 > 100
//! ```
//!
//! ## How to fix
//! Ask for a higher quota (Alibaba: the Quota Center's ECS vCPU quotas; JD Cloud: a ticket),
//! lower `count`, pick a smaller type, or buy as a subscription (Alibaba).

use super::{Check, Counts, Need, RegionLaunches, Rule, Tally, Unit};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "instance-quota-exceeded",
    summary: "the instances planned in a region exceed the account's instance, vCPU or memory quota",
    severity: Severity::Error,
    needs: &[Need::Account, Need::InstanceType],
    source: include_str!("instance_quota_exceeded.rs"),
    check: Check::Launches(check),
};

fn check(r: &RegionLaunches) -> Vec<Diagnostic> {
    let Ok(account) = r.facts.account(r.api, r.region) else {
        return Vec::new();
    };
    let place = r.api.place(r.region);
    r.quotas()
        .iter()
        .filter_map(|quota| r.tally(quota, account))
        .filter_map(|tally| over(&tally, &place))
        .collect()
}

/// The finding at the entry where the plans no longer fit `tally`'s quota, with the arithmetic
/// in the unit the cloud's numbers read in (in GB where JD's memory unit is unsure: the most
/// lenient reading, so over in it is over in any).
fn over(tally: &Tally, place: &str) -> Option<Diagnostic> {
    let over = tally.over?;
    let entry = over.at;
    let unit = tally.unit;
    let used = tally.amount(tally.numbers.used);
    let limit = tally.amount(tally.numbers.limit);
    let total = used + over.planned;
    let this = match tally.quota.counts {
        Counts::Instances => format!("{} for `{}`", entry.count, entry.name.value),
        Counts::Vcpus | Counts::Memory => format!(
            "{} × {} for `{}`",
            entry.count,
            unit.show(over.each),
            entry.name.value
        ),
    };
    let reading = if unit == Unit::Unsure {
        "; JD's answer does not say whether it counts GB or MB, and read in MB it is further over"
    } else {
        ""
    };
    let fewer = match tally.quota.counts {
        Counts::Instances => format!("{} fewer instances", total - limit),
        Counts::Vcpus => format!("{} fewer vCPUs", total - limit),
        Counts::Memory => format!("{} less memory", unit.show(total - limit)),
    };
    Some(
        Diagnostic::for_instance(
            RULE.id,
            RULE.severity,
            entry,
            entry.name.span,
            format!(
                "the {} quota of {place} does not fit: {} in use + {} planned up to here ({this}) = {} > {}{reading}",
                tally.quota.what,
                unit.show(used),
                unit.show(over.planned),
                unit.show(total),
                unit.show(limit),
            ),
            "no longer fits",
        )
        .with_help(format!(
            "ask for a higher {} quota, or plan {fewer}",
            tally.quota.what
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{facts, plan};

    #[test]
    fn sums_vcpus_per_charge_over_every_plan_and_flags_the_entry_that_no_longer_fits() {
        let plans = [
            plan(
                "defaults: {cloud: aliyun, region: r}\ninstances:\n\
                 - {name: a, image: i, instance_type: big, count: 2}\n\
                 - {name: b, image: i, instance_type: big, count: 2}\n\
                 - {name: sub, image: i, instance_type: big, count: 50, charge_type: prepaid}\n\
                 - {name: s, image: i, instance_type: big, charge_type: spot}\n",
            ),
            plan(
                "defaults: {cloud: aliyun, region: r}\ninstances:\n- {name: c, image: i, instance_type: big}\n",
            ),
        ];
        let json = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "instance_types":{"offered":{"big":{"vcpus":16}}},
            "account":{"network_types":["vpc"],"quotas":{
                "postpaid-vcpu":{"used":20,"limit":90},"spot-vcpu":{"used":0,"limit":10}}}}}}}"#;
        let got: Vec<(String, String)> =
            crate::checks::run(&plans, &facts(json), &Default::default(), &|id| {
                id == "instance-quota-exceeded"
            })
            .diagnostics
            .into_iter()
            .map(|d| (d.entry, d.message))
            .collect();
        let entries: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        // Subscriptions are not under the vCPU quotas: `sub` counts nowhere.
        assert_eq!(entries, ["c", "s"], "{got:?}");
        assert!(
            got[0]
                .1
                .contains("20 in use + 80 planned up to here (1 × 16 for `c`) = 100 > 90"),
            "{}",
            got[0].1
        );
        assert!(got[1].1.contains("spot vCPU quota"), "{}", got[1].1);
    }

    #[test]
    fn a_memory_quota_of_unsaid_unit_fails_only_where_over_in_either_unit() {
        let plan = plan(
            "defaults: {cloud: jdcloud, region: r}\ninstances:\n\
             - {name: a, image: i, instance_type: t, count: 2}\n\
             - {name: b, image: i, instance_type: t, count: 7}\n",
        );
        // 100 per vCPU limit: neither unit. 32 GB fit 100 counted in GB, not in MB; 144 GB
        // fit neither.
        let json = r#"{"version":5,"clouds":{"jdcloud":{"r":{
            "instance_types":{"offered":{"t":{"vcpus":4,"memory_mb":16384}}},
            "account":{"quotas":{"instance":{"used":0,"limit":100},"instance_cpu":{"used":0,"limit":1},
                "instance_memory":{"used":0,"limit":100}}}}}}}"#;
        let run = crate::checks::run(&[plan], &facts(json), &Default::default(), &|id| {
            id == "instance-quota-exceeded" || id == "unverified"
        });
        let mut got: Vec<(&str, &str, &str)> = run
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("memory"))
            .map(|d| (d.rule.as_str(), d.entry.as_str(), d.message.as_str()))
            .collect();
        got.sort_by_key(|g| g.1);
        assert_eq!(got.len(), 2, "{got:?}");
        // From `a` on it fits in GB only: unverified; at `b` it is over in GB too.
        assert_eq!((got[0].0, got[0].1), ("unverified", "a"), "{got:?}");
        assert!(got[0].2.contains("counts GB or MB"), "{}", got[0].2);
        assert_eq!((got[1].0, got[1].1), ("instance-quota-exceeded", "b"));
        assert!(
            got[1].2.contains(
                "0 GB in use + 144 GB planned up to here (7 × 16 GB for `b`) = 144 GB > 100 GB; \
                 JD's answer does not say whether it counts GB or MB"
            ),
            "{}",
            got[1].2
        );
    }
}
