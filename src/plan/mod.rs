//! Plans: the YAML a user writes, parsed into values that remember where they were written.
//! `parse` is the only code that reads plan YAML; once a `Plan` exists it is valid (every entry
//! has a known cloud, a region, a unique name, a count of at least 1), and nothing downstream
//! checks again.

mod fast;
mod raw;
pub mod scalar;
mod schema;
pub mod suppress;

use std::collections::HashMap;

use miette::SourceSpan;

use crate::cloud::{Api, ChargeType, Cloud, Service};
use crate::error::{self, InputError};
use crate::source::SourceFile;
pub use raw::RawPlan;
pub use raw::Sp;
use raw::{Id, Name, Text, Whole};
pub use schema::json_schema;

/// The most instances or images one entry may create, and the largest system disk in GB.
pub const MAX_COUNT: i64 = 1_000_000;

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

/// An id: one word of neither white space nor control characters, maybe padded with space.
pub const ID_PATTERN: &str = r"^\s*[^\s\u0000-\u001f\u007f-\u009f]+\s*$";
/// A name: like an id, but with spaces inside allowed.
pub const NAME_PATTERN: &str = r"^\s*[^\s\u0000-\u001f\u007f-\u009f]([^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f])?\s*$";
pub use suppress::Suppression;

/// Plans larger than this are refused before parsing: no real plan comes close.
pub const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;

/// A value from the plan and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<T> {
    pub value: T,
    pub span: SourceSpan,
}

/// Where a value used at `of` was set, when that is somewhere else: a Terraform variable's
/// default, a tfvars line, a module argument. Reports show it beside findings at `of`.
#[derive(Debug, Clone)]
pub struct Origin {
    pub of: SourceSpan,
    pub file: SourceFile,
    pub span: SourceSpan,
    pub label: String,
}

/// One instance entry: a (cloud, region, image, instance type) pairing at a place in a plan.
/// Its spans are in `file`: the plan itself, or for Terraform the `.tf` file of the resource.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: Value<String>,
    /// Where `cloud` was set: on the entry or in `defaults`.
    pub cloud: Value<Cloud>,
    pub region: Value<String>,
    pub image: Value<String>,
    pub instance_type: Value<String>,
    pub count: u32,
    pub system_disk_gb: Option<Value<u32>>,
    /// Zenlayer's service (`vm` for the other clouds).
    pub service: Service,
    /// The availability zone (JD Cloud, Alibaba), where the plan says.
    pub zone: Option<Value<String>>,
    /// How the instances are bought, where the plan says (else postpaid).
    pub charge_type: Option<Value<ChargeType>>,
    /// 1-based line where the entry starts.
    pub line: usize,
    pub file: SourceFile,
    pub origins: Vec<Origin>,
    /// Messages name the entry: a Terraform block can stand for several instances
    /// (`count`, `for_each`), so the span alone does not say which.
    pub named_in_messages: bool,
    /// A side of the pairing known only once Terraform plans: the rules that need it do not
    /// run, and one `unverified` says why; the rest are checked.
    pub unknown: Vec<UnknownSide>,
    /// The module calls that lead to a Terraform resource in a module, outermost first.
    pub callers: Vec<Origin>,
}

/// The side of a pairing a Terraform value leaves unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Image,
    InstanceType,
}

/// One unknown side: which, why (as the end of "`instance_type` …"), and where.
#[derive(Debug, Clone)]
pub struct UnknownSide {
    pub side: Side,
    pub why: String,
    /// What to do about it.
    pub help: String,
    pub span: SourceSpan,
    pub origins: Vec<Origin>,
}

impl Instance {
    /// Whether a side is known (always, for YAML plans).
    pub fn knows(&self, side: Side) -> bool {
        !self.unknown.iter().any(|u| u.side == side)
    }

    /// The API that answers for this entry.
    pub fn api(&self) -> Api {
        Api::of(self.cloud.value, self.service)
    }

    /// How it is bought: what the plan says, else postpaid.
    pub fn charge(&self) -> ChargeType {
        self.charge_type
            .as_ref()
            .map(|c| c.value)
            .unwrap_or_default()
    }
}

