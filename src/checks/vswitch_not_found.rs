//! # vswitch-not-found
//!
//! ## What it does
//! Flags an Alibaba instance whose vSwitch does not exist in its region, as VPC's
//! `DescribeVSwitches` filtered by the id reports it (an empty listing, or a not-found code).
//!
//! ## Why it matters
//! vSwitch ids are per region and per account: an id copied from another environment, a
//! vSwitch deleted with its VPC, or a typo fails at apply time (`InvalidVSwitchId.NotFound`),
//! after everything before it was created. Its zone is where the instances would land, so
//! nothing about stock can be judged either.
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
//!     vswitch: vsw-bp1deleted000000000
//! ```
//! ```text
//! plan.yaml:8:14: error [vswitch-not-found] vSwitch `vsw-bp1deleted000000000` does not exist in aliyun region `cn-hangzhou`
//! ```
//!
//! ## How to fix
//! Check the id, and use a vSwitch of this region and account (`aliyun vpc DescribeVSwitches
//! --RegionId cn-hangzhou` lists them); in Terraform, refer to the `alicloud_vswitch` resource
//! or data source instead of writing the id.

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "vswitch-not-found",
    summary: "the vSwitch does not exist in the region",
    severity: Severity::Error,
    needs: &[Need::VSwitch],
    source: include_str!("vswitch_not_found.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let vswitch = p.instance.vswitch.as_ref()?;
    let Ok(None) = p.facts.vswitch(p.api(), p.region(), &vswitch.value) else {
        return None;
    };
    Some(
        p.diagnostic(
            &RULE,
            vswitch.span,
            format!(
                "vSwitch `{}` does not exist in {} {} `{}`",
                vswitch.value,
                p.api(),
                p.api().region_word(),
                p.region()
            ),
            "no such vSwitch here",
        )
        .with_help(format!(
            "check the id: vSwitches belong to one region and account, so use one of `{}` (`aliyun vpc DescribeVSwitches --RegionId {}` lists them)",
            p.region(),
            p.region()
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_vswitches_the_cloud_does_not_list() {
        let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
                    - {name: a, image: i, instance_type: t, vswitch: vsw-gone}\n\
                    - {name: b, image: i, instance_type: t, vswitch: vsw-here}\n\
                    - {name: c, image: i, instance_type: t, vswitch: vsw-flaky}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"cn-hangzhou":{"vswitches":{
            "vsw-gone":{"state":"not_found"},
            "vsw-here":{"state":"found","zone":"cn-hangzhou-i"},
            "vsw-flaky":{"state":"error","reason":"HTTP 503"}}}}}}"#;
        let got = findings("vswitch-not-found", plan, facts);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, 3);
        assert!(
            got[0].2.contains("vSwitch `vsw-gone` does not exist"),
            "{}",
            got[0].2
        );
    }
}
