//! # instance-type-unknown
//!
//! ## What it does
//! Flags an instance whose instance type the region does not offer, or does not offer for the
//! entry's `charge_type`, and suggests the closest names it does offer. It asks JD Cloud's
//! `describeInstanceTypes` (both its general and account-granted lists), Alibaba's
//! `DescribeAvailableResource` (what the region sells, per charge type) beside the global
//! `DescribeInstanceTypes` catalogue, and Zenlayer's `DescribeZoneInstanceConfigInfos` (per
//! charge type; for ZEC with its GPU and accelerator lists).
//!
//! ## Why it matters
//! A typo, a type from another region, or a type sold only by subscription when the plan buys
//! pay-as-you-go fails at apply time.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: jdcloud
//!   region: cn-north-1
//! instances:
//!   - name: web
//!     image: img-m5s0****29
//!     instance_type: g.n4.xlarg
//! ```
//! ```text
//! plan.yaml:7:20: error [instance-type-unknown] instance type `g.n4.xlarg` is not offered in jdcloud region `cn-north-1`
//! ```
//!
//! ## How to fix
//! Fix the name (the help suggests close ones), pick a type this region offers, or buy it the
//! way the region sells it (`charge_type`; the help says which ways do).

use super::{Check, Need, Pairing, Rule};
use crate::cloud::ChargeType;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::facts::Fetched;
use crate::suggest::{closest, quoted_list};

pub const RULE: Rule = Rule {
    id: "instance-type-unknown",
    summary: "the instance type is not offered in the region (for its charge type)",
    severity: Severity::Error,
    needs: &[Need::InstanceType, Need::Availability],
    source: include_str!("instance_type_unknown.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let wanted = &p.instance.instance_type.value;
    let charge = p.charge();
    let in_catalogue = p.facts.instance_type(p.api(), p.region(), wanted);
    let sold = p.facts.availability(p.api(), p.region(), charge);
    let sold_here = sold.as_ref().ok().map(|a| a.types.contains_key(wanted));
    let elsewhere = sold_for_other_charges(p, wanted);
    let exists = matches!(in_catalogue, Ok(Some(_))) || !elsewhere.is_empty();
    match (sold_here, &in_catalogue) {
        // What the region sells for this charge type lacks it, though it exists.
        (Some(false), _) if exists => Some(not_for_charge(p, charge, &elsewhere)),
        // It does not exist here at all.
        (Some(false), _) | (None, Ok(None)) => Some(not_offered(p)),
        _ => None,
    }
}

/// The charge types asked about (other than the entry's) for which the region sells `name`.
fn sold_for_other_charges(p: &Pairing, name: &str) -> Vec<ChargeType> {
    let Ok(region) = p.facts.region(p.api(), p.region()) else {
        return Vec::new();
    };
    region
        .availability
        .iter()
        .filter(|(charge, _)| **charge != p.charge())
        .filter_map(|(charge, a)| match a {
            Fetched::Known(a) if a.types.contains_key(name) => Some(*charge),
            _ => None,
        })
        .collect()
}

/// A fix for each suggestion, those the image allows first. Safe only for a typo: the one
/// suggestion an edit away, which the image allows.
fn typo_fixes(p: &Pairing, near: &[String]) -> Vec<Fix> {
    let wanted = &p.instance.instance_type.value;
    let one_edit: Vec<&String> = near
        .iter()
        .filter(|s| strsim::levenshtein(wanted, s) <= 1)
        .collect();
    image_first(p, near)
        .into_iter()
        .filter_map(|s| {
            let allowed = p.image_allows(s);
            let title = match allowed {
                Some(false) => {
                    format!("change the instance type to `{s}` (the image does not allow it)")
                }
                _ => format!("change the instance type to `{s}`"),
            };
            let safe = one_edit == [s] && allowed == Some(true);
            p.fix(p.instance.instance_type.span, s, title, safe)
        })
        .collect()
}

/// The suggestions those the image allows first: the order of the help and of the fixes.
fn image_first<'s>(p: &Pairing, near: &'s [String]) -> Vec<&'s String> {
    let mut ordered: Vec<&String> = near.iter().collect();
    ordered.sort_by_key(|s| p.image_allows(s) != Some(true));
    ordered
}

fn not_offered(p: &Pairing) -> Diagnostic {
    let near = suggestions(p);
    let fixes = typo_fixes(p, &near);
    let help = match image_first(p, &near).as_slice() {
        [] => format!(
            "pick an instance type that {} offers in `{}`",
            p.api().display_name(),
            p.region()
        ),
        near => format!(
            "did you mean {}?",
            quoted_list(&near.iter().map(|s| s.as_str()).collect::<Vec<_>>())
        ),
    };
    p.diagnostic(
        &RULE,
        p.instance.instance_type.span,
        format!(
            "instance type `{}` is not offered in {} {} `{}`",
            p.instance.instance_type.value,
            p.api(),
            p.api().region_word(),
            p.region()
        ),
        "not offered here",
    )
    .with_help(help)
    .with_fixes(fixes)
}

