//! # system-disk-too-small
//!
//! ## What it does
//! Flags an instance whose `system_disk_gb` is smaller than its image's minimum system disk.
//!
//! ## Why it matters
//! The image does not fit on the disk: the cloud rejects the instance at apply time.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: jdcloud
//!   region: cn-north-1
//! instances:
//!   - name: web
//!     image: img-m5s0****29
//!     instance_type: g.n4.xlarge
//!     system_disk_gb: 20
//! ```
//! ```text
//! plan.yaml:8:21: error [system-disk-too-small] a 20 GB system disk is smaller than the 40 GB that image `img-m5s0****29` needs
//! ```
//!
//! ## How to fix
//! Raise `system_disk_gb` to at least the image's minimum, or leave it out to get the default.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "system-disk-too-small",
    summary: "system_disk_gb is below the image's minimum",
    severity: Severity::Error,
    needs: &[Need::Image],
    source: include_str!("system_disk_too_small.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let disk = p.instance.system_disk_gb.as_ref()?;
    let minimum = p.image()?.min_system_disk_gb?;
    if disk.value >= minimum {
        return None;
    }
    Some(
        p.diagnostic(
            &RULE,
            disk.span,
            format!(
                "a {} GB system disk is smaller than the {minimum} GB that image `{}` needs",
                disk.value, p.instance.image.value
            ),
            format!("below the image's {minimum} GB"),
        )
        .with_help(format!("give it a system disk of {minimum} GB or more"))
        .with_fixes(p.fix(
            disk.span,
            &minimum.to_string(),
            format!("raise the system disk to {minimum} GB"),
            true,
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn compares_against_the_image_minimum() {
        let plan = "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: i, instance_type: t, system_disk_gb: 39}\n  - {name: b, image: i, instance_type: t, system_disk_gb: 40}\n  - {name: c, image: i, instance_type: t}\n";
        let facts = r#"{"version":5,"clouds":{"jdcloud":{"r":{"images":{"i":{"state":"found","status":"ready","usable":true,"min_system_disk_gb":40}}}}}}"#;
        let got = findings("system-disk-too-small", plan, facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 3);
    }
}
