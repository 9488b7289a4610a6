//! # vswitch-zone-mismatch
//!
//! ## What it does
//! Flags an Alibaba instance that names both a zone and a vSwitch in another zone, as VPC's
//! `DescribeVSwitches` reports the vSwitch's `ZoneId`.
//!
//! ## Why it matters
//! The instances land in the vSwitch's zone: `RunInstances` requires `ZoneId` to be the
//! vSwitch's zone, and the Terraform provider documents `availability_zone` as "ignored and
//! computed when `vswitch_id` is set" (older providers failed with `InvalidVSwitchId.NotFound`
//! instead). A plan that says one zone and launches in another misleads whoever reads it, and
//! preflight judges stock in the vSwitch's zone, not the one written.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: web
//!     image: ubuntu_22_04_x64_20G_alibase_20240130.vhd
//!     instance_type: ecs.g7.large
//!     zone: cn-hangzhou-h
//!     vswitch: vsw-bp1in0zonei0000000
//! ```
//! ```text
//! plan.yaml:8:11: warning [vswitch-zone-mismatch] the planned zone `cn-hangzhou-h` is not the zone of vSwitch `vsw-bp1in0zonei0000000` (`cn-hangzhou-i`), where the instances land
//! ```
//!
//! ## How to fix
//! Write the vSwitch's zone (the safe fix does), or leave the zone out and let the vSwitch
//! decide; to launch in the zone written, use a vSwitch of that zone.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "vswitch-zone-mismatch",
    summary: "the planned zone is not the zone of the vSwitch the instances launch in",
    severity: Severity::Warning,
    needs: &[Need::VSwitch],
    source: include_str!("vswitch_zone_mismatch.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let written = p.instance.zone.as_ref()?;
    let vswitch = p.instance.vswitch.as_ref()?;
    let info = p
        .facts
        .vswitch(p.api(), p.region(), &vswitch.value)
        .ok()
        .flatten()?;
    if info.zone == written.value {
        return None;
    }
    let d = p
        .diagnostic(
            &RULE,
            written.span,
            format!(
                "the planned zone `{}` is not the zone of vSwitch `{}` (`{}`), where the instances land",
                written.value, vswitch.value, info.zone
            ),
            "not where they land",
        )
        .with_help(format!(
            "write `{}`, the vSwitch's zone, or leave the zone out; to launch in `{}`, use a vSwitch of that zone",
            info.zone, written.value
        ))
        .with_related(vswitch.span, format!("this vSwitch is in `{}`", info.zone));
    // The zone written changes nothing where the instances land: writing the vSwitch's is safe.
    let fix = p.fix(
        written.span,
        &info.zone,
        format!("write the vSwitch's zone `{}`", info.zone),
        true,
    );
    Some(d.with_fixes(fix))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_a_zone_that_is_not_the_vswitchs() {
        let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
                    - {name: a, image: i, instance_type: t, zone: cn-hangzhou-h, vswitch: vsw-i}\n\
                    - {name: b, image: i, instance_type: t, zone: cn-hangzhou-i, vswitch: vsw-i}\n\
                    - {name: c, image: i, instance_type: t, vswitch: vsw-i}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"cn-hangzhou":{"vswitches":{
            "vsw-i":{"state":"found","zone":"cn-hangzhou-i"}}}}}}"#;
        let got = findings("vswitch-zone-mismatch", plan, facts);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, 3);
        assert!(
            got[0]
                .2
                .contains("`cn-hangzhou-h` is not the zone of vSwitch `vsw-i` (`cn-hangzhou-i`)"),
            "{}",
            got[0].2
        );
    }
}
