//! Terraform input: plan JSON (`terraform show -json tfplan`) and `.tf` configuration, read
//! into the same `Plan` values YAML plans become, so the checks and reports do not know the
//! difference.
//!
//! - `plan_json` reads the plan: which resources are created or replaced, with the values
//!   Terraform computed, and byte spans into the JSON.
//! - `config` reads `.tf` files with hcl-edit: where a resource's `image_id` is written, and
//!   where a variable it uses is set (default, tfvars, module argument). Findings point there.
//! - `resources` says which resource types preflight checks and which attributes it reads.
//!
//! Both inputs end in `Builder`, which turns one resource instance into an instance entry, a
//! custom-image entry, or an `unverified` entry when a value is not known before apply.

mod config;
mod plan_json;
mod resources;

use std::path::{Path, PathBuf};

use miette::SourceSpan;

use crate::cloud::Cloud;
use crate::error::InputError;
use crate::plan::{ImageCreate, ImageDelete, Instance, Origin, Plan, Unchecked, Value};
use crate::source::SourceFile;
pub use config::{files_in, has_tf_files};
use resources::{Kind, RegionFrom, ResourceType};

/// Whether `text` is Terraform plan JSON rather than a preflight plan (which YAML also allows
/// to be written as JSON): an object with Terraform's `format_version` or `resource_changes`.
pub fn is_plan_json(text: &str) -> bool {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return false;
    }
    // `terraform show -json` starts with `{"format_version":…`; look a little further for
    // hand-formatted files, and then at the whole text.
    let head = &trimmed[..trimmed.len().min(4096)];
    head.contains("\"format_version\"")
        || trimmed.contains("\"resource_changes\"")
        || trimmed.contains("\"format_version\"")
}

/// Whether `path` names Terraform configuration (`.tf`) rather than a plan.
pub fn is_tf_path(path: &Path) -> bool {
    path.is_dir() || path.extension().is_some_and(|e| e == "tf")
}

/// How to read Terraform input: where the `.tf` files are, and the environment (for the
/// region when no provider configuration sets it).
pub struct Options<'a> {
    pub tf_dir: Option<PathBuf>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Reads a Terraform plan JSON file, pointing findings into the `.tf` files when there are
/// some (`--tf-dir`, or the plan's directory) and into the JSON otherwise.
pub fn read_plan_json(source: SourceFile, options: &Options) -> Result<Plan, Vec<InputError>> {
    let plan_dir = Path::new(source.name())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let tf_dir = match &options.tf_dir {
        Some(dir) => Some(config::check_tf_dir(dir)?),
        None if has_tf_files(&plan_dir) => Some(plan_dir),
        None => None,
    };
    let tf = match tf_dir {
        Some(dir) => Some(config::Config::load(&dir)?),
        None => None,
    };
    plan_json::read(source, tf.as_ref(), options)
}

/// Reads `.tf` configuration directly (a file or a directory): resources whose values are
/// literals or resolvable variables are checked; the rest are `unverified`.
pub fn read_config(path: &Path, options: &Options) -> Result<Plan, Vec<InputError>> {
    config::read_direct(path, options)
}

/// A value of one attribute of one resource instance.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    /// Known before apply, written at `span` in the resource's file; `origins` say where a
    /// variable it comes from was set.
    Known {
        value: String,
        span: SourceSpan,
        origins: Vec<Origin>,
    },
    /// Not known before apply (or not before plan, reading `.tf` directly); `span` is where
    /// it is written, when that is known.
    Unknown {
        why: String,
        span: Option<SourceSpan>,
    },
    /// Not set.
    Absent,
}

/// The region a resource's provider configuration gives, and where it came from.
#[derive(Debug, Clone)]
pub(crate) enum Region {
    Known(String),
    /// No configuration sets it; `why` says what was looked at.
    Missing(String),
}

/// One resource instance to map, whichever input it came from.
pub(crate) struct Resource<'t> {
    pub address: String,
    pub ty: &'t ResourceType,
    /// The file its spans are in, and where its address is (the block header in `.tf`, the
    /// `address` value in plan JSON).
    pub file: SourceFile,
    pub header: SourceSpan,
    /// The instance's image, type, zone, disk and charge attributes (all absent for images).
    pub attrs: resources::InstanceAttrs<Attr>,
    pub region: Region,
    /// How many identical instances (`.tf` read directly with a literal `count`).
    pub count: Attr,
    pub creates: bool,
    pub deletes: bool,
}

