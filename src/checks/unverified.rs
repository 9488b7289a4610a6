//! # unverified
//!
//! ## What it does
//! Reports every pairing (and every region's planned custom images) that could not be fully
//! checked because a fact the enabled rules need is missing: the cloud could not be reached,
//! refused the credentials, answered with an error, or the facts file does not cover it. The
//! message says which facts are missing and why.
//!
//! ## Why it matters
//! A check that could not run is not a pass. Without `--allow-unverified`, a run with
//! unverified pairings and no other findings exits with code 3, so a CI gate never reports
//! "fine" when it did not look.
//!
//! ## Example
//! ```yaml
//! instances:
//!   - name: web
//!     cloud: jdcloud
//!     region: cn-east-2
//!     image: img-m5s0****29
//!     instance_type: g.n4.xlarge
//! ```
//! ```text
//! plan.yaml:5:12: warning [unverified] could not check `web`: the facts have nothing about jdcloud region `cn-east-2`
//! ```
//!
//! ## How to fix
//! Fix what the reason names (credentials, network, a facts file fetched for other plans),
//! then run again. To let unverified pairings pass on purpose, use `--allow-unverified`, or a
//! `# preflight-ignore: unverified -- why` comment for one entry.

use super::{Check, Counts, Need, Pairing, RegionImages, RegionLaunches, Rule, Unit};
use crate::cloud::Api;
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::{ImageState, Missing};
use crate::plan::{Side, Unchecked};

pub const RULE: Rule = Rule {
    id: "unverified",
    summary: "the facts for a pairing could not be fetched",
    severity: Severity::Warning,
    needs: &[],
    source: include_str!("unverified.rs"),
    check: Check::Unverified,
};

/// Which of the facts that `needs` asks for are missing for this pairing, and why. With
/// `type_unknown` (a finding already says the region does not offer the type), what the
/// catalogue and the sales listing would say of the type is not asked.
pub(super) fn check_pairing(p: &Pairing, needs: &[Need], type_unknown: bool) -> Option<Diagnostic> {
    let instance = p.instance;
    let (api, region) = (p.api(), p.region());
    let mut image_reasons: Vec<Missing> = Vec::new();
    let mut type_reasons: Vec<Missing> = Vec::new();
    let needed = |side: Side| needs.iter().any(|n| n.sides().contains(&side));
    let knows_image = instance.knows(Side::Image);
    let knows_type = instance.knows(Side::InstanceType);

    let wants_image = needs
        .iter()
        .any(|n| matches!(n, Need::Image | Need::Constraint));
    if wants_image && knows_image {
        match p.facts.image(api, region, &instance.image.value) {
            Err(why) => image_reasons.push(why),
            Ok(ImageState::Found(_))
                if needs.contains(&Need::Constraint)
                    && api.knows_image_constraints()
                    && knows_type =>
            {
                if let Err(why) = p.facts.constraint(api, region, &instance.image.value) {
                    image_reasons.push(why);
                }
            }
            Ok(_) => {}
        }
    }
    if needs.contains(&Need::InstanceType)
        && knows_type
        && !type_unknown
        && let Err(why) = p
            .facts
            .instance_type(api, region, &instance.instance_type.value)
    {
        type_reasons.push(why);
    }
    if needs.contains(&Need::Availability)
        && knows_type
        && !type_unknown
        && let Err(why) = p.facts.availability(api, region, p.charge())
    {
        type_reasons.push(why);
    }
    // What the account may launch: its network types (classic), its launch quotas. Said
    // here, with the pairing's other reasons, so one cause is one message.
    if needs.contains(&Need::Account)
        && (instance.classic_network.is_some()
            || (instance.adds_instances && knows_type && p.api().knows_launch_quotas()))
        && let Err(why) = p.facts.account(api, region)
    {
        type_reasons.push(why);
    }
    // Only for a type the region sells for the charge: of any other, other rules speak.
    let sold = |name: &str| {
        p.facts
            .availability(api, region, p.charge())
            .is_ok_and(|a| a.types.contains_key(name))
    };
    // The disk facts an entry's categories are judged against: JD's come with the catalogue
    // (a gap in it is said once, deduplicated with the catalogue's own), Zenlayer's per zone,
    // Alibaba's per type, charge type (and for data disks the system disk beside them).
    let name = &instance.instance_type.value;
    let disk_facts = |system: bool| match api {
        Api::Jdcloud => p.facts.cloud_disk_types(api, region, name).err(),
        Api::ZenlayerVm | Api::ZenlayerZec => {
            p.facts.disk_categories(api, region, p.charge()).err()
        }
        Api::Aliyun if system => p.facts.system_disks(api, region, p.charge(), name).err(),
        Api::Aliyun => p
            .facts
            .data_disks(api, region, p.charge(), name, instance.system_disk_key())
            .err(),
    };
    let judged = knows_type && sold(name);
    if needs.contains(&Need::SystemDisks)
        && judged
        && super::disk_offer::judged_system_disk(instance).is_some()
    {
        type_reasons.extend(disk_facts(true));
    }
    if needs.contains(&Need::DataDisks)
        && judged
        && instance.data_disks.iter().any(|d| d.category.is_some())
    {
        type_reasons.extend(disk_facts(false));
    }
    if needs.contains(&Need::VSwitch)
        && let Some(vswitch) = &instance.vswitch
        && let Err(why) = p.facts.vswitch(api, region, &vswitch.value)
    {
        type_reasons.push(why);
    }
    if needs.contains(&Need::VSwitch)
        && let Err(why) = p.group_zones()
    {
        type_reasons.push(why);
    }
    // A side Terraform decides only later: said once, with where it comes from.
    let unknown: Vec<_> = instance.unknown.iter().filter(|u| needed(u.side)).collect();
    if image_reasons.is_empty() && type_reasons.is_empty() && unknown.is_empty() {
        return None;
    }
    let only_unknown = image_reasons.is_empty() && type_reasons.is_empty();
    let span = match unknown.first() {
        Some(u) => u.span,
        None if image_reasons.is_empty() => instance.instance_type.span,
        None => instance.image.span,
    };
    let mut reasons = join_reasons(
        unknown
            .iter()
            .map(|u| Missing(u.why.clone()))
            .chain(image_reasons)
            .chain(type_reasons),
    );
    // An instance has at most one unknown side (else it is an unchecked entry): say that the
    // known side did not wait for it.
    if only_unknown {
        reasons.push_str("; the rest was checked");
    }
    let mut d = unverified(p.diagnostic(
        &RULE,
        span,
        format!("could not check `{}`: {reasons}", instance.name.value),
        "not verified",
    ))
    .with_cause(reasons);
    d.needs_facts = !only_unknown;
    if only_unknown && let Some(u) = unknown.first() {
        d = d.with_help(u.help.clone());
    }
    for u in &unknown {
        for origin in &u.origins {
            d.point_at(origin);
        }
    }
    Some(d)
}

