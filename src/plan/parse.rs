//! Reading a plan file: YAML (the fast reader where it is sure, serde-saphyr otherwise) into
//! the raw plan, then into a `Plan` that is valid, every problem an input error at its spot.

use std::collections::HashMap;

use miette::SourceSpan;

use super::raw::{self, Id, Name, RawPlan, Sp, Text, Whole};
use super::{ImageCreate, Instance, MAX_COUNT, MAX_PLAN_BYTES, Plan, Value, fast, suppress};
use crate::cloud::{Api, ChargeType, Cloud, Service};
use crate::error::{self, InputError};
use crate::source::SourceFile;
use crate::yaml::recover;

/// White space as JSON Schema patterns (ECMA-262 `\s`) have it, so that the parser trims and
/// refuses exactly what the schema's patterns do.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Parses one plan file. Every problem found is returned, not just the first, where the YAML
/// itself could be read.
pub fn parse(source: SourceFile) -> Result<Plan, Vec<InputError>> {
    if source.text().len() > MAX_PLAN_BYTES {
        return Err(vec![InputError::in_file(
            "plan::too-large",
            source.name(),
            format!(
                "the plan is {} MiB; preflight reads plans up to {} MiB",
                source.text().len() / (1024 * 1024),
                MAX_PLAN_BYTES / (1024 * 1024)
            ),
        )]);
    }
    let has_content = source
        .text()
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Err(vec![
            InputError::in_file("plan::empty", source.name(), "the plan file is empty")
                .with_help("a plan lists `instances:` and/or `images:`; `preflight schema` describes the format"),
        ]);
    }
    // Ordinary plans are read straight from the parser's events; anything else, and every
    // diagnostic, comes from serde-saphyr, read again past each error.
    let (raw, errors, cut) = match fast::read(source.text()) {
        Some(raw) => (raw, Vec::new(), recover::Cut::default()),
        None => match recover::read::<RawPlan>(&source, error::Kind::Plan) {
            recover::Recovered {
                value: Some(raw),
                errors,
                cut,
            } => (raw, errors, cut),
            recover::Recovered { errors, .. } => return Err(errors),
        },
    };
    if errors.is_empty() && raw.instances.is_none() && raw.images.is_none() {
        return Err(vec![
            InputError::at(
                "plan::empty",
                &source,
                SourceSpan::new(0.into(), 0),
                "the plan has neither `instances` nor `images`, so there is nothing to check",
                "",
            )
            .with_help("add an `instances:` list (or `instances: []` to say so on purpose)"),
        ]);
    }
    // The plan's own checks speak of what could be read, beside the errors that cut the rest.
    match Builder::new(&source, cut).build(raw) {
        Ok(plan) if errors.is_empty() => Ok(plan),
        built => Err(crate::yaml::in_order(
            errors,
            built.err().unwrap_or_default(),
        )),
    }
}

/// The plan as serde-saphyr reads it: every case, every diagnostic.
fn parse_slow(source: &SourceFile) -> Result<RawPlan, Vec<InputError>> {
    crate::yaml::read(source, error::Kind::Plan).map_err(|e| vec![e])
}

/// Both readers' raw plans, for the property test that they agree. `None` where the fast
/// reader declines.
#[doc(hidden)]
pub fn both_readers(text: &str) -> Option<(String, Result<String, ()>)> {
    let fast = fast::read(text)?;
    let source = SourceFile::new("p.yaml", text);
    let slow = parse_slow(&source).map_err(|_| ());
    let show = |r: &RawPlan| raw::describe(r, &source);
    Some((show(&fast), slow.as_ref().map(show).map_err(|_| ())))
}

/// The parser's options, as every YAML file preflight reads has them (`yaml::options`).
pub fn yaml_options() -> serde_saphyr::Options {
    crate::yaml::options()
}

/// A key only some clouds read (`vswitch`: Alibaba), the clouds, and its value if written.
type CloudsOnly<'v> = (&'static str, &'static [Cloud], Option<&'v Value<String>>);