/// Collects entries into a plan and says, once, where regions came from.
pub(crate) struct Builder<'a> {
    pub plan: Plan,
    env: &'a dyn Fn(&str) -> Option<String>,
    env_regions: Vec<(Cloud, &'static str, String)>,
}

impl<'a> Builder<'a> {
    pub fn new(source: SourceFile, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            plan: Plan::empty(source),
            env,
            env_regions: Vec::new(),
        }
    }

    /// Adds one resource instance as whatever entry it is.
    pub fn add(&mut self, r: Resource) {
        let cloud = r.ty.cloud();
        let line = r.file.line_of(r.header.offset());
        let name = Value {
            value: r.address.clone(),
            span: r.header,
        };
        let unchecked =
            |reason: String, help: &str, pairing: bool, span: Option<SourceSpan>| Unchecked {
                name: Value {
                    value: r.address.clone(),
                    span: span.unwrap_or(r.header),
                },
                file: r.file.clone(),
                cloud: Some(cloud),
                region: None,
                image: known(&r.attrs.image),
                instance_type: known(&r.attrs.instance_type),
                reason,
                help: help.to_string(),
                pairing,
                line,
            };
        match r.ty.kind {
            Kind::Unsupported { what, pairing } => {
                if r.creates {
                    let reason = format!("preflight does not check {what}");
                    self.plan
                        .unchecked
                        .push(unchecked(reason, UNSUPPORTED_HELP, pairing, None));
                }
            }
            Kind::Image => {
                let region = match self.region(&r) {
                    Ok(region) => region,
                    // Nothing is asked about an API's images when it has no quota call: they
                    // need no region (ZEC images have none; they are made from an instance).
                    Err(_) if !r.ty.api.knows_image_quota() => String::new(),
                    Err(why) => {
                        if r.creates {
                            self.plan
                                .unchecked
                                .push(unchecked(why, REGION_HELP, false, None));
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
                if !r.creates {
                    return;
                }
                let count = match &r.count {
                    Attr::Known { value, .. } => value.parse().unwrap_or(1),
                    Attr::Unknown { why, span } => {
                        let reason = format!("its `count` {why}");
                        self.plan
                            .unchecked
                            .push(unchecked(reason, LATER_HELP, false, *span));
                        return;
                    }
                    Attr::Absent => 1,
                };
                if count == 0 {
                    return;
                }
                self.plan.images.push(ImageCreate {
                    name,
                    named_in_messages: true,
                    cloud: at(cloud, r.header),
                    service: r.ty.api.service(),
                    region: at(region, r.header),
                    count,
                    line,
                    file: r.file.clone(),
                });
            }
            Kind::Instance { .. } => {
                if !r.creates {
                    return;
                }
                let mut unknown = Vec::new();
                let mut first_span = None;
                let zone_key = r.ty.region_from().zone().unwrap_or_default();
                let (charge_key, spot_key) = r.ty.charge_keys();
                for (attr, key) in [
                    (&r.attrs.image, r.ty.image_key()),
                    (&r.attrs.instance_type, r.ty.instance_type_key()),
                    (&r.attrs.region_zone, zone_key),
                    (&r.attrs.charge, charge_key),
                    (&r.attrs.spot, spot_key),
                ] {
                    match attr {
                        Attr::Known { .. } => {}
                        Attr::Unknown { why, span } => {
                            unknown.push(format!("`{key}` {why}"));
                            first_span = first_span.or(*span);
                        }
                        // A missing zone is said by `region` below; an unset charge type is
                        // the provider's default.
                        Attr::Absent if key == zone_key || key == charge_key || key == spot_key => {
                        }
                        Attr::Absent => unknown.push(format!("`{key}` is not set")),
                    }
                }
                if !unknown.is_empty() {
                    let mut u = unchecked(unknown.join("; "), LATER_HELP, true, first_span);
                    u.region = self.region(&r).ok();
                    self.plan.unchecked.push(u);
                    return;
                }
                let region = match self.region(&r) {
                    Ok(region) => region,
                    Err(why) => {
                        self.plan
                            .unchecked
                            .push(unchecked(why, REGION_HELP, true, None));
                        return;
                    }
                };
                let (
                    Attr::Known {
                        value: image,
                        span: image_span,
                        origins: image_origins,
                    },
                    Attr::Known {
                        value: instance_type,
                        span: type_span,
                        origins: type_origins,
                    },
                ) = (&r.attrs.image, &r.attrs.instance_type)
                else {
                    return;
                };
                let mut origins: Vec<Origin> = image_origins.clone();
                origins.extend(type_origins.iter().cloned());
                let system_disk_gb = match &r.attrs.disk {
                    Attr::Known {
                        value,
                        span,
                        origins: disk_origins,
                    } => {
                        origins.extend(disk_origins.iter().cloned());
                        value.parse::<u32>().ok().map(|gb| Value {
                            value: gb,
                            span: *span,
                        })
                    }
                    _ => None,
                };
                let count = match &r.count {
                    Attr::Known { value, .. } => value.parse().unwrap_or(1),
                    _ => 1,
                };
                if count == 0 {
                    return;
                }
                // Where only the network (`vswitch_id`) fixes the zone, the region's answer
                // applies.
                let zone = match &r.attrs.zone {
                    Attr::Known { value, span, .. } if !value.is_empty() => {
                        Some(at(value.clone(), *span))
                    }
                    _ => None,
                };
                let charge_type = resources::charge_type(&r.attrs.charge, &r.attrs.spot);
                self.plan.instances.push(Instance {
                    name,
                    cloud: at(cloud, r.header),
                    region: at(region, r.header),
                    image: at(image.clone(), *image_span),
                    instance_type: at(instance_type.clone(), *type_span),
                    count,
                    system_disk_gb,
                    service: r.ty.api.service(),
                    zone,
                    charge_type,
                    line,
                    file: r.file.clone(),
                    origins,
                    named_in_messages: true,
                });
            }
        }
    }

    /// The region (for Zenlayer the zone) of a resource: from its zone attribute, its
    /// provider configuration, or the cloud's environment variable, in that order.
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
        for var in resources::region_vars(r.ty.cloud()) {
            if let Some(region) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                let region = region.trim().to_string();
                if !self
                    .env_regions
                    .iter()
                    .any(|(c, v, _)| *c == r.ty.cloud() && v == var)
                {
                    self.env_regions.push((r.ty.cloud(), var, region.clone()));
                }
                return Ok(region);
            }
        }
        Err(format!(
            "its region is unknown: {why}, and {} is not set",
            resources::region_vars(r.ty.cloud()).join(" or ")
        ))
    }

    pub fn finish(mut self) -> Plan {
        for (cloud, var, region) in &self.env_regions {
            self.plan.notices.push(format!(
                "{}: no {} provider configuration sets a region, so {cloud} resources use {var}={region}",
                self.plan.path(),
                resources::provider_name(*cloud)
            ));
        }
        self.plan
    }
}

