//! The built-in rules, one file each, named after the problem they catch. Checking is pure
//! and synchronous: plans and facts in, findings out; no I/O, no clock.
//!
//! Each rule file opens with its documentation (`preflight explain RULE` prints it), then its
//! metadata (`RULE`) and a `check` function that returns early when the rule does not apply.
//! `rule` says what a rule is and lists them, `pairing` what a rule looks at, `finding` builds
//! what it reports, `rule_files` runs the rule files' rules, `catalog` lists every rule; this
//! file runs them all (`run`).

mod architecture_mismatch;
mod boot_mode_mismatch;
pub mod catalog;
mod classic_network_unavailable;
mod data_disk_unsupported;
mod disk_offer;
mod dry_run_refused;
mod finding;
mod image_not_found;
mod image_quota_exceeded;
mod image_unavailable;
mod instance_quota_exceeded;
mod instance_type_excluded;
mod instance_type_not_included;
mod instance_type_sold_out;
mod instance_type_unknown;
mod launches;
mod nvme_unsupported;
mod pairing;
mod rule;
mod rule_files;
mod system_disk_too_small;
mod system_disk_unsupported;
mod unverified;
mod vswitch_not_found;
mod vswitch_zone_mismatch;

pub use launches::{Counts, LaunchQuota, RegionLaunches, Takes, Tally, Unit};
pub use pairing::{Landing, Pairing, RegionImages, family};
pub use rule::{BUILTIN, Check, Need, Rule, UNVERIFIED, builtin, ids};

use std::collections::BTreeMap;

use crate::cloud::Api;
use crate::diagnostic::Diagnostic;
use crate::facts::Facts;
use crate::plan::{ImageCreate, Plan};
use crate::policy::Policy;

/// What a check run found, plus what it could not check by design.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    /// One-time remarks such as "Zenlayer has no constraint API".
    pub notices: Vec<String>,
    /// How many instance entries were checked.
    pub pairings: usize,
}

/// Runs every enabled rule, built-in and from rule files, over every plan.
pub fn run(
    plans: &[Plan],
    facts: &Facts,
    policy: &Policy,
    enabled: &dyn Fn(&str) -> bool,
) -> Outcome {
    let rules: Vec<&Rule> = BUILTIN.iter().copied().filter(|r| enabled(r.id)).collect();
    let mut out = Outcome::default();
    let needs: Vec<Need> = rules.iter().flat_map(|r| r.needs.iter().copied()).collect();
    let check_unverified = rules.iter().any(|r| matches!(r.check, Check::Unverified));

    for plan in plans {
        for instance in &plan.instances {
            out.pairings += 1;
            let pairing = Pairing {
                plan,
                instance,
                facts,
            };
            let mut found: Vec<Diagnostic> = rules
                .iter()
                .filter_map(|rule| match rule.check {
                    Check::Pairing(check) if pairing.can_check(rule) => check(&pairing),
                    _ => None,
                })
                .collect();
            // Whether the region offers the type is moot once a finding says it does not.
            let type_unknown = found
                .iter()
                .any(|d| d.rule == instance_type_unknown::RULE.id);
            let mut found = root_causes(&mut found);
            found.extend(rule_files::check(policy, &pairing, enabled));
            if check_unverified
                && let Some(d) = unverified::check_pairing(&pairing, &needs, type_unknown)
            {
                found.push(d);
            }
            for d in &mut found {
                d.plan = Some(plan.path().to_string());
            }
            out.diagnostics.append(&mut found);
        }
    }

    for plan in plans {
        for entry in &plan.unchecked {
            if entry.pairing {
                out.pairings += 1;
            }
            if check_unverified {
                out.diagnostics.push(unverified::check_unchecked(entry));
            }
        }
    }

    for region in group_image_creates(plans, facts) {
        for rule in &rules {
            if let Check::Region(check) = rule.check
                && let Some(d) = check(&region)
            {
                out.diagnostics.push(d);
            }
        }
        if check_unverified && let Some(d) = unverified::check_region(&region, &needs) {
            out.diagnostics.push(d);
        }
    }

    for region in group_launches(plans, facts) {
        for rule in &rules {
            if let Check::Launches(check) = rule.check {
                out.diagnostics.extend(check(&region));
            }
        }
        if check_unverified && let Some(d) = unverified::check_launches(&region, &needs) {
            out.diagnostics.push(d);
        }
    }

    out.notices = notices(plans, &needs);
    out.notices.extend(dry_run_notices(plans, facts));
    out.notices
        .extend(plans.iter().flat_map(|p| p.notices.iter().cloned()));
    out
}

