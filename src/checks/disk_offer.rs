//! One disk against what the cloud says is sold: Alibaba's `DescribeAvailableResource` in the
//! zones the instances may land in, JD's `cloudDiskTypes` of the instance type, Zenlayer's
//! `DescribeDiskCategory` of the zone. The judgement `system-disk-unsupported` and
//! `data-disk-unsupported` share, with the words of the disk it is about.

use std::collections::BTreeMap;

use super::{Landing, Pairing, Rule};
use crate::cloud::Api;
use crate::diagnostic::Diagnostic;
use crate::facts::{DiskOffer, DiskRange};
use crate::plan::{DiskCategory, Instance, Value};
use crate::suggest::quoted_list;

/// Which disk, in the words its messages use.
pub struct Disk<'a> {
    /// "system disk", "data disk".
    pub what: &'static str,
    /// The key to set when the category is the provider's default ("`system_disk_category`").
    pub key: &'static str,
    pub category: &'a DiskCategory,
    pub size: Option<&'a Value<u32>>,
}

/// JD's system disk category for a local disk.
const JD_LOCAL: &str = "local";

/// The entry's system disk category where the disk is a cloud disk to judge: any the entry
/// names or takes by default, but JD's `local` (a local system disk takes no cloud disk type
/// and counts toward no cloud disk limit).
pub fn judged_system_disk(instance: &Instance) -> Option<&DiskCategory> {
    instance
        .system_disk_category
        .as_ref()
        .filter(|c| !(instance.api() == Api::Jdcloud && c.value.value == JD_LOCAL))
}

/// The disk's category not sold with the type where the instances land, or its size outside
/// the category's range; `None` when it fits, or when another rule speaks (the type not sold
/// here, a zone not known).
pub fn judge(
    p: &Pairing,
    rule: &'static Rule,
    offer: &DiskOffer,
    disk: &Disk,
) -> Option<Diagnostic> {
    // A type not sold here at all is `instance-type-unknown`'s.
    if offer.zones.is_empty() {
        return None;
    }
    // Where the instances land; a vSwitch whose zone is not known is `unverified`'s.
    let landing = p.landing().ok()?;
    let zones: Vec<&BTreeMap<String, DiskRange>> = match &landing {
        Landing::Zone(zone) => offer.zones.get(zone.value).into_iter().collect(),
        Landing::Group { zones, .. } => zones.iter().filter_map(|z| offer.zones.get(*z)).collect(),
        Landing::Region => offer.zones.values().collect(),
    };
    // In a zone that does not sell the type, stock rules speak.
    if zones.is_empty() {
        return None;
    }
    let (what, category) = (disk.what, disk.category);
    let wanted = &p.instance.instance_type.value;
    let charge = p.charge();
    let name = &category.value.value;
    let how = if category.default {
        format!("`{name}`, the provider's default,")
    } else {
        format!("`{name}`")
    };
    let region = p.api().place(p.region());
    let place = match &landing {
        Landing::Zone(zone) => format!("in {} of {region} ({charge})", zone.describe()),
        Landing::Group { zones, .. } => format!(
            "in its scaling group's zones ({}) of {region} ({charge})",
            quoted_list(zones)
        ),
        Landing::Region => format!("in {region} ({charge})"),
    };
    let ranges: Vec<&DiskRange> = zones.iter().filter_map(|cats| cats.get(name)).collect();
    if ranges.is_empty() {
        let mut offered: Vec<&str> = zones
            .iter()
            .flat_map(|cats| cats.keys().map(String::as_str))
            .collect();
        offered.sort_unstable();
        offered.dedup();
        let sold = if offered.is_empty() {
            format!("no {what} is listed for it")
        } else {
            format!("it is sold with {}", quoted_list(&offered))
        };
        let mut d = p
            .diagnostic(
                rule,
                category.value.span,
                format!("{what} category {how} is not sold with `{wanted}` {place}: {sold}"),
                "not sold with this type here",
            )
            .with_help(if category.default {
                format!(
                    "set {} to one it is sold with{}",
                    disk.key,
                    offered
                        .first()
                        .map(|c| format!(" (`{c}`)"))
                        .unwrap_or_default()
                )
            } else {
                "use a category the type is sold with there".to_string()
            });
        match &landing {
            Landing::Zone(zone) => d = d.with_related(zone.span, zone.label()),
            Landing::Group { zones, span } => {
                d = d.with_related(
                    *span,
                    format!("its scaling group launches in {}", quoted_list(zones)),
                );
            }
            Landing::Region => {}
        }
        let best = offered
            .iter()
            .find(|c| **c == "cloud_essd")
            .or(offered.first());
        return Some(offer_instead(p, d, category, best.copied()));
    }
    // The size, where the entry says one: within the range of some zone it may land in.
    let size = disk.size?;
    let fits = |r: &&DiskRange| {
        r.min.is_none_or(|min| size.value >= min) && r.max.is_none_or(|max| size.value <= max)
    };
    if ranges.iter().any(fits) {
        return None;
    }
    let range = ranges[0];
    let of = format!("{how} for `{wanted}` {place}");
    Some(outside(p, rule, disk, size, (range.min, range.max), &of))
}

