//! # classic-network-unavailable
//!
//! ## What it does
//! Flags a Terraform `alicloud_instance` with no `vswitch_id` (so a classic-network instance)
//! in a region where the account may create only VPC instances, as
//! `DescribeAccountAttributes` `instance-network-type` reports it.
//!
//! ## Why it matters
//! The provider documents `vswitch_id` as required "unless you can create classic network
//! instances", and the classic network is retired for new accounts and regions: the launch
//! fails at apply time ("The specified RegionId does not support the creation of the network
//! type ECS instance", `InvalidResourceType.NotSupported` for `classic`).
//!
//! ## Example
//! ```hcl
//! provider "alicloud" {
//!   region = "cn-hangzhou"
//! }
//!
//! resource "alicloud_instance" "web" {
//!   image_id      = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
//!   instance_type = "ecs.g7.large"
//! }
//!
//! # The control: in a vSwitch, so in the VPC.
//! resource "alicloud_instance" "api" {
//!   image_id      = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
//!   instance_type = "ecs.g7.large"
//!   vswitch_id    = "vsw-bp1api0000000000"
//! }
//! ```
//! ```text
//! main.tf:5:1: error [classic-network-unavailable] alicloud_instance.web: no `vswitch_id`, so it would launch in the classic network, which the account cannot use in aliyun region `cn-hangzhou` (it may create: vpc)
//! ```
//!
//! ## How to fix
//! Set `vswitch_id` to a vSwitch of the region's VPC (an `alicloud_vswitch` resource or data
//! source).

use super::{Check, Need, Pairing, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "classic-network-unavailable",
    summary: "an Alibaba instance without a vSwitch where the account may create only VPC instances",
    severity: Severity::Error,
    needs: &[Need::Account],
    source: include_str!("classic_network_unavailable.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let at = p.instance.classic_network?;
    let networks = p
        .facts
        .account(p.api(), p.region())
        .ok()?
        .network_types
        .as_ref()?;
    if networks.contains("classic") {
        return None;
    }
    let allowed: Vec<&str> = networks.iter().map(String::as_str).collect();
    Some(
        p.diagnostic(
            &RULE,
            at,
            format!(
                "no `vswitch_id`, so it would launch in the classic network, which the account cannot use in {} {} `{}` (it may create: {})",
                p.api(),
                p.api().region_word(),
                p.region(),
                allowed.join(", ")
            ),
            "no vSwitch: classic network",
        )
        .with_help("set `vswitch_id` to a vSwitch of the region's VPC (an `alicloud_vswitch` resource or data source)"),
    )
}
