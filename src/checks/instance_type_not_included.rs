//! # instance-type-not-included
//!
//! ## What it does
//! Flags an instance whose image allows only a list of instance types that does not contain
//! its type: an includes constraint (Alibaba `DescribeImageSupportInstanceTypes`, or a JD Cloud
//! image with an includes list).
//!
//! ## Why it matters
//! The cloud refuses to create the instance at apply time.
//!
//! ## Example
//! ```yaml
//! instances:
//!   - name: batch
//!     cloud: aliyun
//!     region: cn-hangzhou
//!     image: ubuntu_16_0402_64_20G_alibase_20180409.vhd
//!     instance_type: ecs.g7.large
//! ```
//! ```text
//! plan.yaml:6:20: error [instance-type-not-included] image `ubuntu_16_0402_64_20G_alibase_20180409.vhd` supports 2 instance types, and `ecs.g7.large` is not one of them
//! ```
//!
//! ## How to fix
//! Pick one of the types the image supports, or an image that supports the type you need.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::Constraint;

pub const RULE: Rule = Rule {
    id: "instance-type-not-included",
    summary: "the image allows only listed instance types, and this is not one",
    severity: Severity::Error,
    needs: &[Need::Image, Need::Constraint],
    source: include_str!("instance_type_not_included.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let Constraint::Includes(included) = p.constraint()? else {
        return None;
    };
    let instance = p.instance;
    let wanted = &instance.instance_type.value;
    if included.contains(wanted) {
        return None;
    }
    let count = included.len();
    let d = p
        .diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "image `{}` supports {count} instance {}, and `{wanted}` is not one of them",
                instance.image.value,
                if count == 1 { "type" } else { "types" }
            ),
            "not supported by the image",
        )
        .with_related(
            instance.image.span,
            "this image lists the types it supports",
        );
    let d = d.with_help(super::instance_type_excluded::fix_help(p));
    Some(super::instance_type_excluded::with_alternatives(p, d))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_types_missing_from_an_includes_list() {
        let plan = "instances:\n  - name: a\n    cloud: aliyun\n    region: r\n    image: m-1\n    instance_type: ecs.t1.large\n  - name: b\n    cloud: aliyun\n    region: r\n    image: m-1\n    instance_type: ecs.t1.small\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{"images":{"m-1":{"state":"found","status":"Available","usable":true,"constraint":{"includes":["ecs.t1.small","ecs.t1.xsmall"]}}}}}}}"#;
        let got = findings("instance-type-not-included", plan, facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 6);
        assert!(got[0].2.contains("supports 2 instance types"));
    }
}
