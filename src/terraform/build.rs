//! Entries from resources: one Terraform resource instance, from plan JSON or from `.tf`,
//! becomes instance entries (one per instance type of a scaling configuration), a
//! custom-image entry, or an `unverified` entry. A pairing with one side unknown before apply
//! is still an entry: the rules that need only the known side run on it.

use miette::SourceSpan;

use super::resources::{self, ImageRegion, Kind, RegionFrom};
use super::{Attr, Region, Resource};
use crate::cloud::Cloud;
use crate::plan::{
    ImageCreate, ImageDelete, Instance, Origin, Plan, Side, Unchecked, UnknownSide, Value,
};
use crate::source::SourceFile;

/// Collects entries into a plan and says, once, where regions came from.
pub struct Builder<'a> {
    pub plan: Plan,
    env: &'a dyn Fn(&str) -> Option<String>,
    env_regions: Vec<(Cloud, &'static str, String)>,
    /// Resources of a kind that launches instances but that preflight does not read.
    not_read: Vec<String>,
    /// Resources whose vSwitch is known only later: their stock is judged for the region.
    vswitch_later: Vec<String>,
    /// How many resources preflight read.
    pub read: usize,
    /// What to do about a value known only later: plan JSON and `.tf` differ.
    pub later_help: &'static str,
    /// Terraform plans no change at all (plan JSON without `resource_changes`).
    pub nothing_planned: bool,
}

/// For plan JSON: the value is known after apply.
pub const LATER_HELP: &str = "preflight checks it once the value is known: plan again after what it depends on exists, or let it pass with --allow-unverified";
/// For `.tf` read directly: the value is known once Terraform plans.
pub const PLAN_JSON_HELP: &str = "preflight checks it once the value is known: validate the plan JSON, or let it pass with --allow-unverified";
const REGION_HELP: &str = "set `region` in the provider block, or the environment variable the message names, as Terraform saw it";
const INSTANCE_ZONE_HELP: &str = "when this configuration manages the instance, refer to it (`instance_id = zenlayercloud_zvm_instance.NAME.id`) so its zone is known; else --allow-unverified lets it pass";
const UNSUPPORTED_HELP: &str = "--allow-unverified lets it pass; it is still reported";

