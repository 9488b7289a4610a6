//! # boot-mode-mismatch
//!
//! ## What it does
//! Flags an Alibaba instance whose image boots one way (`DescribeImages` `BootMode`: `BIOS` or
//! `UEFI`) while its type supports only others (`DescribeInstanceTypes` `SupportedBootModes`).
//! An image in dual mode (`UEFI-Preferred`) boots on a type that supports either.
//!
//! ## Why it matters
//! A UEFI-only image (every Arm image, and images built or imported for UEFI) cannot start on a
//! type without UEFI, and a BIOS image cannot start on a UEFI-only type: the launch fails at
//! apply time.
//!
//! ## Example
//! ```yaml
//! defaults:
//!   cloud: aliyun
//!   region: cn-hangzhou
//! instances:
//!   - name: web
//!     image: m-bp1uefionly0000000
//!     instance_type: ecs.g6.large
//! ```
//! ```text
//! plan.yaml:7:20: error [boot-mode-mismatch] image `m-bp1uefionly0000000` boots in UEFI mode, and instance type `ecs.g6.large` supports only BIOS
//! ```
//!
//! ## How to fix
//! Pick a type that supports the image's boot mode, or an image (or build) for the type's
//! (`ModifyImageAttribute` `BootMode=UEFI-Preferred` makes a dual-mode image, where the
//! operating system supports both).

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "boot-mode-mismatch",
    summary: "the image's boot mode is one the instance type does not support",
    severity: Severity::Error,
    needs: &[Need::Image, Need::InstanceType],
    source: include_str!("boot_mode_mismatch.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let boots = p.image()?.boot_mode.as_deref()?;
    let wanted = &instance.instance_type.value;
    let modes = p
        .facts
        .instance_type(p.api(), p.region(), wanted)
        .ok()??
        .boot_modes
        .as_ref()?;
    let supports = |mode: &str| modes.iter().any(|m| m.eq_ignore_ascii_case(mode));
    let fits = match boots {
        b if b.eq_ignore_ascii_case("UEFI-Preferred") => supports("UEFI") || supports("BIOS"),
        b => supports(b),
    };
    if fits {
        return None;
    }
    Some(
        p.diagnostic(
            &RULE,
            instance.instance_type.span,
            format!(
                "image `{}` boots in {boots} mode, and instance type `{wanted}` supports only {}",
                instance.image.value,
                modes.join(" and ")
            ),
            format!("supports {}", modes.join(", ")),
        )
        .with_related(instance.image.span, format!("boots in {boots} mode"))
        .with_help(format!(
            "pick a type that supports {boots}, or an image that boots in {}",
            modes.join(" or ")
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    #[test]
    fn flags_boot_modes_the_type_lacks() {
        let plan = "defaults: {cloud: aliyun, region: r}\ninstances:\n\
            - {name: a, image: uefi, instance_type: bios-only}\n\
            - {name: b, image: dual, instance_type: bios-only}\n\
            - {name: c, image: uefi, instance_type: both}\n\
            - {name: d, image: bios, instance_type: uefi-only}\n\
            - {name: e, image: uefi, instance_type: silent}\n";
        let facts = r#"{"version":5,"clouds":{"aliyun":{"r":{
            "images":{"uefi":{"state":"found","status":"Available","usable":true,"boot_mode":"UEFI"},
                      "dual":{"state":"found","status":"Available","usable":true,"boot_mode":"UEFI-Preferred"},
                      "bios":{"state":"found","status":"Available","usable":true,"boot_mode":"BIOS"}},
            "instance_types":{"offered":{"bios-only":{"boot_modes":["BIOS"]},"both":{"boot_modes":["BIOS","UEFI"]},
                                         "uefi-only":{"boot_modes":["UEFI"]},"silent":{}}}}}}}"#;
        let got = findings("boot-mode-mismatch", plan, facts);
        let lines: Vec<usize> = got.iter().map(|g| g.1).collect();
        assert_eq!(lines, [3, 6], "{got:?}");
    }
}