/// Whether the quota for a region's planned images could be checked.
pub(super) fn check_region(r: &RegionImages, needs: &[Need]) -> Option<Diagnostic> {
    if !needs.contains(&Need::Quota) || !r.api.knows_image_quota() {
        return None;
    }
    let why = r.facts.quota(r.api, r.region).err()?;
    let first = r.entries.first()?;
    let mut d = unverified(Diagnostic::for_image_create(
        RULE.id,
        RULE.severity,
        first,
        format!(
            "could not check the custom-image quota of {} {} `{}`: {}",
            r.api,
            r.api.region_word(),
            r.region,
            why.0
        ),
        "not verified",
    ));
    d.needs_facts = true;
    Some(d)
}

/// Whether the launch quotas of a region could be checked: the account's quotas fetched, each
/// quota the entries fall under known, the size of every type it counts, and (JD memory) the
/// unit its numbers are in wherever that decides. Said once per region, at the first entry it
/// could not count.
pub(super) fn check_launches(r: &RegionLaunches, needs: &[Need]) -> Option<Diagnostic> {
    if !needs.contains(&Need::Account) {
        return None;
    }
    // An account that could not be fetched is said at each pairing that needs it.
    let account = r.facts.account(r.api, r.region).ok()?;
    let place = r.api.place(r.region);
    let (at, why, fetch) = r.quotas().iter().find_map(|quota| {
        let head = r.covered(quota).next()?;
        let Some(tally) = r.tally(quota, account) else {
            return Some((
                head,
                format!("the cloud's answer has no {} quota", quota.what),
                true,
            ));
        };
        if let Some(entry) = tally.unknown {
            let size = match quota.counts {
                Counts::Memory => "how much memory",
                Counts::Instances | Counts::Vcpus => "how many vCPUs",
            };
            return Some((
                entry,
                format!(
                    "the facts do not say {size} `{}` has",
                    entry.instance_type.value
                ),
                true,
            ));
        }
        let unsure = tally.unsure?;
        Some((
            unsure.at,
            format!(
                "JD's answer does not say whether its {} quota ({} of {} in use) counts GB or MB, \
                 nor do its numbers tell; from here on the plans fit it counted in GB, not in MB \
                 ({} planned up to here)",
                quota.what,
                tally.numbers.used,
                tally.numbers.limit,
                Unit::Gb.show(unsure.planned)
            ),
            false,
        ))
    })?;
    let mut d = unverified(Diagnostic::for_instance(
        RULE.id,
        RULE.severity,
        at,
        at.name.span,
        format!("could not check the launch quotas of {place}: {why}"),
        "not verified",
    ));
    d.needs_facts = fetch;
    // Nothing in the plans or the facts can settle JD's unit: say what would.
    if !fetch {
        d = d.with_help(
            "the plans fit if JD counts the memory quota in GB: check the quota in JD's \
             console; --allow-unverified lets unverified pairings pass",
        );
    }
    Some(d)
}

