//! # instance-type-unknown
//!
//! ## What it does
//! Flags an instance whose instance type the region does not offer, and suggests the closest
//! offered names (JD Cloud `describeInstanceTypes`, Alibaba `DescribeInstanceTypes`, Zenlayer
//! `DescribeZoneInstanceConfigInfos`).
//!
//! ## Why it matters
//! A typo or a type from another region fails at apply time.
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
//! Fix the name (the help suggests close ones), or pick a type this region offers.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::Fetched;
use crate::suggest::{closest, quoted_list};

pub const RULE: Rule = Rule {
    id: "instance-type-unknown",
    summary: "the instance type is not offered in the region",
    severity: Severity::Error,
    needs: &[Need::InstanceType],
    source: include_str!("instance_type_unknown.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let wanted = &instance.instance_type.value;
    let Ok(None) = p.facts.instance_type(p.cloud(), p.region(), wanted) else {
        return None;
    };
    let offered: Vec<&str> = match p.facts.region(p.cloud(), p.region()) {
        Ok(region) => match &region.instance_types {
            Some(Fetched::Known(t)) => t.offered.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    let near = closest(wanted, offered, 3);
    let help = if near.is_empty() {
        format!(
            "pick an instance type that {} offers in `{}`",
            p.cloud().display_name(),
            p.region()
        )
    } else {
        format!("did you mean {}?", quoted_list(&near))
    };
    Some(
        p.diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "instance type `{wanted}` is not offered in {} {} `{}`",
                p.cloud(),
                p.cloud().region_word(),
                p.region()
            ),
            "not offered here",
        )
        .with_help(help),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    const FACTS: &str = r#"{"version":1,"clouds":{"jdcloud":{"r":{"instance_types":{"complete":true,"offered":{"g.n4.xlarge":{},"g.n4.large":{}}}}}}}"#;

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
}
