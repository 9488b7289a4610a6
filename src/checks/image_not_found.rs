//! # image-not-found
//!
//! ## What it does
//! Flags an instance whose image does not exist in its region, as the cloud reports it
//! (JD Cloud `describeImages`, Alibaba `DescribeImages` with `Status=ALL`, Zenlayer
//! `DescribeImages` in the zone).
//!
//! ## Why it matters
//! Image ids are per region: an id copied from another region, a deleted image or a typo
//! fails at apply time.
//!
//! ## Example
//! ```yaml
//! instances:
//!   - name: edge
//!     cloud: zenlayer
//!     region: FRA-A
//!     image: img-deleted-last-week
//!     instance_type: z2a.cpu.1
//! ```
//! ```text
//! plan.yaml:5:12: error [image-not-found] image `img-deleted-last-week` does not exist in zenlayer zone `FRA-A`
//! ```
//!
//! ## How to fix
//! Check the id, use the image's id in this region (copy the image here first if needed), or
//! pick another image.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::ImageState;

pub const RULE: Rule = Rule {
    id: "image-not-found",
    summary: "the image does not exist in the region",
    severity: Severity::Error,
    needs: &[Need::Image],
    source: include_str!("image_not_found.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let Ok(ImageState::NotFound) = p.facts.image(p.api(), p.region(), &instance.image.value) else {
        return None;
    };
    Some(
        p.diagnostic(
            &RULE,
            instance.image.span,
            format!(
                "image `{}` does not exist in {} {} `{}`",
                instance.image.value,
                p.api(),
                p.api().region_word(),
                p.region()
            ),
            "no such image here",
        )
        .with_help(format!(
            "check the id; image ids differ per {}, so copy the image to `{}` first if it lives elsewhere",
            p.api().region_word(),
            p.region()
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_missing_images_only() {
        let plan = "defaults: {cloud: zenlayer, region: FRA-A}\ninstances:\n  - {name: a, image: gone, instance_type: t}\n  - {name: b, image: here, instance_type: t}\n";
        let facts = r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"images":{"gone":{"state":"not_found"},"here":{"state":"found","status":"AVAILABLE","usable":true}}}}}}"#;
        let got = findings("image-not-found", plan, facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 3);
        assert!(got[0].2.contains("zenlayer zone `FRA-A`"));
    }
}
