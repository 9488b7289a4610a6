//! # instance-type-sold-out
//!
//! ## What it does
//! Flags an instance whose type the region offers but has no stock of where the plan puts it:
//! in the planned `zone` (an Alibaba vSwitch's zone), in every zone of its scaling group's
//! vSwitches (an Alibaba scaling configuration), or in any zone of the region when no zone is
//! planned. The clouds' own stock: JD Cloud's `state[].inStock` per zone, Alibaba's `SoldOut` per zone in
//! `DescribeAvailableResource`, Zenlayer ZEC's `withStock` (its zone is the plan's region).
//! Zenlayer VM says nothing of stock, so its types are never flagged here.
//!
//! ## Why it matters
//! The type exists and the name is right, but creating the instance fails with an
//! out-of-stock error, often only for part of a scaled-out group.
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
//!     zone: cn-hangzhou-i
//! ```
//! ```text
//! plan.yaml:7:20: error [instance-type-sold-out] instance type `ecs.g7.large` is sold out in zone `cn-hangzhou-i` of aliyun region `cn-hangzhou` (postpaid)
//! ```
//!
//! ## How to fix
//! Plan the instance in a zone that has the type in stock (the help names them), pick another
//! type, or try again later: stock changes.

use super::{Check, Landing, Need, Pairing, Rule};
use crate::cloud::Cloud;
use crate::diagnostic::{Diagnostic, Severity};
use crate::suggest::quoted_list;

pub const RULE: Rule = Rule {
    id: "instance-type-sold-out",
    summary: "the region offers the instance type, but not in stock where it is planned",
    severity: Severity::Error,
    needs: &[Need::Availability, Need::VSwitch],
    source: include_str!("instance_type_sold_out.rs"),
    check: Check::Pairing(check),
};

fn check(p: &Pairing) -> Option<Diagnostic> {
    let wanted = &p.instance.instance_type.value;
    let charge = p.charge();
    let sold = p.facts.availability(p.api(), p.region(), charge).ok()?;
    // Not sold at all is `instance-type-unknown`'s; no stock stated says nothing.
    let zones = sold.types.get(wanted)?.as_ref()?;
    let in_stock: Vec<&str> = zones
        .iter()
        .filter(|(_, stock)| **stock)
        .map(|(zone, _)| zone.as_str())
        .collect();
    let place = p.api().place(p.region());
    // A vSwitch whose zone could not be read: `unverified` says so, unless the region has it
    // nowhere (then any zone is wrong).
    let landing = match p.landing() {
        Ok(landing) => landing,
        Err(_) if !in_stock.is_empty() => return None,
        Err(_) => Landing::Region,
    };
    let planned = match landing {
        // A scaling configuration launches in its group's zones: stock in any of them will do.
        Landing::Group { zones: group, span } => {
            if group.iter().any(|z| zones.get(*z) == Some(&true)) {
                return None;
            }
            let how = if group.iter().any(|z| zones.contains_key(*z)) {
                "sold out in"
            } else {
                "not sold in"
            };
            let listed = quoted_list(&group);
            let help = if in_stock.is_empty() {
                "no zone has it in stock now: pick another type, or try again later".to_string()
            } else {
                format!(
                    "give the scaling group a vSwitch in a zone that has it in stock: {}",
                    quoted_list(&in_stock)
                )
            };
            let d = p
                .diagnostic(
                    &RULE,
                    p.instance.instance_type.span,
                    format!(
                        "instance type `{wanted}` is {how} every zone of its scaling group's vSwitches ({listed}) in {place} ({charge})"
                    ),
                    format!("{how} the scaling group's zones"),
                )
                .with_related(span, format!("its scaling group launches in {listed}"))
                .with_help(help);
            return Some(d);
        }
        Landing::Zone(zone) => Some(zone),
        Landing::Region => None,
    };
    let (message, label) = match (&planned, p.api().cloud()) {
        (Some(zone), _) => match zones.get(zone.value) {
            Some(true) => return None,
            Some(false) => (
                format!(
                    "instance type `{wanted}` is sold out in {} of {place} ({charge})",
                    zone.describe()
                ),
                "sold out in the planned zone",
            ),
            None => (
                format!(
                    "instance type `{wanted}` is not sold in {} of {place} ({charge})",
                    zone.describe()
                ),
                "not sold in the planned zone",
            ),
        },
        // Zenlayer's region is the zone.
        (None, Cloud::Zenlayer) if in_stock.is_empty() => (
            format!("instance type `{wanted}` is sold out in {place} ({charge})"),
            "sold out in this zone",
        ),
        (None, _) if in_stock.is_empty() => (
            format!("instance type `{wanted}` is sold out in every zone of {place} ({charge})"),
            "sold out in the region",
        ),
        (None, _) => return None,
    };
    let help = if in_stock.is_empty() {
        "no zone has it in stock now: pick another type, or try again later".to_string()
    } else {
        let how = match planned.as_ref().and_then(|z| z.vswitch) {
            Some(_) => "launch it in a vSwitch of a zone that has it in stock",
            None => "plan it in a zone that has it in stock",
        };
        format!("{how}: {}", quoted_list(&in_stock))
    };
    let mut d = p
        .diagnostic(&RULE, p.instance.instance_type.span, message, label)
        .with_help(help);
    if let Some(zone) = &planned {
        d.related.push((zone.span, zone.label()));
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{facts, plan};

    const FACTS: &str = r#"{"version":5,"clouds":{"aliyun":{"cn-hangzhou":{
        "availability":{"postpaid":{"types":{
          "ecs.g7.large":{"cn-hangzhou-h":true,"cn-hangzhou-i":false},
          "ecs.g6.large":{"cn-hangzhou-h":false,"cn-hangzhou-i":false},
          "ecs.any.large":null}}}}}}}"#;

    fn findings(yaml: &str) -> Vec<(String, String, String)> {
        let plans = [plan(yaml)];
        crate::checks::run(&plans, &facts(FACTS), &Default::default(), &|id| {
            id == "instance-type-sold-out"
        })
        .diagnostics
        .into_iter()
        .map(|d| (d.entry, d.message, d.help.unwrap_or_default()))
        .collect()
    }

    #[test]
    fn stock_is_judged_in_the_planned_zone_or_anywhere_in_the_region() {
        let got = findings(
            "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
             - {name: h, image: i, instance_type: ecs.g7.large, zone: cn-hangzhou-h}\n\
             - {name: i, image: i, instance_type: ecs.g7.large, zone: cn-hangzhou-i}\n\
             - {name: k, image: i, instance_type: ecs.g7.large, zone: cn-hangzhou-k}\n\
             - {name: anywhere, image: i, instance_type: ecs.g7.large}\n\
             - {name: nowhere, image: i, instance_type: ecs.g6.large}\n\
             - {name: unknown, image: i, instance_type: ecs.any.large, zone: cn-hangzhou-i}\n",
        );
        let entries: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(entries, ["i", "k", "nowhere"]);
        assert!(
            got[0].1.contains("sold out in zone `cn-hangzhou-i`"),
            "{}",
            got[0].1
        );
        assert_eq!(
            got[0].2,
            "plan it in a zone that has it in stock: `cn-hangzhou-h`"
        );
        assert!(
            got[1].1.contains("not sold in zone `cn-hangzhou-k`"),
            "{}",
            got[1].1
        );
        assert!(got[2].1.contains("sold out in every zone"), "{}", got[2].1);
        assert!(
            got[2].2.starts_with("no zone has it in stock"),
            "{}",
            got[2].2
        );
    }
}