/// Turns raw entries into checked ones, collecting every problem.
struct Builder<'a> {
    source: &'a SourceFile,
    errors: Vec<InputError>,
    default_cloud: Option<Value<Cloud>>,
    /// `defaults` names a cloud (or a region) that is wrong: that error is said once, at
    /// `defaults`, not again as "has no cloud" at every entry.
    default_cloud_written: bool,
    default_region_written: bool,
    default_region: Option<Value<String>>,
    default_service: Option<Value<Service>>,
    default_charge: Option<Value<ChargeType>>,
    /// What reading cut out past errors, so that it is not reported again.
    cut: recover::Cut,
}

impl<'a> Builder<'a> {
    fn new(source: &'a SourceFile, cut: recover::Cut) -> Self {
        Self {
            source,
            cut,
            errors: Vec::new(),
            default_cloud: None,
            default_cloud_written: false,
            default_region_written: false,
            default_region: None,
            default_service: None,
            default_charge: None,
        }
    }

    fn build(mut self, raw: RawPlan) -> Result<Plan, Vec<InputError>> {
        // `defaults` cut out for an error: what the entries lack may have been written there.
        self.default_cloud_written = self.cut.defaults;
        self.default_region_written = self.cut.defaults;
        if let Some(defaults) = &raw.defaults {
            self.default_cloud_written |= defaults.cloud.is_some();
            self.default_region_written |= defaults.region.is_some();
            self.default_cloud = defaults.cloud.as_ref().and_then(|c| self.cloud(c));
            self.default_region = defaults
                .region
                .as_ref()
                .and_then(|r| self.text(r, "region"));
            self.default_service = defaults.service.as_ref().and_then(|s| self.service(s));
            self.default_charge = defaults
                .charge_type
                .as_ref()
                .and_then(|c| self.charge_type(c));
        }
        let instances: Vec<Instance> = raw
            .instances
            .iter()
            .flat_map(|list| list.get())
            .filter_map(|entry| self.instance(entry))
            .collect();
        let images: Vec<ImageCreate> = raw
            .images
            .iter()
            .flat_map(|list| list.get())
            .filter_map(|entry| self.image(entry))
            .collect();
        // Every entry's name, valid or not: a duplicate is said with the other errors.
        let source = self.source;
        let named = |name: &Sp<Name>| Value {
            value: name.get().trim_matches(is_space).to_string(),
            span: name.span(source),
        };
        let instance_names: Vec<Value<String>> = raw
            .instances
            .iter()
            .flat_map(|list| list.get())
            .map(|entry| named(&entry.get().name))
            .collect();
        let image_names: Vec<Value<String>> = raw
            .images
            .iter()
            .flat_map(|list| list.get())
            .map(|entry| named(&entry.get().name))
            .collect();
        let (instance_names, image_names) = (
            self.with_cut_names(instance_names, "instances"),
            self.with_cut_names(image_names, "images"),
        );
        self.unique_names(instance_names.iter(), "instance");
        self.unique_names(image_names.iter(), "image");
        let suppressions = match suppress::parse(self.source) {
            Ok(s) => s,
            Err(mut e) => {
                self.errors.append(&mut e);
                Vec::new()
            }
        };
        if self.errors.is_empty() {
            Ok(Plan {
                instances,
                images,
                suppressions,
                ..Plan::empty(self.source.clone())
            })
        } else {
            Err(self.errors)
        }
    }

