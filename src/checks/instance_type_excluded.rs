//! # instance-type-excluded
//!
//! ## What it does
//! Flags an instance whose image excludes its instance type: the cloud's constraint for the
//! image is an excludes list, and the type is on it (JD Cloud `describeImageConstraintsBatch`).
//!
//! ## Why it matters
//! The cloud refuses to create the instance, and only at apply time: the deploy fails
//! half-way, after other resources were already created.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: jdcloud
//!   region: cn-north-1
//! instances:
//!   - name: gpu-worker
//!     image: img-m5s0****29
//!     instance_type: p.c1p40g.3large
//! ```
//! ```text
//! plan.yaml:7:20: error [instance-type-excluded] image `img-m5s0****29` does not support instance type `p.c1p40g.3large`
//! ```
//!
//! ## How to fix
//! Pick an instance type the image allows (the help lists offered types of the same family
//! that it allows), or an image that supports the type.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::Constraint;
use crate::suggest::quoted_list;

pub const RULE: Rule = Rule {
    id: "instance-type-excluded",
    summary: "the image's constraint excludes the instance type",
    severity: Severity::Error,
    needs: &[Need::Image, Need::Constraint],
    source: include_str!("instance_type_excluded.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let Constraint::Excludes(excluded) = p.constraint()? else {
        return None;
    };
    let instance = p.instance;
    let wanted = &instance.instance_type.value;
    if !excluded.contains(wanted) {
        return None;
    }
    let d = p
        .diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "image `{}` does not support instance type `{wanted}`",
                instance.image.value
            ),
            "excluded by the image",
        )
        .with_related(instance.image.span, "this image excludes it");
    Some(with_alternatives(p, d.with_help(fix_help(p))))
}

/// Shared with `instance-type-not-included`: a fix for each type of the same family the image
/// allows. Never safe: another type is another machine, which a person picks.
pub(super) fn with_alternatives(p: &Pairing, mut d: Diagnostic) -> Diagnostic {
    let span = p.instance.instance_type.span;
    d.fixes = p
        .allowed_in_family()
        .iter()
        .filter_map(|t| p.fix(span, t, format!("change the instance type to `{t}`"), false))
        .collect();
    d
}

/// Shared with `instance-type-not-included`: what to pick instead. Same-family types first;
/// for a short includes list, the list itself.
pub(super) fn fix_help(p: &Pairing) -> String {
    let alternatives = p.allowed_in_family();
    if !alternatives.is_empty() {
        let names: Vec<&str> = alternatives.iter().map(String::as_str).collect();
        return format!(
            "the image allows {} of the same family in {}",
            quoted_list(&names),
            p.region()
        );
    }
    if let Some(Constraint::Includes(allowed)) = p.constraint()
        && (1..=5).contains(&allowed.len())
    {
        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
        return format!("the image supports only {}", quoted_list(&names));
    }
    format!(
        "choose an instance type this image allows, or an image that supports `{}`",
        p.instance.instance_type.value
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    const PLAN: &str = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - name: a\n    image: img-1\n    instance_type: g.n4.large\n  - name: b\n    image: img-1\n    instance_type: g.n4.xlarge\n";

    #[test]
    fn flags_only_excluded_types() {
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"cn-north-1":{"images":{"img-1":{"state":"found","status":"ready","usable":true,"constraint":{"excludes":["g.n4.large"]}}}}}}}"#;
        let got = findings("instance-type-excluded", PLAN, facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 5);
        assert!(got[0].2.contains("`g.n4.large`"));
    }

    #[test]
    fn includes_lists_are_not_this_rule() {
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"cn-north-1":{"images":{"img-1":{"state":"found","status":"ready","usable":true,"constraint":{"includes":["g.n4.xlarge"]}}}}}}}"#;
        assert!(findings("instance-type-excluded", PLAN, facts).is_empty());
    }
}