/// The finding for a disk of `size` outside `range` (GiB), "the range of `of`".
fn outside(
    p: &Pairing,
    rule: &'static Rule,
    disk: &Disk,
    size: &Value<u32>,
    (min, max): (Option<u32>, Option<u32>),
    of: &str,
) -> Diagnostic {
    let what = disk.what;
    let shown = |n: Option<u32>| n.map_or("?".to_string(), |n| n.to_string());
    p.diagnostic(
        rule,
        size.span,
        format!(
            "a {what} of {} GiB is outside the range of {of}: {}–{} GiB",
            size.value,
            shown(min),
            shown(max)
        ),
        "outside the category's range",
    )
    .with_related(
        disk.category.value.span,
        format!("{} disk", disk.category.value.value),
    )
    .with_help(format!(
        "give the {what} {} to {} GiB",
        shown(min),
        shown(max)
    ))
}

/// JD's cloud disk sizes in GiB (`vm/models/CloudDiskSpec.py` `diskSizeGB`): a system disk
/// 40–500 ("系统盘容量范围：[40-500]").
pub const JD_SYSTEM_DISK_GB: (u32, u32) = (40, 500);
/// A data disk 20–32000 ("数据盘容量范围：[20-32000]"; the disk service's `DiskSpec` says at
/// most 16000 for `ssd.gp1`, `ssd.io1` and `hdd.std1`: the wider range is kept, so only a
/// size no source allows fails).
pub const JD_DATA_DISK_GB: (u32, u32) = (20, 32000);

/// A JD disk's cloud disk type against the instance type's `cloudDiskTypes`. Only a written
/// type is judged; a type not in the catalogue is `instance-type-unknown`'s, one whose answer
/// lists no disk types `unverified`'s.
pub fn judge_jd(
    p: &Pairing,
    rule: &'static Rule,
    disk: &Disk,
    (min, max): (u32, u32),
) -> Option<Diagnostic> {
    if disk.category.default {
        return None;
    }
    let wanted = &p.instance.instance_type.value;
    if let Ok(Some(takes)) = p.facts.cloud_disk_types(p.api(), p.region(), wanted) {
        let words = Words {
            claim: format!(
                "type `{}` is not one `{wanted}` takes",
                disk.category.value.value
            ),
            by_charge: false,
            listing: "it takes",
            label: "not taken by this type",
        };
        if let Some(d) = not_listed(p, rule, disk, takes, words) {
            return Some(d.with_help("use a cloud disk type the instance type takes"));
        }
    }
    // The size, against the range JD's model states for every cloud disk.
    let size = disk.size?;
    if (min..=max).contains(&size.value) {
        return None;
    }
    let of = format!("a JD Cloud cloud {}", disk.what);
    Some(outside(p, rule, disk, size, (Some(min), Some(max)), &of))
}

/// A Zenlayer disk's category against what the zone sells (`DescribeDiskCategory`; VM: for
/// the charge type).
pub fn judge_zenlayer(p: &Pairing, rule: &'static Rule, disk: &Disk) -> Option<Diagnostic> {
    let sold = p
        .facts
        .disk_categories(p.api(), p.region(), p.charge())
        .ok()?;
    let words = Words {
        claim: format!("category `{}` is not sold", disk.category.value.value),
        by_charge: true,
        listing: "it sells",
        label: "not sold in this zone",
    };
    let d = not_listed(p, rule, disk, sold, words)?;
    Some(d.with_help("use a category the zone sells"))
}

/// How a finding of `not_listed` reads: "<what> <claim> in <region>[ (<charge>)]: <listing>
/// …", labelled `label`.
struct Words {
    claim: String,
    by_charge: bool,
    listing: &'static str,
    label: &'static str,
}

/// The disk's category (or type) not among `listed`, with an unsafe fix to the first listed;
/// `None` when it is listed.
fn not_listed(
    p: &Pairing,
    rule: &'static Rule,
    disk: &Disk,
    listed: &[String],
    words: Words,
) -> Option<Diagnostic> {
    let category = disk.category;
    if listed.contains(&category.value.value) {
        return None;
    }
    let names: Vec<&str> = listed.iter().map(String::as_str).collect();
    let what_is = if names.is_empty() {
        "it lists none".to_string()
    } else {
        format!("{} {}", words.listing, quoted_list(&names))
    };
    let charge = if words.by_charge {
        format!(" ({})", p.charge())
    } else {
        String::new()
    };
    let d = p.diagnostic(
        rule,
        category.value.span,
        format!(
            "{} {} in {}{charge}: {what_is}",
            disk.what,
            words.claim,
            p.api().place(p.region())
        ),
        words.label,
    );
    Some(offer_instead(p, d, category, names.first().copied()))
}

/// `d` with an unsafe fix to `best`, where the category was written (a default has no text to
/// replace) and the fix can be written.
fn offer_instead(
    p: &Pairing,
    d: Diagnostic,
    category: &DiskCategory,
    best: Option<&str>,
) -> Diagnostic {
    let fix = best
        .filter(|_| !category.default)
        .and_then(|best| p.fix(category.value.span, best, format!("use `{best}`"), false));
    d.with_fixes(fix)
}