    fn instance(&mut self, entry: &Sp<raw::RawInstance>) -> Option<Instance> {
        let raw = entry.get();
        let line = self.source.line_of(entry.span(self.source).offset());
        let name = self.text(&raw.name, "name");
        let image = self.text(&raw.image, "image");
        let instance_type = self.text(&raw.instance_type, "instance_type");
        let at = entry.span(self.source).offset();
        let (cloud, region) =
            self.placement(at, raw.cloud.as_ref(), raw.region.as_ref(), &raw.name);
        let count = self.count(raw.count.as_ref());
        let system_disk_gb = raw.system_disk_gb.as_ref().and_then(|d| {
            let span = d.span(self.source);
            self.whole_number(d.get().0, span, "system_disk_gb", 1, MAX_COUNT)
                .map(|value| Value { value, span })
        });
        let zone = raw.zone.as_ref().and_then(|z| self.text(z, "zone"));
        let vswitch = raw.vswitch.as_ref().and_then(|v| self.text(v, "vswitch"));
        let disk_category = raw
            .system_disk_category
            .as_ref()
            .and_then(|c| self.text(c, "system_disk_category"));
        let data_disks = self.data_disks(raw.data_disks.as_ref());
        let charge_type = match &raw.charge_type {
            Some(c) => Some(self.charge_type(c)?),
            None => self.default_charge.clone(),
        };
        let cloud = cloud?;
        let service = self.entry_service(cloud.value, raw.service.as_ref())?;
        // Where `data_disks` is written, to say so when the cloud does not read it.
        let data_disks_key = raw.data_disks.as_ref().map(|d| Value {
            value: String::new(),
            span: d.span(self.source),
        });
        self.fits_the_service(
            cloud.value,
            service,
            zone.as_ref(),
            &[
                ("vswitch", &[Cloud::Aliyun], vswitch.as_ref()),
                (
                    "data_disks",
                    &[Cloud::Aliyun, Cloud::Jdcloud],
                    data_disks_key.as_ref(),
                ),
            ],
            charge_type.as_ref(),
        )?;
        Some(Instance {
            name: name?,
            cloud,
            region: region?,
            image: image?,
            instance_type: instance_type?,
            count: count?,
            system_disk_gb,
            service,
            zone,
            vswitch,
            system_disk_category: disk_category.map(|value| crate::plan::DiskCategory {
                value,
                default: false,
            }),
            data_disks: data_disks?,
            group_vswitches: None,
            security_groups: None,
            classic_network: None,
            adds_instances: true,
            charge_type,
            line,
            file: self.source.clone(),
            origins: Vec::new(),
            named_in_messages: false,
            unknown: Vec::new(),
            callers: Vec::new(),
        })
    }

    fn image(&mut self, entry: &Sp<raw::RawImage>) -> Option<ImageCreate> {
        let raw = entry.get();
        let line = self.source.line_of(entry.span(self.source).offset());
        let name = self.text(&raw.name, "name");
        let at = entry.span(self.source).offset();
        let (cloud, region) =
            self.placement(at, raw.cloud.as_ref(), raw.region.as_ref(), &raw.name);
        let count = self.count(raw.count.as_ref());
        let cloud = cloud?;
        let service = self.entry_service(cloud.value, raw.service.as_ref())?;
        Some(ImageCreate {
            name: name?,
            cloud,
            service,
            region: region?,
            count: count?,
            line,
            file: self.source.clone(),
            named_in_messages: false,
        })
    }

    /// The data disks as written: each a category and, where given, a size in range.
    fn data_disks(
        &mut self,
        disks: Option<&Sp<Vec<Sp<raw::RawDataDisk>>>>,
    ) -> Option<Vec<crate::plan::DataDisk>> {
        let mut all = Some(Vec::new());
        for disk in disks.iter().flat_map(|d| d.get()) {
            let disk = disk.get();
            let category = self.text(&disk.category, "category");
            let size_gb = match &disk.size_gb {
                Some(size) => {
                    let span = size.span(self.source);
                    self.whole_number(size.get().0, span, "size_gb", 1, MAX_COUNT)
                        .map(|value| Some(Value { value, span }))
                }
                None => Some(None),
            };
            match (category, size_gb, all.as_mut()) {
                (Some(value), Some(size_gb), Some(all)) => all.push(crate::plan::DataDisk {
                    category: Some(crate::plan::DiskCategory {
                        value,
                        default: false,
                    }),
                    size_gb,
                }),
                _ => all = None,
            }
        }
        all
    }

    /// The entry's cloud and region, from the entry or else from `defaults`. `entry` is where
    /// the entry starts: a key cut from it as a typo of `cloud` or `region` is not also missing.
    fn placement(
        &mut self,
        entry: usize,
        cloud: Option<&Sp<Id>>,
        region: Option<&Sp<Id>>,
        name: &Sp<Name>,
    ) -> (Option<Value<Cloud>>, Option<Value<String>>) {
        let name_span = name.span(self.source);
        let cloud = match cloud {
            Some(c) => self.cloud(c),
            None => {
                if !self.default_cloud_written && !self.cut.meant(entry, "cloud") {
                    self.missing(name_span, name.get(), "cloud");
                }
                self.default_cloud.clone()
            }
        };
        let region = match region {
            Some(r) => self.text(r, "region"),
            None => {
                if !self.default_region_written && !self.cut.meant(entry, "region") {
                    self.missing(name_span, name.get(), "region");
                }
                self.default_region.clone()
            }
        };
        (cloud, region)
    }