impl<'a> Builder<'a> {
    pub fn new(source: SourceFile, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            plan: Plan::empty(source),
            env,
            env_regions: Vec::new(),
            not_read: Vec::new(),
            vswitch_later: Vec::new(),
            read: 0,
            later_help: LATER_HELP,
            nothing_planned: false,
        }
    }

    /// Notes a resource of a type that launches instances and that preflight does not read.
    pub fn not_read(&mut self, address: &str) {
        self.not_read.push(address.to_string());
    }

    /// Adds one resource instance as whatever entry it is.
    pub fn add(&mut self, r: Resource) {
        self.read += 1;
        match &r.ty.kind {
            Kind::Unsupported { what, pairing, .. } => {
                if r.creates {
                    let reason = format!("preflight does not check {what}");
                    let mut u = unchecked(&r, reason, UNSUPPORTED_HELP, *pairing, None, Vec::new());
                    u.region = known(&r.attrs.region_zone);
                    self.plan.unchecked.push(u);
                }
            }
            Kind::Image(from) => self.add_image(&r, *from),
            Kind::Instance(launches) => self.add_instance(&r, launches),
        }
    }

    /// A custom image: counted against the quota where it is created, freeing its place
    /// where it is deleted.
    fn add_image(&mut self, r: &Resource, from: ImageRegion) {
        let line = r.file.line_of(r.header.offset());
        let region = match self.image_region(r, from) {
            Ok(region) => region,
            // Nothing is asked about an API's images when it has no quota call, so
            // the region does not matter; the image is still counted in the note.
            Err(_) if !r.ty.api.knows_image_quota() => String::new(),
            Err((why, span, origins)) => {
                let help = match from {
                    ImageRegion::FromInstance { .. } => INSTANCE_ZONE_HELP,
                    _ => REGION_HELP,
                };
                if r.creates {
                    self.plan
                        .unchecked
                        .push(unchecked(r, why, help, false, span, origins));
                }
                return;
            }
        };
        if r.deletes {
            self.plan.deleted_images.push(ImageDelete {
                api: r.ty.api,
                region: region.clone(),
                count: 1,
            });
        }
        if r.creates {
            self.plan.images.push(ImageCreate {
                name: at(r.address.clone(), r.header),
                named_in_messages: true,
                cloud: at(r.ty.cloud(), r.header),
                service: r.ty.api.service(),
                region: at(region, r.header),
                count: 1,
                line,
                file: r.file.clone(),
            });
        }
    }

    /// An instance-launching resource: one pairing per instance type it may launch, unless
    /// what the whole entry depends on is unknown.
    fn add_instance(&mut self, r: &Resource, launches: &resources::Launches) {
        if !r.creates {
            return;
        }
        let paths = r.ty.attribute_paths();
        let key = |p: &[&'static str]| p.join(".");
        // What the whole entry depends on: unknown, nothing can be checked.
        let mut blocking = Vec::new();
        let mut first: Option<(SourceSpan, Vec<Origin>)> = None;
        for (attr, path) in [
            (&r.attrs.region_zone, &paths.region_zone),
            (&r.attrs.charge, &paths.charge),
            (&r.attrs.spot, &paths.spot),
            (&r.attrs.amount, &paths.amount),
        ] {
            if let Attr::Unknown { why, span, origins } = attr {
                blocking.push(format!("`{}` {why}", key(path)));
                first.get_or_insert((span.unwrap_or(r.header), origins.clone()));
            }
        }
        if let Some((span, origins)) = first {
            let mut u = unchecked(
                r,
                blocking.join("; "),
                self.later_help,
                true,
                Some(span),
                origins,
            );
            u.region = self.region(r).ok();
            self.plan.unchecked.push(u);
            return;
        }
        let region = match self.region(r) {
            Ok(region) => region,
            Err(why) => {
                self.plan
                    .unchecked
                    .push(unchecked(r, why, REGION_HELP, true, None, Vec::new()));
                return;
            }
        };
        let count = match &r.attrs.amount {
            Attr::Known { value, .. } => value.parse::<f64>().map_or(1, |n| n as u32),
            _ => 1,
        };
        if count == 0 {
            return;
        }
        let types: Vec<&Attr> = match &r.attrs.instance_types {
            Attr::List(items) if !items.is_empty() => items.iter().collect(),
            _ => vec![&r.attrs.instance_type],
        };
        let type_key = match (&r.attrs.instance_types, launches.instance_types) {
            (Attr::List(items), Some(list)) if !items.is_empty() => list,
            _ => launches.instance_type,
        };
        for type_attr in types {
            self.add_pairing(r, launches, type_key, type_attr, &region, count);
        }
    }

    /// One pairing of an instance-launching resource.
    fn add_pairing(
        &mut self,
        r: &Resource,
        launches: &resources::Launches,
        type_key: &'static str,
        type_attr: &Attr,
        region: &str,
        count: u32,
    ) {
        let line = r.file.line_of(r.header.offset());
        let help = self.later_help;
        let image = side(&r.attrs.image, Side::Image, launches.image, r.header, help);
        let ty = side(type_attr, Side::InstanceType, type_key, r.header, help);
        let (image, ty) = match (image, ty) {
            (Err(a), Err(b)) => {
                let reason = format!("{}; {}", a.why, b.why);
                let mut origins = a.origins;
                origins.extend(b.origins);
                let mut u = unchecked(r, reason, help, true, Some(a.span), origins);
                u.region = Some(region.to_string());
                self.plan.unchecked.push(u);
                return;
            }
            pair => pair,
        };
        let mut origins: Vec<Origin> = Vec::new();
        let mut unknown = Vec::new();
        let mut value = |side: Result<Known, UnknownSide>| match side {
            Ok(k) => {
                origins.extend(k.origins);
                at(k.value, k.span)
            }
            Err(u) => {
                let span = u.span;
                unknown.push(u);
                at(String::new(), span)
            }
        };
        let image = value(image);
        let instance_type = value(ty);
        let system_disk_gb = match &r.attrs.disk {
            Attr::Known {
                value,
                span,
                origins: disk,
            } => {
                origins.extend(disk.iter().cloned());
                value.parse::<u32>().ok().map(|gb| at(gb, *span))
            }
            _ => None,
        };
        // Where only the network fixes the zone, the region's answer applies.
        let zone = match &r.attrs.zone {
            Attr::Known { value, span, .. } if !value.is_empty() => Some(at(value.clone(), *span)),
            _ => None,
        };
        // The vSwitch decides the zone; one known only later leaves the region's answer.
        let vswitch = match &r.attrs.vswitch {
            Attr::Known { value, span, .. } if !value.is_empty() => Some(at(value.clone(), *span)),
            Attr::Unknown { .. } => {
                if !self.vswitch_later.contains(&r.address) {
                    self.vswitch_later.push(r.address.clone());
                }
                None
            }
            _ => None,
        };
        // An instance with no vSwitch at all launches in the classic network.
        let no_vswitch = matches!(&r.attrs.vswitch, Attr::Absent)
            || matches!(&r.attrs.vswitch, Attr::Known { value, .. } if value.is_empty());
        let classic_network =
            (launches.vswitch.is_some() && launches.launches_itself && no_vswitch)
                .then_some(r.header);
        // The system disk's category as written, else the provider's default where it has
        // one (said as such in messages); one known only later is not checked.
        let system_disk_category = match (&r.attrs.disk_category, launches.disk_category) {
            (Attr::Known { value, span, .. }, _) if !value.is_empty() => {
                Some(crate::plan::DiskCategory {
                    value: at(value.clone(), *span),
                    default: false,
                })
            }
            (Attr::Absent, Some((_, Some(default)))) => Some(crate::plan::DiskCategory {
                value: at(default.to_string(), r.header),
                default: true,
            }),
            _ => None,
        };
        // Every security group known, or none: a dry run needs them all.
        let security_groups = all_known(&r.attrs.security_groups).map(|known| {
            let span = match &r.attrs.security_groups {
                Attr::List(items) => items.iter().find_map(|i| match i {
                    Attr::Known { span, .. } => Some(*span),
                    _ => None,
                }),
                _ => None,
            };
            at(known, span.unwrap_or(r.header))
        });
        // Each data disk's category as written, else the provider's default (at the disk's
        // size, else the resource); a value known only later is not checked.
        let data_disks = r
            .data_disks
            .iter()
            .map(|d| {
                let size_gb = match &d.size {
                    Attr::Known { value, span, .. } => {
                        value.parse::<u32>().ok().map(|gb| at(gb, *span))
                    }
                    _ => None,
                };
                let default = launches.data_disks.and_then(|l| l.default_category);
                let category = match (&d.category, default) {
                    (Attr::Known { value, span, .. }, _) if !value.is_empty() => {
                        Some(crate::plan::DiskCategory {
                            value: at(value.clone(), *span),
                            default: false,
                        })
                    }
                    (Attr::Absent, Some(default)) => Some(crate::plan::DiskCategory {
                        value: at(
                            default.to_string(),
                            size_gb.as_ref().map_or(r.header, |s| s.span),
                        ),
                        default: true,
                    }),
                    _ => None,
                };
                crate::plan::DataDisk { category, size_gb }
            })
            .collect();
        // The group's vSwitches, every one known, at the reference to the group.
        let group_vswitches = all_known(&r.group_vswitches).map(|known| {
            let span = match &r.attrs.group {
                Attr::Known { span, .. } => Some(*span),
                Attr::Unknown { span, .. } => *span,
                _ => None,
            };
            at(known, span.unwrap_or(r.header))
        });
        let charge_type = resources::charge_type(&r.attrs.charge, &r.attrs.spot);
        self.plan.instances.push(Instance {
            name: at(r.address.clone(), r.header),
            cloud: at(r.ty.cloud(), r.header),
            region: at(region.to_string(), r.header),
            image,
            instance_type,
            count,
            system_disk_gb,
            service: r.ty.api.service(),
            zone,
            vswitch,
            system_disk_category,
            data_disks,
            group_vswitches,
            security_groups,
            classic_network,
            // A replaced instance frees its place first; templates launch nothing.
            adds_instances: launches.launches_itself && !r.deletes,
            charge_type,
            line,
            file: r.file.clone(),
            origins,
            named_in_messages: true,
            unknown,
            callers: r.callers.clone(),
        });
    }

    /// The region (for Zenlayer the zone) of a custom image.
    fn image_region(
        &mut self,
        r: &Resource,
        from: ImageRegion,
    ) -> Result<String, (String, Option<SourceSpan>, Vec<Origin>)> {
        match from {
            // Nothing is asked about an API's images when it has no quota call.
            ImageRegion::Irrelevant => Ok(String::new()),
            ImageRegion::Provider => self.region(r).map_err(|why| (why, None, Vec::new())),
            ImageRegion::FromInstance { instance, zone } => match &r.source_zone {
                Attr::Known { value, .. } => Ok(value.clone()),
                Attr::Unknown { why, span, origins } => Err((
                    format!("the zone of the instance in `{instance}` {why}"),
                    *span,
                    origins.clone(),
                )),
                _ => Err((
                    format!(
                        "its zone is the `{zone}` of the instance in `{instance}`, which is not in the configuration"
                    ),
                    None,
                    Vec::new(),
                )),
            },
        }
    }

    /// The region (for Zenlayer the zone) of a resource: from its zone attribute, its
    /// provider configuration, or the provider's environment variable, in that order.
    fn region(&mut self, r: &Resource) -> Result<String, String> {
        let zone = match &r.attrs.region_zone {
            Attr::Known { value, .. } => Some(value.as_str()),
            _ => None,
        };
        match (r.ty.region_from(), zone) {
            (RegionFrom::Zone(_), Some(zone)) => return Ok(zone.to_string()),
            (RegionFrom::Zone(key), None) => {
                return Err(format!("`{key}` is not set, so the zone is unknown"));
            }
            (RegionFrom::ZoneOrProvider(_), Some(az)) => return Ok(region_of_zone(az)),
            _ => {}
        }
        let why = match &r.region {
            Region::Known(region) => return Ok(region.clone()),
            Region::Missing(why) => why,
        };
        let cloud = r.ty.cloud();
        for var in resources::region_vars(cloud) {
            if let Some(region) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                let region = region.trim().to_string();
                if !self
                    .env_regions
                    .iter()
                    .any(|(c, v, _)| *c == cloud && v == var)
                {
                    self.env_regions.push((cloud, var, region.clone()));
                }
                return Ok(region);
            }
        }
        let vars: Vec<String> = resources::region_vars(cloud)
            .iter()
            .map(|v| format!("`{v}`"))
            .collect();
        Err(format!(
            "its region is unknown: {why}, and the environment sets no {}",
            vars.join(" or ")
        ))
    }

    pub fn finish(mut self) -> Plan {
        for (cloud, var, region) in &self.env_regions {
            self.plan.notices.push(format!(
                "{}: no {} provider configuration sets a region, so {cloud} resources use `{var}={region}` from the environment",
                self.plan.path(),
                resources::provider_name(*cloud)
            ));
        }
        if !self.not_read.is_empty() {
            self.plan.notices.push(format!(
                "{}: not checked, as preflight does not read their kind: {}",
                self.plan.path(),
                self.not_read.join(", ")
            ));
        }
        if !self.vswitch_later.is_empty() {
            self.plan.notices.push(format!(
                "{}: the vSwitch of {} is known only once it exists, so where it is in stock is judged for the region as a whole, not the vSwitch's zone",
                self.plan.path(),
                self.vswitch_later.join(", ")
            ));
        }
        if self.nothing_planned {
            self.plan.notices.push(format!(
                "{}: Terraform plans no resource changes, so there is nothing to check",
                self.plan.path()
            ));
        } else if self.read == 0 && self.plan.unchecked.is_empty() {
            self.plan.notices.push(format!(
                "{}: no resource of a kind preflight checks ({})",
                self.plan.path(),
                resources::TYPES
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.plan
    }
}

/// A known side of a pairing.
struct Known {
    value: String,
    span: SourceSpan,
    origins: Vec<Origin>,
}

/// A side of a pairing as its attribute says it.
fn side(
    attr: &Attr,
    side: Side,
    key: &str,
    header: SourceSpan,
    help: &str,
) -> Result<Known, UnknownSide> {
    match attr {
        Attr::Known {
            value,
            span,
            origins,
        } => Ok(Known {
            value: value.clone(),
            span: *span,
            origins: origins.clone(),
        }),
        Attr::Unknown { why, span, origins } => Err(UnknownSide {
            side,
            why: format!("`{key}` {why}"),
            help: help.to_string(),
            span: span.unwrap_or(header),
            origins: origins.clone(),
        }),
        Attr::Absent | Attr::List(_) => Err(UnknownSide {
            side,
            why: format!("`{key}` is not set"),
            help: format!("set `{key}`, or let it pass with --allow-unverified"),
            span: header,
            origins: Vec::new(),
        }),
    }
}

/// `cn-north-1a` → `cn-north-1`: a JD Cloud availability zone is its region plus a letter.
pub fn region_of_zone(az: &str) -> String {
    az.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .to_string()
}

fn at<T>(value: T, span: SourceSpan) -> Value<T> {
    Value { value, span }
}

fn known(attr: &Attr) -> Option<String> {
    match attr {
        Attr::Known { value, .. } => Some(value.clone()),
        _ => None,
    }
}

/// The `unverified` entry of a resource that cannot be checked as written.
fn unchecked(
    r: &Resource,
    reason: String,
    help: &str,
    pairing: bool,
    span: Option<SourceSpan>,
    origins: Vec<Origin>,
) -> Unchecked {
    Unchecked {
        name: Value {
            value: r.address.clone(),
            span: span.unwrap_or(r.header),
        },
        file: r.file.clone(),
        cloud: Some(r.ty.cloud()),
        region: None,
        image: known(&r.attrs.image),
        instance_type: known(&r.attrs.instance_type),
        reason,
        help: help.to_string(),
        pairing,
        line: r.file.line_of(r.header.offset()),
        origins,
    }
}

/// The values of a list attribute, when there is at least one and every one is known.
fn all_known(attr: &Attr) -> Option<Vec<String>> {
    let Attr::List(items) = attr else {
        return None;
    };
    let known: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Attr::Known { value, .. } => Some(value.clone()),
            _ => None,
        })
        .collect();
    (!known.is_empty() && known.len() == items.len()).then_some(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jd_zones_name_their_region() {
        assert_eq!(region_of_zone("cn-north-1a"), "cn-north-1");
        assert_eq!(region_of_zone("cn-east-2c"), "cn-east-2");
    }
}
