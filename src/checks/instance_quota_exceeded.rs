//! # instance-quota-exceeded
//!
//! ## What it does
//! Adds up the instances every plan in the run launches in a region, as the account's launch
//! quotas count them, and flags the entry at which one no longer fits: Alibaba's vCPU quotas
//! of pay-as-you-go and of spot instances (`DescribeAccountAttributes`
//! `max-…-instance-vcpu-count` and `used-…`, each instance counting its type's `CpuCoreCount`),
//! JD Cloud's `instance` and `instance_cpu` quotas (`describeQuotas`). Subscriptions are not
//! under Alibaba's vCPU quotas; an instance Terraform replaces frees its place first, and
//! templates and scaling configurations launch nothing themselves.
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

use super::{Check, Need, RegionLaunches, Rule, Takes};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "instance-quota-exceeded",
    summary: "the instances planned in a region exceed the account's instance or vCPU quota",
    severity: Severity::Error,
    needs: &[Need::Account, Need::InstanceType],
    source: include_str!("instance_quota_exceeded.rs"),
    check: Check::Launches(check),
};

fn check(r: &RegionLaunches) -> Vec<Diagnostic> {
    let Ok(account) = r.facts.account(r.api, r.region) else {
        return Vec::new();
    };
    let place = format!("{} {} `{}`", r.api, r.api.region_word(), r.region);
    let mut out = Vec::new();
    for quota in r.quotas() {
        let Some(limit) = account.quotas.get(quota.key) else {
            continue;
        };
        let used = u64::from(limit.used);
        let mut planned: u64 = 0;
        for entry in r.covered(quota) {
            // A type whose vCPUs are not known: `unverified` says so, and nothing after it
            // can be added up.
            let each = match r.each(quota, entry) {
                Takes::Counts(each) => each,
                Takes::Nothing => continue,
                Takes::Unknown => break,
            };
            let adds = u64::from(entry.count) * each;
            planned += adds;
            if used + planned <= u64::from(limit.limit) {
                continue;
            }
            let this = if quota.vcpus {
                format!("{} × {each} for `{}`", entry.count, entry.name.value)
            } else {
                format!("{} for `{}`", entry.count, entry.name.value)
            };
            out.push(
                Diagnostic::for_instance(
                    RULE.id,
                    RULE.severity,
                    entry,
                    entry.name.span,
                    format!(
                        "the {} quota of {place} does not fit: {used} in use + {planned} planned up to here ({this}) = {} > {}",
                        quota.what,
                        used + planned,
                        limit.limit
                    ),
                    "no longer fits",
                )
                .with_help(format!(
                    "ask for a higher {} quota, or plan {} fewer {}",
                    quota.what,
                    used + planned - u64::from(limit.limit),
                    if quota.vcpus { "vCPUs" } else { "instances" }
                )),
            );
            break;
        }
    }
    out
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
        let json = r#"{"version":4,"clouds":{"aliyun":{"r":{
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
}