fn not_for_charge(p: &Pairing, charge: ChargeType, elsewhere: &[ChargeType]) -> Diagnostic {
    let ways: Vec<&str> = elsewhere.iter().map(|c| c.as_str()).collect();
    let help = if ways.is_empty() {
        let near = suggestions(p);
        format!(
            "{} does not sell it in `{}` for {charge} instances{}",
            p.api().display_name(),
            p.region(),
            if near.is_empty() {
                String::new()
            } else {
                let near: Vec<&str> = near.iter().map(String::as_str).collect();
                format!("; types it does sell so: {}", quoted_list(&near))
            }
        )
    } else {
        format!(
            "it is sold here for {} instances: set `charge_type` to {}",
            ways.join(" and "),
            quoted_list(&ways)
        )
    };
    p.diagnostic(
        &RULE,
        p.instance.instance_type.span,
        format!(
            "instance type `{}` is not offered in {} {} `{}` for {charge} instances",
            p.instance.instance_type.value,
            p.api(),
            p.api().region_word(),
            p.region()
        ),
        format!("not sold here for {charge}"),
    )
    .with_help(help)
}

/// Up to three offered types closest to the entry's: from what the region sells for its
/// charge type, else from the catalogue.
fn suggestions(p: &Pairing) -> Vec<String> {
    let wanted = &p.instance.instance_type.value;
    let Ok(region) = p.facts.region(p.api(), p.region()) else {
        return Vec::new();
    };
    let mut pool: Vec<&str> = match region.availability.get(&p.charge()) {
        Some(Fetched::Known(a)) => a.types.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    if pool.is_empty()
        && let Some(Fetched::Known(t)) = &region.instance_types
    {
        pool = t.offered.keys().map(String::as_str).collect();
    }
    closest(wanted, pool, 3)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    const FACTS: &str = r#"{"version":5,"clouds":{"jdcloud":{"r":{
        "instance_types":{"complete":true,"offered":{"g.n4.xlarge":{},"g.n4.large":{}}},
        "availability":{"postpaid":{"types":{"g.n4.xlarge":null,"g.n4.large":null}}}}}}}"#;

    #[test]
    fn flags_types_the_region_does_not_offer() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: i, instance_type: g.n4.xlarg}\n  - {name: b, image: i, instance_type: g.n4.large}\n";
        let got = findings("instance-type-unknown", plan, FACTS);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 3);
    }

    #[test]
    fn suggests_the_closest_offered_type() {
        let plans = [crate::checks::test_support::plan(
            "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: i, instance_type: g.n4.xlarg}\n",
        )];
        let facts = crate::checks::test_support::facts(FACTS);
        let out = crate::checks::run(&plans, &facts, &Default::default(), &|id| {
            id == "instance-type-unknown"
        });
        let help = out.diagnostics[0].help.clone().unwrap_or_default();
        assert!(help.starts_with("did you mean `g.n4.xlarge`"), "{help}");
    }

    /// A type the catalogue has that the region sells only by subscription.
    const BY_CHARGE: &str = r#"{"version":5,"clouds":{"aliyun":{"cn-hangzhou":{
        "instance_types":{"offered":{"ecs.g7.large":{},"ecs.sub.large":{},"ecs.far.large":{}}},
        "availability":{
          "postpaid":{"types":{"ecs.g7.large":{"cn-hangzhou-h":true}}},
          "prepaid":{"types":{"ecs.g7.large":{"cn-hangzhou-h":true},"ecs.sub.large":{"cn-hangzhou-h":true}}}}}}}}"#;

    #[test]
    fn a_type_sold_only_another_way_is_flagged_with_the_ways_it_is_sold() {
        let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n  - {name: pre, image: i, instance_type: ecs.sub.large, charge_type: prepaid}\n  - {name: post, image: i, instance_type: ecs.sub.large}\n  - {name: far, image: i, instance_type: ecs.far.large}\n";
        let plans = [crate::checks::test_support::plan(plan)];
        let facts = crate::checks::test_support::facts(BY_CHARGE);
        let out = crate::checks::run(&plans, &facts, &Default::default(), &|id| {
            id == "instance-type-unknown"
        });
        let got: Vec<(&str, &str, &str)> = out
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.entry.as_str(),
                    d.message.as_str(),
                    d.help.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "post");
        assert!(got[0].1.ends_with("for postpaid instances"), "{}", got[0].1);
        assert!(got[0].2.contains("sold here for prepaid"), "{}", got[0].2);
        // In the global catalogue, sold in the region no way asked: not sold here.
        assert_eq!(got[1].0, "far");
        assert!(
            got[1]
                .1
                .contains("is not offered in aliyun region `cn-hangzhou` for postpaid"),
            "{}",
            got[1].1
        );
    }
}
