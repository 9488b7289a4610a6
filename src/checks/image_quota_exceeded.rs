//! # image-quota-exceeded
//!
//! ## What it does
//! Adds up the custom images all plans create in a region and compares them, with the images
//! that already exist, to the region's custom-image quota (JD Cloud `describeQuotas`, Zenlayer
//! `DescribeImageQuota`). Reports once per region, at the entry that no longer fits, with the
//! arithmetic in the message. Images from every plan in the run count: the quota is per
//! account, not per plan. Custom images a Terraform plan deletes in the region free their
//! place and are subtracted.
//!
//! ## Why it matters
//! Image creation fails when the quota is used up, usually late in a pipeline, after the
//! instances the images were made from are already running.
//!
//! ## Example
//! ```yaml
//! images:
//!   - name: golden-base
//!     cloud: zenlayer
//!     region: sa-jeddah-1a
//!     count: 6
//! ```
//! ```text
//! plan.yaml:2:11: error [image-quota-exceeded] zenlayer zone `sa-jeddah-1a` allows 5 custom images: 0 exist and the plans create 6 (0 + 6 = 6 > 5)
//! ```
//!
//! ## How to fix
//! Delete custom images you no longer need in that region, create fewer, or ask the cloud to
//! raise the quota.

use super::{Check, Need, RegionImages, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    id: "image-quota-exceeded",
    summary: "existing plus planned custom images exceed the region's quota",
    severity: Severity::Error,
    needs: &[Need::Quota],
    source: include_str!("image_quota_exceeded.rs"),
    check: Check::Region(check),
};

fn check(r: &RegionImages) -> Option<Diagnostic> {
    if !r.api.knows_image_quota() {
        return None;
    }
    let quota = r.facts.quota(r.api, r.region).ok()?;
    let planned: u64 = r.entries.iter().map(|i| u64::from(i.count)).sum();
    // Deleted images free their place; count them as gone before the new ones are made.
    let used = u64::from(quota.used).saturating_sub(r.freed);
    let limit = u64::from(quota.limit);
    if used + planned <= limit {
        return None;
    }
    // Point at the entry that crosses the limit: the ones before it still fit.
    let mut running = used;
    let image = r
        .entries
        .iter()
        .find(|image| {
            running += u64::from(image.count);
            running > limit
        })
        .or(r.entries.last())?;
    // The instances of one Terraform resource (`golden[0]`, `golden[1]`) are said once.
    // In plan order, in one pass: a plan may create 100,000 images.
    let mut counts: Vec<(&str, u64)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for i in &r.entries {
        let name = i.name.value.as_str();
        let base = match name.rfind('[') {
            Some(at) if name.ends_with(']') => &name[..at],
            _ => name,
        };
        match index.get(base) {
            Some(&at) => counts[at].1 += u64::from(i.count),
            None => {
                index.insert(base, counts.len());
                counts.push((base, u64::from(i.count)));
            }
        }
    }
    let breakdown = if counts.len() > 1 {
        let parts: Vec<String> = counts.iter().map(|(b, n)| format!("{b} {n}")).collect();
        format!(" ({})", parts.join(", "))
    } else {
        String::new()
    };
    let exist = if r.freed > 0 {
        format!(
            "{} exist, {} of which the plans delete",
            quota.used,
            r.freed.min(u64::from(quota.used))
        )
    } else {
        format!("{used} exist")
    };
    let d = Diagnostic::for_image_create(
        RULE.id,
        RULE.severity,
        image,
        format!(
            "{} {} `{}` allows {limit} custom images: {exist} and the plans create {planned}{breakdown} ({used} + {planned} = {} > {limit})",
            r.api,
            r.api.region_word(),
            r.region,
            used + planned
        ),
        "this one does not fit",
    );
    let free = limit.saturating_sub(used);
    Some(d.with_help(format!(
        "{free} more fit in `{}`; delete unused custom images there, create fewer, or ask {} to raise the quota",
        r.region,
        r.api.display_name()
    )))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::findings;

    const FACTS: &str =
        r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"quota":{"used":3,"limit":5}}}}}"#;

    #[test]
    fn reports_once_at_the_entry_that_crosses_the_limit() {
        let plan = "defaults: {cloud: zenlayer, region: FRA-A}\nimages:\n  - {name: a, count: 1}\n  - {name: b, count: 2}\n  - {name: c}\n";
        let got = findings("image-quota-exceeded", plan, FACTS);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 4, "b takes the count from 4 to 6");
        assert!(got[0].2.contains("(3 + 4 = 7 > 5)"), "{}", got[0].2);
    }

    #[test]
    fn fits_exactly() {
        let plan = "defaults: {cloud: zenlayer, region: FRA-A}\nimages:\n  - {name: a, count: 2}\n";
        assert!(findings("image-quota-exceeded", plan, FACTS).is_empty());
    }

    #[test]
    fn deleted_images_free_their_place() {
        use crate::checks::test_support::{facts, plan};
        use crate::cloud::Api;
        use crate::plan::ImageDelete;
        let text = "defaults: {cloud: zenlayer, region: FRA-A}\nimages:\n  - {name: a, count: 3}\n";
        let run = |deleted: u32| {
            let mut p = plan(text);
            if deleted > 0 {
                p.deleted_images.push(ImageDelete {
                    api: Api::ZenlayerVm,
                    region: "FRA-A".to_string(),
                    count: deleted,
                });
            }
            crate::checks::run(&[p], &facts(FACTS), &Default::default(), &|_| true).diagnostics
        };
        assert_eq!(run(0).len(), 1, "3 + 3 > 5");
        assert!(run(1).is_empty(), "3 - 1 + 3 = 5 fits");
        let mut p = plan(text);
        p.deleted_images.push(ImageDelete {
            api: Api::ZenlayerVm,
            region: "FRA-A".to_string(),
            count: 1,
        });
        p.images[0].count = 4;
        let d = crate::checks::run(&[p], &facts(FACTS), &Default::default(), &|_| true).diagnostics;
        assert!(
            d[0].message
                .contains("3 exist, 1 of which the plans delete"),
            "{}",
            d[0].message
        );
        assert!(d[0].message.contains("(2 + 4 = 6 > 5)"), "{}", d[0].message);
    }
}
