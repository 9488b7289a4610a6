//! # image-unavailable
//!
//! ## What it does
//! Flags an instance whose image exists but cannot be used for new instances: it is not ready
//! yet (creating, pending), taken offline, deprecated, or failed.
//!
//! ## Why it matters
//! The cloud refuses to create instances from such an image; a deprecated public image also
//! means the deploy is pinned to something the cloud is retiring.
//!
//! ## Example
//! ```yaml
//! instances:
//!   - name: api
//!     cloud: aliyun
//!     region: cn-hangzhou
//!     image: centos_7_04_64_20G_alibase_201701015.vhd
//!     instance_type: ecs.g7.large
//! ```
//! ```text
//! plan.yaml:5:12: error [image-unavailable] image `centos_7_04_64_20G_alibase_201701015.vhd` exists but cannot be used: its status is `Deprecated`
//! ```
//!
//! ## How to fix
//! Wait for an image that is still being created, or move to a current image.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "image-unavailable",
    summary: "the image exists but is not ready, is offline or deprecated",
    severity: Severity::Error,
    needs: &[Need::Image],
    source: include_str!("image_unavailable.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let image = p.image()?;
    if image.usable {
        return None;
    }
    let instance = p.instance;
    Some(
        p.diagnostic(
            &RULE,
            instance.image.span,
            format!(
                "image `{}` exists but cannot be used: its status is `{}`",
                instance.image.value, image.status
            ),
            "not usable for new instances",
        )
        .with_help(
            "use a current image; if this one is still being created, deploy once it is ready",
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_unusable_images_with_their_status() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: old, instance_type: t}\n  - {name: b, image: ok, instance_type: t}\n";
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"r":{"images":{"old":{"state":"found","status":"offline","usable":false},"ok":{"state":"found","status":"ready","usable":true}}}}}}"#;
        let got = findings("image-unavailable", plan, facts);
        assert_eq!(got.len(), 1);
        assert!(got[0].2.contains("`offline`"));
    }
}