/// One cause, one finding: a type the region does not sell is not also "not included in"
/// or "excluded by" the image's list (a typo is in neither).
fn root_causes(found: &mut Vec<Diagnostic>) -> Vec<Diagnostic> {
    const FOLLOWS_FROM_AN_UNKNOWN_TYPE: &[&str] =
        &["instance-type-not-included", "instance-type-excluded"];
    if found.iter().any(|d| d.rule == "instance-type-unknown") {
        found.retain(|d| !FOLLOWS_FROM_AN_UNKNOWN_TYPE.contains(&d.rule.as_str()));
    }
    // The dry run's refusal of a type preflight already found unsold or sold out there says
    // the same again (the dry run's other refusals stay: they say what the describes cannot).
    if found
        .iter()
        .any(|d| d.rule == "instance-type-unknown" || d.rule == "instance-type-sold-out")
    {
        found.retain(|d| !(d.rule == "dry-run-refused" && concerns_the_type(d)));
    }
    // A disk category, an image or a vSwitch the describes already found wanting: the dry
    // run's refusal of it is the same cause.
    const SAME_CAUSE: &[(&[&str], &[&str])] = &[
        (
            &["system-disk-unsupported", "data-disk-unsupported"],
            &[
                "InvalidSystemDiskCategory",
                "InvalidDataDiskCategory",
                "InvalidDiskCategory",
            ],
        ),
        (&["image-not-found"], &["InvalidImageId"]),
        (&["vswitch-not-found"], &["InvalidVSwitchId"]),
    ];
    for (rules, codes) in SAME_CAUSE {
        if found.iter().any(|d| rules.contains(&d.rule.as_str())) {
            found.retain(|d| !refused_with(d, codes));
        }
    }
    // A system disk below the image's minimum is the cause; the category's range is not a
    // second one.
    if found.iter().any(|d| d.rule == "system-disk-too-small") {
        found.retain(|d| {
            !(d.rule == "system-disk-unsupported" && d.message.contains("outside the range"))
        });
    }
    std::mem::take(found)
}

/// Whether a dry run's refusal is about the instance type's sale or stock.
fn concerns_the_type(d: &Diagnostic) -> bool {
    refused_with(
        d,
        &[
            "OperationDenied.NoStock",
            "Zone.NotOnSale",
            "InvalidInstanceType",
            "InstanceType.Offline",
        ],
    )
}

/// Whether `d` is a dry run's refusal with a code starting with one of `codes`.
fn refused_with(d: &Diagnostic, codes: &[&str]) -> bool {
    d.rule == dry_run_refused::RULE.id
        && d.cause
            .as_deref()
            .is_some_and(|code| codes.iter().any(|c| code.starts_with(c)))
}

/// Per API and region, every entry that adds instances with a known type, in plan order.
fn group_launches<'a>(plans: &'a [Plan], facts: &'a Facts) -> Vec<RegionLaunches<'a>> {
    let mut groups: BTreeMap<(Api, &str), Vec<&crate::plan::Instance>> = BTreeMap::new();
    for instance in plans.iter().flat_map(|p| &p.instances) {
        if instance.adds_instances && instance.knows(crate::plan::Side::InstanceType) {
            groups
                .entry((instance.api(), instance.region.value.as_str()))
                .or_default()
                .push(instance);
        }
    }
    groups
        .into_iter()
        .map(|((api, region), entries)| RegionLaunches {
            api,
            region,
            entries,
            facts,
        })
        .filter(|r| r.api.knows_launch_quotas())
        .collect()
}

fn group_image_creates<'a>(plans: &'a [Plan], facts: &'a Facts) -> Vec<RegionImages<'a>> {
    let mut groups: BTreeMap<(Api, &str), Vec<&ImageCreate>> = BTreeMap::new();
    for plan in plans {
        for image in &plan.images {
            groups
                .entry((image.api(), image.region.value.as_str()))
                .or_default()
                .push(image);
        }
    }
    let mut deleted: BTreeMap<(Api, &str), u64> = BTreeMap::new();
    for d in plans.iter().flat_map(|p| &p.deleted_images) {
        *deleted.entry((d.api, d.region.as_str())).or_default() += u64::from(d.count);
    }
    let freed =
        |api: Api, region: &str| -> u64 { deleted.get(&(api, region)).copied().unwrap_or(0) };
    groups
        .into_iter()
        .map(|((api, region), entries)| RegionImages {
            api,
            region,
            entries,
            freed: freed(api, region),
            facts,
        })
        .collect()
}

/// With `--dry-run`: which Alibaba launches were not dry-run, and why (never a pass).
fn dry_run_notices(plans: &[Plan], facts: &Facts) -> Vec<String> {
    if !facts.dry_run {
        return Vec::new();
    }
    let launches = plans
        .iter()
        .flat_map(|p| &p.instances)
        .filter(|i| i.api() == Api::Aliyun && i.adds_instances);
    let mut unknown: Vec<&str> = Vec::new();
    let mut failed: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for i in launches {
        match i.launch_spec() {
            None => unknown.push(&i.name.value),
            Some(spec) => {
                if let Some(crate::facts::DryRun::Failed(why)) =
                    facts.dry_run(i.api(), &i.region.value, &spec.key())
                {
                    failed.entry(why.clone()).or_default().push(&i.name.value);
                }
            }
        }
    }
    let named = |names: &[&str]| {
        let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
        match names.len() {
            n if n > 5 => format!("{} and {} more", shown.join(", "), n - 5),
            _ => shown.join(", "),
        }
    };
    let mut out = Vec::new();
    if !unknown.is_empty() {
        out.push(format!(
            "the dry run needs the image, type, vSwitch and security groups all known (Terraform's `security_groups`; a YAML plan names none): not dry-run: {}",
            named(&unknown)
        ));
    }
    for (why, names) in failed {
        out.push(format!(
            "the dry run gave no verdict ({why}), so these were not dry-run: {}",
            named(&names)
        ));
    }
    out
}

