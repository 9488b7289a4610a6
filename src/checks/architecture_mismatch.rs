//! # architecture-mismatch
//!
//! ## What it does
//! Flags an instance whose image is built for another CPU architecture than its instance type
//! (an arm64 image on an x86_64 type, or the reverse).
//!
//! ## Why it matters
//! The instance cannot boot the image; most clouds refuse it at apply time.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: jdcloud
//!   region: cn-north-1
//! instances:
//!   - name: web
//!     image: img-arm64-ubuntu
//!     instance_type: g.n4.xlarge
//! ```
//! ```text
//! plan.yaml:7:20: error [architecture-mismatch] image `img-arm64-ubuntu` is built for arm64, but instance type `g.n4.xlarge` is x86_64
//! ```
//!
//! ## How to fix
//! Pick an instance type of the image's architecture, or the image's build for the type's.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "architecture-mismatch",
    summary: "the image's architecture differs from the instance type's",
    severity: Severity::Error,
    needs: &[Need::Image, Need::InstanceType],
    source: include_str!("architecture_mismatch.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let image_arch = p.image()?.architecture?;
    let type_arch = p
        .facts
        .instance_type(p.api(), p.region(), &instance.instance_type.value)
        .ok()??
        .architecture?;
    if image_arch.runs_on(type_arch) {
        return None;
    }
    Some(
        p.diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "image `{}` is built for {image_arch}, but instance type `{}` is {type_arch}",
                instance.image.value, instance.instance_type.value
            ),
            format!("{type_arch} instance type"),
        )
        .with_related(instance.image.span, format!("{image_arch} image"))
        .with_help(format!(
            "pick a {image_arch} instance type, or a {type_arch} build of the image"
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_mismatched_architectures_only() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n  - {name: a, image: arm, instance_type: x86}\n  - {name: b, image: arm, instance_type: arm}\n  - {name: c, image: old, instance_type: x86}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"arm":{"state":"found","status":"Available","usable":true,"architecture":"arm64"},
                      "old":{"state":"found","status":"Available","usable":true,"architecture":"i386"}},
            "instance_types":{"offered":{"x86":{"architecture":"X86"},"arm":{"architecture":"ARM"}}}}}}}"#;
        let got = findings("architecture-mismatch", plan, facts);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, 3);
    }
}