/// An entry that cannot be checked as written (a value known only after apply).
pub(super) fn check_unchecked(entry: &Unchecked) -> Diagnostic {
    Diagnostic::for_unchecked(RULE.id, RULE.severity, entry)
}

fn unverified(mut d: Diagnostic) -> Diagnostic {
    d.unverified = true;
    d.with_help(
        "fix what the reason names and run again; --allow-unverified lets unverified pairings pass",
    )
}

/// One sentence per distinct reason: a region-wide failure is said once, not per fact.
/// Facts an `--offline` run did not find in the cache are one reason, naming the calls.
fn join_reasons(reasons: impl Iterator<Item = Missing>) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut offline: Vec<(String, String)> = Vec::new();
    for Missing(reason) in reasons {
        if let Some((call, cloud)) = crate::facts::reason::offline_parts(&reason) {
            if !offline.iter().any(|(c, _)| c == call) {
                offline.push((call.to_string(), cloud.to_string()));
            }
            continue;
        }
        if !seen.contains(&reason) {
            seen.push(reason);
        }
    }
    if let Some((_, cloud)) = offline.first() {
        let calls: Vec<&str> = offline.iter().map(|(c, _)| c.as_str()).collect();
        seen.push(format!(
            "the cache has no answer to {}, and --offline forbids asking {cloud}",
            calls.join(", ")
        ));
    }
    seen.join("; ")
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{facts, findings, plan};

    const PLAN: &str = "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: i, instance_type: t}\n";

    #[test]
    fn missing_region_makes_every_pairing_unverified() {
        let got = findings("unverified", PLAN, r#"{"version":5}"#);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].2.contains("nothing about jdcloud region `r`"),
            "{}",
            got[0].2
        );
    }

    #[test]
    fn only_facts_that_enabled_rules_need_count() {
        // The constraint is missing, but no enabled rule needs it.
        let json = r#"{"version":5,"clouds":{"jdcloud":{"r":{"images":{"i":{"state":"found","status":"ready","usable":true}},"instance_types":{"complete":true}}}}}"#;
        let plans = [plan(PLAN)];
        let f = facts(json);
        let only_unverified = crate::checks::run(&plans, &f, &Default::default(), &|id| {
            id == "unverified" || id == "image-not-found"
        });
        assert!(only_unverified.diagnostics.is_empty());
        let with_constraints = crate::checks::run(&plans, &f, &Default::default(), &|id| {
            id == "unverified" || id == "instance-type-excluded"
        });
        assert_eq!(with_constraints.diagnostics.len(), 1);
        assert!(with_constraints.diagnostics[0].unverified);
    }

    #[test]
    fn region_error_is_said_once() {
        let json = r#"{"version":5,"clouds":{"jdcloud":{"r":{"error":"no credentials"}}}}"#;
        let got = findings("unverified", PLAN, json);
        assert!(
            got[0].2.ends_with("could not check `a`: no credentials"),
            "{}",
            got[0].2
        );
    }

    #[test]
    fn zenlayer_pairings_do_not_need_constraints() {
        let plan_text = "defaults: {cloud: zenlayer, region: FRA-A}\ninstances:\n  - {name: a, image: i, instance_type: t}\n";
        let json = r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"images":{"i":{"state":"found","status":"AVAILABLE","usable":true}},"instance_types":{"offered":{"t":{}}},"availability":{"postpaid":{"types":{"t":null}}}}}}}"#;
        let plans = [plan(plan_text)];
        let out = crate::checks::run(&plans, &facts(json), &Default::default(), &|_| true);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(out.notices.len(), 1);
    }

    #[test]
    fn data_disks_that_could_not_be_fetched_leave_only_their_entries_unverified() {
        let plan_text = "defaults: {cloud: aliyun, region: r}\ninstances:\n\
            - {name: with-disks, image: i, instance_type: t, data_disks: [{category: cloud_essd}]}\n\
            - {name: without, image: i, instance_type: t}\n";
        let json = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"i":{"state":"found","status":"Available","usable":true,"constraint":{"includes":["t"]}}},
            "instance_types":{"complete":true,"offered":{"t":{}}},
            "availability":{"postpaid":{"types":{"t":null}}},
            "account":{"network_types":["vpc"]},
            "data_disks":{"postpaid":{"t":{"default":{"error":"throttled"}}}}}}}}"#;
        let plans = [plan(plan_text)];
        let out = crate::checks::run(&plans, &facts(json), &Default::default(), &|_| true);
        // (The account's quotas, absent here, are another reason, said once for the region.)
        let unverified: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.unverified && !d.message.contains("launch quotas"))
            .collect();
        assert_eq!(unverified.len(), 1, "{:?}", out.diagnostics);
        assert!(
            unverified[0].message.contains("with-disks")
                && unverified[0]
                    .message
                    .contains("the data disks `t` is sold with could not be fetched: throttled"),
            "{}",
            unverified[0].message
        );
    }

    #[test]
    fn zenlayer_disk_categories_that_could_not_be_fetched_leave_their_entries_unverified() {
        let plan_text = "defaults: {cloud: zenlayer, region: FRA-A}\ninstances:\n\
            - {name: with-category, image: i, instance_type: t, system_disk_category: Standard NVMe SSD}\n\
            - {name: without, image: i, instance_type: t}\n";
        let json = r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{
            "images":{"i":{"state":"found","status":"AVAILABLE","usable":true}},
            "instance_types":{"complete":true,"offered":{"t":{}}},
            "availability":{"postpaid":{"types":{"t":null}}},
            "disk_categories":{"postpaid":{"error":"DescribeDiskCategory: HTTP 503"}}}}}}"#;
        let plans = [plan(plan_text)];
        let out = crate::checks::run(&plans, &facts(json), &Default::default(), &|_| true);
        let unverified: Vec<_> = out.diagnostics.iter().filter(|d| d.unverified).collect();
        assert_eq!(unverified.len(), 1, "{:?}", out.diagnostics);
        assert!(
            unverified[0].entry == "with-category"
                && unverified[0]
                    .message
                    .contains("the disk categories of zone `FRA-A` could not be fetched"),
            "{}",
            unverified[0].message
        );
    }

    #[test]
    fn a_launch_quota_the_answer_lacks_or_a_size_the_facts_lack_is_said_once_per_region() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n\
            - {name: a, image: i, instance_type: t}\n- {name: b, image: i, instance_type: t}\n";
        let region = |quotas: &str, sizes: &str| {
            format!(
                r#"{{"version":5,"clouds":{{"jdcloud":{{"r":{{
                "images":{{"i":{{"state":"found","status":"ready","usable":true,"constraint":"none"}}}},
                "instance_types":{{"complete":true,"offered":{{"t":{{{sizes}}}}}}},
                "availability":{{"postpaid":{{"types":{{"t":null}}}}}},
                "account":{{"quotas":{{{quotas}}}}}}}}}}}}}"#
            )
        };
        let two = r#""instance":{"used":0,"limit":9},"instance_cpu":{"used":0,"limit":99}"#;
        let memory = r#","instance_memory":{"used":0,"limit":400}"#;
        let sized = r#""vcpus":4,"memory_mb":16384"#;
        // No memory quota in the answer: once, at the first entry.
        let got = findings("unverified", plan, &region(two, sized));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].2.contains("the cloud's answer has no memory quota"),
            "{}",
            got[0].2
        );
        // A type whose memory the facts do not say.
        let got = findings(
            "unverified",
            plan,
            &region(&format!("{two}{memory}"), r#""vcpus":4"#),
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]
                .2
                .contains("the facts do not say how much memory `t` has"),
            "{}",
            got[0].2
        );
        // Everything known: nothing to say.
        assert!(
            findings(
                "unverified",
                plan,
                &region(&format!("{two}{memory}"), sized)
            )
            .is_empty()
        );
    }
}