    fn missing(&mut self, span: SourceSpan, name: &str, key: &str) {
        self.errors.push(
            InputError::at(
                "plan::missing-key",
                self.source,
                span,
                format!("entry `{name}` has no {key}"),
                format!("no `{key}` here or in `defaults`"),
            )
            .with_help(format!(
                "add `{key}:` to this entry, or set `defaults.{key}` for the whole plan"
            )),
        );
    }

    fn cloud(&mut self, value: &Sp<Id>) -> Option<Value<Cloud>> {
        let span = value.span(self.source);
        match Cloud::parse(value.get()) {
            Some(cloud) => Some(Value { value: cloud, span }),
            None => {
                let names = Cloud::ALL.map(Cloud::as_str);
                let help = match crate::suggest::best(value.get(), names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("preflight knows {}", crate::suggest::quoted_list(&names)),
                };
                self.errors.push(
                    InputError::at(
                        "plan::unknown-cloud",
                        self.source,
                        span,
                        format!("unknown cloud `{}`", value.get()),
                        "not a cloud preflight knows",
                    )
                    .with_help(help),
                );
                None
            }
        }
    }

    /// A named value from a fixed list (`charge_type`, `service`), with "did you mean".
    fn choice<T: Copy>(
        &mut self,
        value: &Sp<Id>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Option<Value<T>> {
        let span = value.span(self.source);
        if let Some(v) = parse(value.get()) {
            return Some(Value { value: v, span });
        }
        let help = match crate::suggest::best(value.get(), names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("`{key}` is one of {}", crate::suggest::quoted_list(names)),
        };
        self.errors.push(
            InputError::at(
                "plan::bad-value",
                self.source,
                span,
                format!("unknown {key} `{}`", value.get()),
                format!("not a {key}"),
            )
            .with_help(help),
        );
        None
    }

    fn charge_type(&mut self, value: &Sp<Id>) -> Option<Value<ChargeType>> {
        let names = ChargeType::ALL.map(ChargeType::as_str);
        self.choice(value, "charge_type", ChargeType::parse, &names)
    }

    fn service(&mut self, value: &Sp<Id>) -> Option<Value<Service>> {
        let names = Service::ALL.map(Service::as_str);
        self.choice(value, "service", Service::parse, &names)
    }

    /// The entry's service: its own (Zenlayer only), else the default (for Zenlayer).
    fn entry_service(&mut self, cloud: Cloud, own: Option<&Sp<Id>>) -> Option<Service> {
        match own {
            Some(s) if cloud != Cloud::Zenlayer => {
                self.errors.push(
                    InputError::at(
                        "plan::bad-value",
                        self.source,
                        s.span(self.source),
                        format!(
                            "`service` is for Zenlayer entries; {} has one service",
                            cloud.display_name()
                        ),
                        "not for this cloud",
                    )
                    .with_help("remove `service` from this entry"),
                );
                None
            }
            Some(s) => self.service(s).map(|v| v.value),
            None if cloud == Cloud::Zenlayer => Some(
                self.default_service
                    .as_ref()
                    .map(|v| v.value)
                    .unwrap_or_default(),
            ),
            None => Some(Service::Vm),
        }
    }

    /// Refuses what the service cannot do: a zone for Zenlayer (its region is the zone),
    /// Alibaba's keys (a vSwitch, a disk category) anywhere else, spot instances on Zenlayer,
    /// anything but postpaid on Zenlayer Elastic Compute.
    fn fits_the_service(
        &mut self,
        cloud: Cloud,
        service: Service,
        zone: Option<&Value<String>>,
        only_for: &[CloudsOnly],
        charge: Option<&Value<ChargeType>>,
    ) -> Option<()> {
        let mut fits = true;
        for &(key, clouds, value) in only_for {
            let Some(value) = value.filter(|_| !clouds.contains(&cloud)) else {
                continue;
            };
            let names: Vec<&str> = clouds.iter().map(|c| c.display_name()).collect();
            let ids: Vec<&str> = clouds.iter().map(|c| c.as_str()).collect();
            self.errors.push(
                InputError::at(
                    "plan::bad-value",
                    self.source,
                    value.span,
                    format!(
                        "`{key}` is for {} instances; preflight does not read it for {} instances",
                        names.join(" and "),
                        cloud.display_name()
                    ),
                    "not for this cloud",
                )
                .with_help(format!(
                    "remove `{key}`, or set `cloud: {}` if the entry is {}'s",
                    ids.join("` or `cloud: "),
                    names.join(" or ")
                )),
            );
            fits = false;
        }
        if let (Cloud::Zenlayer, Some(zone)) = (cloud, zone) {
            self.errors.push(
                InputError::at(
                    "plan::bad-value",
                    self.source,
                    zone.span,
                    "Zenlayer's `region` already is the zone",
                    "not for Zenlayer",
                )
                .with_help("put the zone id (such as `FRA-A`) in `region` and remove `zone`"),
            );
            fits = false;
        }
        let refused = charge.and_then(|c| Api::of(cloud, service).refuses(c.value));
        if let (Some(message), Some(charge)) = (refused, charge) {
            self.errors.push(
                InputError::at(
                    "plan::bad-value",
                    self.source,
                    charge.span,
                    message,
                    "not sold this way",
                )
                .with_help("set `charge_type` on this entry to one the service sells"),
            );
            fits = false;
        }
        fits.then_some(())
    }

    fn text<const ID: bool>(&mut self, value: &Sp<Text<ID>>, key: &str) -> Option<Value<String>> {
        let span = value.span(self.source);
        let text = value.get().trim_matches(is_space);
        if text.is_empty() {
            self.errors.push(InputError::at(
                "plan::empty-value",
                self.source,
                span,
                format!("`{key}` is empty"),
                "needs a value",
            ));
            return None;
        }
        // Cloud ids never contain white space; one that does is a folded or pasted typo.
        let forbidden = |c: char| c.is_control() || (ID && is_space(c));
        if text.chars().any(forbidden) {
            self.errors.push(
                InputError::at(
                    "plan::bad-value",
                    self.source,
                    span,
                    format!("`{key}` contains white space or a control character: {text:?}"),
                    "not a valid id",
                )
                .with_help(
                    "ids are one word; check for a line break inside quotes or a pasted tab",
                ),
            );
            return None;
        }
        Some(Value {
            value: text.to_string(),
            span,
        })
    }

    fn count(&mut self, value: Option<&Sp<Whole>>) -> Option<u32> {
        match value {
            None => Some(1),
            Some(v) => {
                let span = v.span(self.source);
                self.whole_number(v.get().0, span, "count", 1, MAX_COUNT)
            }
        }
    }

    fn whole_number(
        &mut self,
        n: i64,
        span: SourceSpan,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<u32> {
        if (min..=max).contains(&n) {
            return u32::try_from(n).ok();
        }
        self.errors.push(
            InputError::at(
                "plan::out-of-range",
                self.source,
                span,
                format!("`{key}` must be between {min} and {max}, not {n}"),
                "out of range",
            )
            .with_help(if n < min && key == "count" {
                "remove the entry to create none; `count` defaults to 1".to_string()
            } else {
                format!("use a whole number from {min} to {max}")
            }),
        );
        None
    }

    /// `names` with those of the `list`'s entries that were cut out for an error, in the
    /// order they are written.
    fn with_cut_names(&self, mut names: Vec<Value<String>>, list: &str) -> Vec<Value<String>> {
        let cut = self.cut.names.iter().filter(|(l, ..)| l == list);
        names.extend(cut.map(|(_, name, at)| Value {
            value: name.trim_matches(is_space).to_string(),
            span: SourceSpan::new(at.start.into(), at.len()),
        }));
        names.sort_by_key(|n| n.span.offset());
        names
    }

    fn unique_names<'v>(&mut self, names: impl Iterator<Item = &'v Value<String>>, what: &str) {
        let mut seen: HashMap<&str, SourceSpan> = HashMap::new();
        for name in names.filter(|n| !n.value.is_empty()) {
            if let Some(first) = seen.get(name.value.as_str()) {
                self.errors.push(
                    InputError::at(
                        "plan::duplicate-name",
                        self.source,
                        name.span,
                        format!("duplicate {what} name `{}`", name.value),
                        "used again here",
                    )
                    .with_label(*first, "first used here")
                    .with_help(format!("give each {what} entry its own name")),
                );
            } else {
                seen.insert(&name.value, name.span);
            }
        }
    }
}