const LATER_HELP: &str = "preflight checks it once the value is known: plan again after what it depends on exists, or let it pass with --allow-unverified";
const REGION_HELP: &str = "set `region` in the provider block, or the environment variable the message names, as Terraform saw it";
const UNSUPPORTED_HELP: &str = "--allow-unverified lets it pass; it is still reported";

/// `cn-north-1a` → `cn-north-1`: a JD Cloud availability zone is its region plus a letter.
fn region_of_zone(az: &str) -> String {
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

/// `module.web[0].module.db["a"]` → `["web", "db"]`: the module path without instance keys.
pub(crate) fn module_path(module_address: &str) -> Vec<String> {
    let mut path = Vec::new();
    let mut rest = module_address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        path.push(after[..end].to_string());
        rest = skip_index(&after[end..]);
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    path
}

/// Skips one `[…]` instance key (which may be a quoted string holding `]`).
fn skip_index(s: &str) -> &str {
    if !s.starts_with('[') {
        return s;
    }
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return &s[i + 1..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_drop_instance_keys() {
        assert_eq!(module_path(""), Vec::<String>::new());
        assert_eq!(module_path("module.web"), ["web"]);
        assert_eq!(module_path("module.web[0].module.db"), ["web", "db"]);
        assert_eq!(
            module_path("module.web[\"a.b]\"].module.db[\"x\"]"),
            ["web", "db"]
        );
    }

    #[test]
    fn jd_zones_name_their_region() {
        assert_eq!(region_of_zone("cn-north-1a"), "cn-north-1");
        assert_eq!(region_of_zone("cn-east-2c"), "cn-east-2");
    }

    #[test]
    fn plan_json_is_told_from_json_written_plans() {
        assert!(is_plan_json(
            r#"{"format_version":"1.2","resource_changes":[]}"#
        ));
        assert!(is_plan_json("\n{\n  \"resource_changes\": []\n}"));
        assert!(!is_plan_json(r#"{"instances":[]}"#));
        assert!(!is_plan_json("instances: []\n"));
    }
}