/// One custom-image entry: images the deploy creates in a region.
#[derive(Debug, Clone)]
pub struct ImageCreate {
    pub name: Value<String>,
    pub cloud: Value<Cloud>,
    pub service: Service,
    pub region: Value<String>,
    pub count: u32,
    pub line: usize,
    pub file: SourceFile,
    /// As for instances.
    pub named_in_messages: bool,
}

impl ImageCreate {
    pub fn api(&self) -> Api {
        Api::of(self.cloud.value, self.service)
    }
}

/// Custom images a deploy deletes in a region: they free quota (Terraform plans only).
#[derive(Debug, Clone)]
pub struct ImageDelete {
    pub api: Api,
    pub region: String,
    pub count: u32,
}

/// An entry that cannot be checked as written: a value Terraform knows only after apply, a
/// resource Terraform deferred, a cloud service preflight does not ask. Always `unverified`.
#[derive(Debug, Clone)]
pub struct Unchecked {
    /// The entry's name (a Terraform resource address).
    pub name: Value<String>,
    pub file: SourceFile,
    pub cloud: Option<Cloud>,
    pub region: Option<String>,
    pub image: Option<String>,
    pub instance_type: Option<String>,
    /// Why it cannot be checked, as the end of "could not check `name`: …".
    pub reason: String,
    /// What to do about it.
    pub help: String,
    /// True for instances (they count as pairings), false for custom images and whole plans.
    pub pairing: bool,
    pub line: usize,
    /// Where what decides it is written (a module argument, a tfvars line).
    pub origins: Vec<Origin>,
}

impl Unchecked {
    /// A whole entry that cannot be checked (neither side known), at `name`'s span.
    pub fn whole(
        name: Value<String>,
        file: &SourceFile,
        cloud: Option<Cloud>,
        reason: impl Into<String>,
        help: impl Into<String>,
        pairing: bool,
    ) -> Unchecked {
        Unchecked {
            line: file.line_of(name.span.offset()),
            name,
            file: file.clone(),
            cloud,
            region: None,
            image: None,
            instance_type: None,
            reason: reason.into(),
            help: help.into(),
            pairing,
            origins: Vec::new(),
        }
    }

    pub fn with_origins(mut self, origins: Vec<Origin>) -> Unchecked {
        self.origins = origins;
        self
    }
}

/// A parsed, valid plan file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub source: SourceFile,
    pub instances: Vec<Instance>,
    pub images: Vec<ImageCreate>,
    pub suppressions: Vec<Suppression>,
    pub deleted_images: Vec<ImageDelete>,
    pub unchecked: Vec<Unchecked>,
    /// Things said once about this plan (where a Terraform region came from).
    pub notices: Vec<String>,
    /// Files other than `source` that entries point into (`.tf` files), with their
    /// suppression comments.
    pub other_files: Vec<(SourceFile, Vec<Suppression>)>,
}

impl Plan {
    /// The path the user gave (or discovery found).
    pub fn path(&self) -> &str {
        self.source.name()
    }

    /// A plan of `source` with nothing in it yet.
    pub fn empty(source: SourceFile) -> Plan {
        Plan {
            source,
            instances: Vec::new(),
            images: Vec::new(),
            suppressions: Vec::new(),
            deleted_images: Vec::new(),
            unchecked: Vec::new(),
            notices: Vec::new(),
            other_files: Vec::new(),
        }
    }

    /// The suppression comments of `file` (the plan or one of its other files).
    pub fn suppressions_in(&self, file: &str) -> &[Suppression] {
        if file == self.path() {
            return &self.suppressions;
        }
        self.other_files
            .iter()
            .find(|(f, _)| f.name() == file)
            .map_or(&[], |(_, s)| s.as_slice())
    }

