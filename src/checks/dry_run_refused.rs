//! # dry-run-refused
//!
//! ## What it does
//! With `--dry-run` (or `dry_run: true` in the config file), sends Alibaba's `RunInstances`
//! with `DryRun=true` once for each distinct launch that is fully known (image, type,
//! vSwitch, security groups, charge type, system disk, amount: a Terraform `alicloud_instance`
//! or `alicloud_ecs_instance_set` with literal or resolvable values), and flags each launch
//! the cloud refuses, with its code and message, at the attribute the code concerns. No
//! instance is created; a pass holds for this run only and is never cached. Launches that
//! could not be dry-run are named in a note with the reason (a missing `ecs:RunInstances`
//! permission is a note, never a pass).
//!
//! ## Why it matters
//! The dry run "checks whether required parameters are specified, the request format,
//! service limits, and ECS inventory": it is the cloud's own verdict, catching what no
//! describe call shows (a security group of another VPC, an account restriction).
//!
//! ## Example
//! ```hcl
//! provider "alicloud" {
//!   region = "cn-hangzhou"
//! }
//!
//! resource "alicloud_instance" "web" {
//!   image_id        = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
//!   instance_type   = "ecs.g7.large"
//!   vswitch_id      = "vsw-bp1web0000000000"
//!   security_groups = ["web"]
//! }
//! ```
//! ```text
//! main.tf:9:22: error [dry-run-refused] alicloud_instance.web: Alibaba's dry run refuses this launch: InvalidSecurityGroupId.NotFound: The specified SecurityGroupId does not exist.
//! ```
//!
//! ## How to fix
//! What the code names: a security group id (`sg-…`, not its name) of the vSwitch's VPC for
//! `InvalidSecurityGroupId.*`, a disk category for `InvalidSystemDiskCategory.*`, a quota
//! increase for `QuotaExceed.*`. A refusal of the type's sale or stock where preflight already
//! reports `instance-type-unknown` or `instance-type-sold-out`, of a disk category where it
//! reports `system-disk-unsupported` or `data-disk-unsupported`, of the image where it reports
//! `image-not-found` or of the vSwitch where it reports `vswitch-not-found`, is not said twice.

use super::{Check, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::facts::DryRun;

pub const RULE: Rule = Rule {
    id: "dry-run-refused",
    summary: "Alibaba's own dry run of the launch refuses it (with --dry-run)",
    severity: Severity::Error,
    needs: &[],
    source: include_str!("dry_run_refused.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let instance = p.instance;
    let spec = instance.launch_spec()?;
    let Some(DryRun::Refused { code, message }) = p.facts.dry_run(p.api(), p.region(), &spec.key())
    else {
        return None;
    };
    let (span, label) = concerns(p, code);
    Some(
        p.diagnostic(
            &RULE,
            span,
            format!("Alibaba's dry run refuses this launch: {code}: {message}"),
            label,
        )
        .with_help("fix what the code names and run again; the dry run sends the launch exactly as Terraform would, without creating it")
        .with_cause(code.clone()),
    )
}

/// Where a refusal code points: the attribute it concerns, else the resource.
fn concerns(p: &Pairing, code: &str) -> (miette::SourceSpan, &'static str) {
    let instance = p.instance;
    let starts = |prefixes: &[&str]| prefixes.iter().any(|x| code.starts_with(x));
    if starts(&["InvalidVSwitchId", "InvalidVSwitch", "InvalidVpc"])
        && let Some(v) = &instance.vswitch
    {
        return (v.span, "the vSwitch");
    }
    if starts(&["InvalidSecurityGroup", "InvalidSecurityGroupId"])
        && let Some(g) = &instance.security_groups
    {
        return (g.span, "the security groups");
    }
    if starts(&[
        "InvalidSystemDiskCategory",
        "InvalidDiskCategory",
        "InvalidSystemDisk",
    ]) && let Some(c) = &instance.system_disk_category
    {
        return (c.value.span, "the system disk");
    }
    if starts(&["InvalidDataDisk"])
        && let Some(c) = instance.data_disks.iter().find_map(|d| d.category.as_ref())
    {
        return (c.value.span, "the data disks");
    }
    if starts(&[
        "InvalidImageId",
        "ImageNotSupportInstanceType",
        "ImageNotSubscribed",
    ]) {
        return (instance.image.span, "the image");
    }
    if starts(&[
        "OperationDenied.NoStock",
        "Zone.NotOnSale",
        "InvalidInstanceType",
        "InstanceType.Offline",
        "InvalidResourceType",
        "InvalidParameter.NotMatch",
    ]) {
        return (instance.instance_type.span, "the instance type");
    }
    (instance.name.span, "this launch")
}