/// Said once per run: what a cloud cannot tell us, so a user knows what was not checked.
fn notices(plans: &[Plan], needs: &[Need]) -> Vec<String> {
    let mut notices = Vec::new();
    let unconstrained = plans
        .iter()
        .flat_map(|p| &p.instances)
        .filter(|i| !i.api().knows_image_constraints())
        .count();
    if unconstrained > 0 && needs.contains(&Need::Constraint) {
        notices.push(format!(
            "Zenlayer has no API that says which instance types an image allows, so {} not checked for that",
            if unconstrained == 1 { "its 1 pairing was".to_string() } else { format!("its {} pairings were", crate::text::thousands(unconstrained)) }
        ));
    }
    for (api, what) in [
        (
            Api::Aliyun,
            "Alibaba Cloud ECS has no known API for the custom-image quota",
        ),
        (
            Api::ZenlayerZec,
            "Zenlayer Elastic Compute has no API for the custom-image quota",
        ),
    ] {
        let images: u32 = plans
            .iter()
            .flat_map(|p| &p.images)
            .filter(|i| i.api() == api)
            .map(|i| i.count)
            .sum();
        if images > 0 && needs.contains(&Need::Quota) {
            notices.push(format!(
                "{what}; the {images} custom {} the plans create there {} not checked against it",
                if images == 1 { "image" } else { "images" },
                if images == 1 { "was" } else { "were" }
            ));
        }
    }
    notices
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds plans and facts from text for the rules' unit tests.
    use crate::facts::Facts;
    use crate::plan::{self, Plan};
    use crate::source::SourceFile;

    pub fn plan(yaml: &str) -> Plan {
        plan::parse(SourceFile::new("plan.yaml", yaml)).expect("test plan parses")
    }

    pub fn facts(json: &str) -> Facts {
        Facts::from_json(&SourceFile::new("facts.json", json)).expect("test facts parse")
    }

    /// Runs every built-in rule over the plan and returns (rule, line, message) of each
    /// finding of `rule`.
    pub fn findings(rule: &str, yaml: &str, json: &str) -> Vec<(String, usize, String)> {
        let plans = [plan(yaml)];
        let facts = facts(json);
        super::run(&plans, &facts, &crate::policy::Policy::default(), &|_| true)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == rule)
            .map(|d| (d.rule.clone(), d.line(), d.message.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_kebab_case_and_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for rule in BUILTIN {
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                rule.id
            );
            let doc = rule.doc();
            for heading in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", rule.id);
            }
        }
    }

    #[test]
    fn a_type_the_region_does_not_sell_is_one_finding_not_also_not_included() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n  - {name: a, image: i, instance_type: ecs.g7.larg}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"i":{"state":"found","status":"Available","usable":true,"constraint":{"includes":["ecs.g7.large"]}}},
            "instance_types":{"offered":{"ecs.g7.large":{}},"not_offered":["ecs.g7.larg"]},
            "availability":{"postpaid":{"types":{"ecs.g7.large":{"r-h":true}}}}}}}}"#;
        let rules: Vec<String> = ["instance-type-unknown", "instance-type-not-included"]
            .iter()
            .flat_map(|r| test_support::findings(r, plan, facts))
            .map(|f| f.0)
            .collect();
        assert_eq!(rules, ["instance-type-unknown"]);
    }

    #[test]
    fn a_disk_below_the_images_minimum_is_not_also_outside_the_categorys_range() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n  - {name: a, image: i, instance_type: t, system_disk_category: cloud_essd, system_disk_gb: 10}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"i":{"state":"found","status":"Available","usable":true,"min_system_disk_gb":20}},
            "instance_types":{"offered":{"t":{}}},
            "availability":{"postpaid":{"types":{"t":{"r-h":true}}}},
            "system_disks":{"postpaid":{"t":{"zones":{"r-h":{"cloud_essd":{"min":20,"max":2048}}}}}}}}}}"#;
        let rules: Vec<String> = ["system-disk-too-small", "system-disk-unsupported"]
            .iter()
            .flat_map(|r| test_support::findings(r, plan, facts))
            .map(|f| f.0)
            .collect();
        assert_eq!(rules, ["system-disk-too-small"]);
    }

    #[test]
    fn family_drops_the_size() {
        assert_eq!(family("g.n4.xlarge"), "g.n4");
        assert_eq!(family("ecs.g7.large"), "ecs.g7");
        assert_eq!(family("plain"), "plain");
    }
}