    /// Every file of the plan with its suppressions.
    pub fn files(&self) -> impl Iterator<Item = (&SourceFile, &[Suppression])> {
        std::iter::once((&self.source, self.suppressions.as_slice()))
            .chain(self.other_files.iter().map(|(f, s)| (f, s.as_slice())))
    }
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
    // diagnostic, comes from serde-saphyr.
    let raw: RawPlan = match fast::read(source.text()) {
        Some(raw) => raw,
        None => parse_slow(&source)?,
    };
    if raw.instances.is_none() && raw.images.is_none() {
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
    Builder::new(&source).build(raw)
}

/// The plan as serde-saphyr reads it: every case, every diagnostic.
fn parse_slow(source: &SourceFile) -> Result<RawPlan, Vec<InputError>> {
    serde_saphyr::from_str_with_options(source.text(), yaml_options())
        .map_err(|e| vec![error::from_yaml(error::Kind::Plan, source, &e)])
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

/// Options shared by every YAML file preflight reads: strict booleans, duplicate keys refused,
/// and budgets that stop alias bombs and absurd nesting long before memory runs out, while
/// leaving room for plans with hundreds of thousands of entries.
pub fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 8_000_000,
            max_events: 16_000_000,
            max_total_scalar_bytes: MAX_PLAN_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
        },
    }
}

/// Turns raw entries into checked ones, collecting every problem.
struct Builder<'a> {
    source: &'a SourceFile,
    errors: Vec<InputError>,
    default_cloud: Option<Value<Cloud>>,
    default_region: Option<Value<String>>,
    default_service: Option<Value<Service>>,
    default_charge: Option<Value<ChargeType>>,
}

impl<'a> Builder<'a> {
    fn new(source: &'a SourceFile) -> Self {
        Self {
            source,
            errors: Vec::new(),
            default_cloud: None,
            default_region: None,
            default_service: None,
            default_charge: None,
        }
    }

    fn build(mut self, raw: RawPlan) -> Result<Plan, Vec<InputError>> {
        if let Some(defaults) = &raw.defaults {
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
        self.unique_names(instances.iter().map(|i| &i.name), "instance");
        self.unique_names(images.iter().map(|i| &i.name), "image");
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
        let (cloud, region) = self.placement(raw.cloud.as_ref(), raw.region.as_ref(), &raw.name);
        let count = self.count(raw.count.as_ref());
        let system_disk_gb = raw.system_disk_gb.as_ref().and_then(|d| {
            let span = d.span(self.source);
            self.whole_number(d.get().0, span, "system_disk_gb", 1, MAX_COUNT)
                .map(|value| Value { value, span })
        });
        let zone = raw.zone.as_ref().and_then(|z| self.text(z, "zone"));
        let charge_type = match &raw.charge_type {
            Some(c) => Some(self.charge_type(c)?),
            None => self.default_charge.clone(),
        };
        let cloud = cloud?;
        let service = self.entry_service(cloud.value, raw.service.as_ref())?;
        self.fits_the_service(cloud.value, service, zone.as_ref(), charge_type.as_ref())?;
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
        let (cloud, region) = self.placement(raw.cloud.as_ref(), raw.region.as_ref(), &raw.name);
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

    /// The entry's cloud and region, from the entry or else from `defaults`.
    fn placement(
        &mut self,
        cloud: Option<&Sp<Id>>,
        region: Option<&Sp<Id>>,
        name: &Sp<Name>,
    ) -> (Option<Value<Cloud>>, Option<Value<String>>) {
        let name_span = name.span(self.source);
        let cloud = match cloud {
            Some(c) => self.cloud(c),
            None => {
                if self.default_cloud.is_none() {
                    self.missing(name_span, name.get(), "cloud");
                }
                self.default_cloud.clone()
            }
        };
        let region = match region {
            Some(r) => self.text(r, "region"),
            None => {
                if self.default_region.is_none() {
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

    /// Refuses what the service cannot do: a zone for Zenlayer (its region is the zone), spot
    /// instances on Zenlayer, anything but postpaid on Zenlayer Elastic Compute.
    fn fits_the_service(
        &mut self,
        cloud: Cloud,
        service: Service,
        zone: Option<&Value<String>>,
        charge: Option<&Value<ChargeType>>,
    ) -> Option<()> {
        let mut fits = true;
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

    fn unique_names<'v>(&mut self, names: impl Iterator<Item = &'v Value<String>>, what: &str) {
        let mut seen: HashMap<&str, SourceSpan> = HashMap::new();
        for name in names {
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
