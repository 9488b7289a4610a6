//! Terraform plan JSON (`terraform show -json tfplan`, format 1.x): the resources a plan
//! creates, replaces or deletes, with the values Terraform computed. serde_json's `RawValue`
//! borrows every value from the text, so each one's byte span is where it lies in the file,
//! minified or not.

use std::collections::HashMap;

use miette::SourceSpan;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::build::Builder;
use super::eval::Evaluator;
use super::instances::steps;
use super::modules::Config;
use super::resources::{self, ImageRegion, Kind};
use super::{Attr, DiskAttrs, Options, Region, Resource, locate};
use crate::error::InputError;
use crate::plan::{Plan, Unchecked, Value};
use crate::source::SourceFile;

#[derive(Deserialize)]
struct PlanJson<'a> {
    #[serde(borrow)]
    format_version: Option<&'a RawValue>,
    #[serde(default)]
    terraform_version: Option<String>,
    #[serde(borrow)]
    resource_changes: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    deferred_changes: Vec<Deferred<'a>>,
    #[serde(borrow)]
    complete: Option<&'a RawValue>,
    #[serde(borrow)]
    planned_values: Option<&'a RawValue>,
    #[serde(default)]
    variables: HashMap<String, Variable>,
    configuration: Option<Configuration>,
}

#[derive(Deserialize)]
struct Deferred<'a> {
    #[serde(default)]
    reason: Option<String>,
    #[serde(borrow)]
    resource_change: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Variable {
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct Configuration {
    #[serde(default)]
    provider_config: HashMap<String, ProviderConfig>,
    #[serde(default)]
    root_module: ModuleConfig,
}

#[derive(Deserialize)]
struct ProviderConfig {
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    expressions: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct ModuleConfig {
    #[serde(default)]
    resources: Vec<ConfigResource>,
    #[serde(default)]
    module_calls: HashMap<String, ModuleCall>,
}

#[derive(Deserialize)]
struct ConfigResource {
    address: String,
    #[serde(default)]
    provider_config_key: Option<String>,
    #[serde(default)]
    expressions: serde_json::Value,
}

#[derive(Deserialize)]
struct ModuleCall {
    #[serde(default)]
    module: ModuleConfig,
}

#[derive(Deserialize)]
struct ResourceChange<'a> {
    #[serde(borrow)]
    address: &'a RawValue,
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    ty: String,
    name: String,
    /// The instance key (`count` index or `for_each` key).
    #[serde(default)]
    index: Option<serde_json::Value>,
    #[serde(borrow)]
    change: Change<'a>,
    #[serde(default)]
    provider_name: Option<String>,
}

#[derive(Deserialize)]
struct Change<'a> {
    actions: Vec<String>,
    #[serde(borrow, default)]
    before: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after_unknown: Option<&'a RawValue>,
}

/// Reads the plan; `tf` is the configuration to point into, if there is one.
pub(super) fn read(
    source: SourceFile,
    tf: Option<&Config>,
    options: &Options,
) -> Result<Plan, Vec<InputError>> {
    let text = source.text();
    let plan: PlanJson = serde_json::from_str(text).map_err(|e| vec![json_error(&source, &e)])?;
    check_version(&source, plan.format_version)?;
    // Terraform leaves `resource_changes` out when nothing changes (a data-only root, every
    // resource behind `count = 0`): a plan with nothing to check. A state file has neither
    // planned values nor configuration.
    let nothing: Vec<&RawValue> = Vec::new();
    let is_plan = plan.planned_values.is_some() || plan.configuration.is_some();
    let changes = match &plan.resource_changes {
        Some(changes) => changes,
        None if is_plan => &nothing,
        None => return Err(vec![
            InputError::at(
                "terraform::not-a-plan",
                &source,
                SourceSpan::new(0.into(), 1),
                "this Terraform JSON has no `resource_changes`, so it is not a plan",
                "",
            )
            .with_help("`terraform show -json` of a saved plan (`terraform plan -out tfplan`) has them; a state file does not"),
        ]),
    };
    let regions = Regions {
        configuration: plan.configuration.as_ref(),
        variables: &plan.variables,
    };
    let ev = tf.map(Evaluator::new);
    // Every planned `after`, by address: a custom image's zone is its instance's.
    let afters: HashMap<String, &RawValue> = changes
        .iter()
        .filter_map(|raw| {
            let rc: ResourceChange = serde_json::from_str(raw.get()).ok()?;
            let address: String = serde_json::from_str(rc.address.get()).ok()?;
            Some((address, rc.change.after?))
        })
        .collect();
    let mut builder = Builder::new(source.clone(), options.env);
    let mut errors = Vec::new();
    let mut unmatched = 0;
    let mut tool = None;
    for raw in changes {
        let rc: ResourceChange = match serde_json::from_str(raw.get()) {
            Ok(rc) => rc,
            Err(e) => {
                errors.push(shape_error(&source, raw, &e));
                continue;
            }
        };
        tool = tool.or_else(|| tool_of(rc.provider_name.as_deref()?));
        if rc.mode.as_deref() == Some("data") {
            continue;
        }
        if resources::NOT_CHECKED.contains(&rc.ty.as_str()) {
            if rc.change.actions.iter().any(|a| a == "create") {
                let address: String = serde_json::from_str(rc.address.get()).unwrap_or_default();
                builder.not_read(&address);
            }
            continue;
        }
        let Some(ty) = resources::lookup(&rc.ty) else {
            continue;
        };
        let actions: Vec<&str> = rc.change.actions.iter().map(String::as_str).collect();
        let (creates, deletes) = match actions.as_slice() {
            ["create"] => (true, false),
            // Replaced: the old one goes first, so it frees its place.
            ["delete", "create"] => (true, true),
            // Create before destroy: both exist for a while.
            ["create", "delete"] => (true, false),
            ["delete"] => (false, true),
            // An update that changes the image or type makes a new pairing (Alibaba
            // replaces the system disk and changes the spec in place).
            ["update"] => (changes_pairing(ty, &rc.change), false),
            _ => (false, false),
        };
        if !creates && !deletes {
            continue;
        }
        let mut resource = from_json(&source, ty, &rc, &regions, creates, deletes);
        if let ImageRegion::FromInstance { instance, zone } = image_region(ty) {
            resource.source_zone = regions.of_referenced(&rc, instance, zone, &afters, &source);
        }
        if let Some(g) = ty.launches().and_then(|l| l.group) {
            resource.group_vswitches =
                g.vswitches_by(|key| regions.of_referenced(&rc, g.attr, key, &afters, &source));
        }
        if let Some(ev) = &ev {
            let module = rc.module_address.as_deref().unwrap_or("");
            if !locate::locate(ev, module, &rc.name, rc.index.as_ref(), &mut resource) {
                unmatched += 1;
            }
        }
        builder.add(resource);
    }
    for deferred in &plan.deferred_changes {
        if let Some(u) = deferred_entry(&source, deferred) {
            builder.plan.unchecked.push(u);
        }
    }
    if let Some(e) = ev.as_ref().and_then(|ev| ev.budget.error()) {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if plan.complete.is_none() && plan.resource_changes.is_some() {
        // OpenTofu and older Terraform do not say: a `-target` or `-exclude` plan looks whole.
        builder.plan.notices.push(format!(
            "{}: the plan does not say whether it is complete (OpenTofu and older Terraform write no `complete`), so resources a `-target` or `-exclude` left out would not show here",
            source.name()
        ));
    }
    let partial = plan.complete.filter(|c| c.get().trim() == "false");
    if let Some(complete) = partial {
        let name = Value {
            value: source.name().to_string(),
            span: span_of(&source, complete),
        };
        builder.plan.unchecked.push(Unchecked::whole(
            name,
            &source,
            None,
            "the plan is partial (`complete: false`): Terraform will plan the rest after this apply, and those resources were not checked",
            NEXT_PLAN_HELP,
            false,
        ));
    }
    if let Some(tf) = tf
        && unmatched > 0
    {
        builder.plan.notices.push(format!(
            "{}: {unmatched} of its resources {} not in the .tf files under `{}`, so their findings point into the plan JSON",
            source.name(),
            if unmatched == 1 { "is" } else { "are" },
            tf.root_dir()
        ));
    }
    builder.nothing_planned = plan.resource_changes.is_none();
    let version = plan
        .terraform_version
        .as_deref()
        .unwrap_or("of an unknown version");
    let written_by = match tool {
        Some(tool) => format!("{tool} {version}"),
        None => format!(
            "Terraform or OpenTofu {version} (no provider from either's registry says which)"
        ),
    };
    let mut plan = builder.finish();
    plan.written_by = Some(written_by);
    if let Some(tf) = tf {
        plan.other_files = tf.files_with_suppressions()?;
    }
    Ok(plan)
}

/// Which tool wrote a plan, from a provider's address: OpenTofu names the providers of its
/// default registry `registry.opentofu.org/…`, Terraform `registry.terraform.io/…`; both
/// write their own version as `terraform_version`.
fn tool_of(provider: &str) -> Option<&'static str> {
    if provider.starts_with("registry.opentofu.org/") {
        Some("OpenTofu")
    } else if provider.starts_with("registry.terraform.io/") {
        Some("Terraform")
    } else {
        None
    }
}

/// Accepts format 1.x, the only one there is; a new major would mean a new shape.
fn check_version(source: &SourceFile, version: Option<&RawValue>) -> Result<(), Vec<InputError>> {
    let Some(raw) = version else {
        return Err(vec![
            InputError::at(
                "terraform::bad-version",
                source,
                SourceSpan::new(0.into(), 1),
                "this Terraform plan JSON has no `format_version`",
                "",
            )
            .with_help("write it with `terraform show -json tfplan`"),
        ]);
    };
    let version: String = serde_json::from_str(raw.get()).unwrap_or_default();
    if version.split('.').next() == Some("1") {
        return Ok(());
    }
    Err(vec![
        InputError::at(
            "terraform::bad-version",
            source,
            span_of(source, raw),
            format!(
                "Terraform plan JSON format `{}` is not supported: preflight reads format 1.x",
                if version.is_empty() {
                    raw.get()
                } else {
                    &version
                }
            ),
            "unsupported format",
        )
        .with_help("Terraform 0.12 to 1.x write format 1.x; a newer preflight may read this one"),
    ])
}

/// Where a borrowed value lies in the file.
fn span_of(source: &SourceFile, raw: &RawValue) -> SourceSpan {
    let offset = (raw.get().as_ptr() as usize).saturating_sub(source.text().as_ptr() as usize);
    SourceSpan::new(offset.into(), raw.get().len())
}

fn json_error(source: &SourceFile, e: &serde_json::Error) -> InputError {
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    let offset = source.offset_of(e.line(), e.column());
    InputError::at(
        "terraform::bad-json",
        source,
        SourceSpan::new(offset.into(), 0),
        format!("the Terraform plan is not valid JSON: {message}"),
        "here",
    )
    .with_help("write it again with `terraform show -json tfplan > tfplan.json`")
}

/// A resource change that does not have the shape Terraform writes.
fn shape_error(source: &SourceFile, raw: &RawValue, e: &serde_json::Error) -> InputError {
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message);
    InputError::at(
        "terraform::bad-plan",
        source,
        SourceSpan::new(span_of(source, raw).offset().into(), 1),
        format!("a resource change is not as Terraform writes it: {message}"),
        "this resource change",
    )
}

/// The resource as the plan JSON says it; spans point into the JSON.
fn from_json<'t>(
    source: &SourceFile,
    ty: &'t resources::ResourceType,
    rc: &ResourceChange,
    regions: &Regions,
    creates: bool,
    deletes: bool,
) -> Resource<'t> {
    let address: String = serde_json::from_str(rc.address.get()).unwrap_or_default();
    // The object is read once; each attribute is a lookup in it.
    let after: Fields = rc
        .change
        .after
        .and_then(|a| serde_json::from_str(a.get()).ok())
        .unwrap_or_default();
    let unknown: serde_json::Value = rc
        .change
        .after_unknown
        .and_then(|u| serde_json::from_str(u.get()).ok())
        .unwrap_or(serde_json::Value::Null);
    let attrs = ty.instance_attrs(
        |path| json_attr(source, &after, &unknown, path),
        || Attr::Absent,
    );
    let data_disks = match ty.launches().and_then(|l| l.data_disks) {
        Some(d) => json_data_disks(source, &after, &unknown, d),
        None => Vec::new(),
    };
    Resource {
        address,
        ty,
        file: source.clone(),
        header: span_of(source, rc.address),
        attrs,
        data_disks,
        group_vswitches: Attr::Absent,
        source_zone: Attr::Absent,
        region: regions.of(ty, rc),
        callers: Vec::new(),
        creates,
        deletes,
    }
}

/// The data disks in the plan, each block a JSON object in a list; a value known only after
/// apply is unknown.
fn json_data_disks(
    source: &SourceFile,
    after: &Fields,
    unknown: &serde_json::Value,
    d: &resources::DataDisks,
) -> Vec<DiskAttrs> {
    let Some(list) = after
        .get(d.block)
        .filter(|v| v.get().trim_start().starts_with('['))
    else {
        return Vec::new();
    };
    let items: Vec<&RawValue> = serde_json::from_str(list.get()).unwrap_or_default();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let read = |key: &str| {
                if unknown[d.block][i][key].as_bool() == Some(true) {
                    unknown_after_apply()
                } else {
                    field(item, key).map_or(Attr::Absent, |v| scalar(source, v))
                }
            };
            DiskAttrs {
                category: read(d.category),
                size: read(d.size),
            }
        })
        .collect()
}

/// A JSON object's values, borrowed from the text.
type Fields<'a> = HashMap<std::borrow::Cow<'a, str>, &'a RawValue>;

/// One attribute (a path through nested blocks, which plan JSON writes as one-element lists).
/// An empty string is no value: the cloud would be asked about the id "".
fn json_attr(
    source: &SourceFile,
    after: &Fields,
    unknown: &serde_json::Value,
    path: &[&str],
) -> Attr {
    let mut u = unknown;
    let unknown_now = |u: &serde_json::Value| u.as_bool() == Some(true);
    if unknown_now(u) {
        return unknown_after_apply();
    }
    let mut current: Option<&RawValue> = None;
    for (i, key) in path.iter().enumerate() {
        current = if i == 0 {
            after.get(*key).copied().filter(|v| v.get() != "null")
        } else {
            current.and_then(|raw| field(raw, key))
        };
        u = match u {
            serde_json::Value::Array(items) => items
                .first()
                .and_then(|o| o.get(key))
                .unwrap_or(&serde_json::Value::Null),
            other => other.get(key).unwrap_or(&serde_json::Value::Null),
        };
        if unknown_now(u) {
            return unknown_after_apply();
        }
    }
    let Some(raw) = current else {
        return Attr::Absent;
    };
    scalar_or_list(source, raw)
}

/// A string or number, or a list of them (a scaling configuration's `instance_types`), each
/// at its place in the JSON. A list within the list is no value preflight reads: it is not
/// looked into (a hostile plan nests them thousands deep).
fn scalar_or_list(source: &SourceFile, raw: &RawValue) -> Attr {
    if raw.get().trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).unwrap_or_default();
        return Attr::List(items.into_iter().map(|i| scalar(source, i)).collect());
    }
    scalar(source, raw)
}

fn scalar(source: &SourceFile, raw: &RawValue) -> Attr {
    let value = match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Ok(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Attr::Absent,
    };
    Attr::Known {
        value,
        span: span_of(source, raw),
        origins: Vec::new(),
    }
}

fn unknown_after_apply() -> Attr {
    Attr::Unknown {
        why: "is known only after apply".to_string(),
        span: None,
        origins: Vec::new(),
    }
}

fn image_region(ty: &resources::ResourceType) -> ImageRegion {
    match ty.kind {
        Kind::Image(from) => from,
        _ => ImageRegion::Irrelevant,
    }
}

/// `raw[key]`, looking into the first element of a list (a nested block).
fn field<'a>(raw: &'a RawValue, key: &str) -> Option<&'a RawValue> {
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        let items: Vec<&'a RawValue> = serde_json::from_str(raw.get()).ok()?;
        return items.first().and_then(|first| field(first, key));
    }
    let object: Fields<'a> = serde_json::from_str(raw.get()).ok()?;
    object.get(key).copied().filter(|v| v.get() != "null")
}

/// Whether an in-place update changes the image or the instance type.
fn changes_pairing(ty: &resources::ResourceType, change: &Change) -> bool {
    if !matches!(ty.kind, Kind::Instance(_)) {
        return false;
    }
    [ty.image_key(), ty.instance_type_key()].iter().any(|key| {
        let before = change.before.and_then(|b| field(b, key)).map(RawValue::get);
        let after = change.after.and_then(|a| field(a, key)).map(RawValue::get);
        let unknown = change
            .after_unknown
            .and_then(|u| field(u, key))
            .is_some_and(|u| u.get() == "true");
        before != after || unknown
    })
}

/// A resource Terraform deferred to a later plan: it cannot be checked now.
/// For what Terraform plans only after this plan is applied.
const NEXT_PLAN_HELP: &str =
    "check the next plan too, after this one is applied; --allow-unverified lets this pass";

fn deferred_entry(source: &SourceFile, deferred: &Deferred) -> Option<Unchecked> {
    let raw = deferred.resource_change?;
    let rc: ResourceChange = serde_json::from_str(raw.get()).ok()?;
    let ty = resources::lookup(&rc.ty)?;
    let address: String = serde_json::from_str(rc.address.get()).ok()?;
    let span = span_of(source, rc.address);
    let name = Value {
        value: address,
        span,
    };
    let reason = format!(
        "Terraform deferred it to a later plan ({})",
        deferred.reason.as_deref().unwrap_or("no reason given")
    );
    Some(Unchecked::whole(
        name,
        source,
        Some(ty.cloud()),
        reason,
        NEXT_PLAN_HELP,
        ty.is_pairing(),
    ))
}

/// Regions from the plan's provider configurations.
struct Regions<'a> {
    configuration: Option<&'a Configuration>,
    variables: &'a HashMap<String, Variable>,
}

impl Regions<'_> {
    /// The configuration of the module a resource change is in.
    fn module_of(&self, rc: &ResourceChange) -> Option<&ModuleConfig> {
        let mut module = &self.configuration?.root_module;
        for (name, _) in steps(rc.module_address.as_deref().unwrap_or("")) {
            match module.module_calls.get(&name) {
                Some(call) => module = &call.module,
                None => break,
            }
        }
        Some(module)
    }

    /// The planned zone of the instance a custom image is made from: the configuration says
    /// which resource `instance_id` refers to, and its planned `after` says the zone.
    /// An attribute of the resource `rc` refers to by `instance` (the zone of an image's
    /// instance, the vSwitches of a scaling configuration's group), from the configuration's
    /// references and that resource's planned values.
    fn of_referenced(
        &self,
        rc: &ResourceChange,
        instance: &str,
        zone: &str,
        afters: &HashMap<String, &RawValue>,
        source: &SourceFile,
    ) -> Attr {
        let address = format!("{}.{}", rc.ty, rc.name);
        let referenced = self
            .module_of(rc)
            .and_then(|m| m.resources.iter().find(|r| r.address == address))
            .and_then(|r| {
                r.expressions[instance]["references"]
                    .as_array()?
                    .iter()
                    .filter_map(|r| r.as_str())
                    .find(|r| r.split('.').count() == 2)
                    .map(str::to_string)
            });
        let Some(referenced) = referenced else {
            return Attr::Absent;
        };
        let module = rc.module_address.as_deref().unwrap_or("");
        let full = if module.is_empty() {
            referenced
        } else {
            format!("{module}.{referenced}")
        };
        // The first instance of a resource with count or for_each.
        let after = afters.get(&full).or_else(|| {
            afters
                .iter()
                .find(|(a, _)| a.starts_with(&format!("{full}[")))
                .map(|(_, v)| v)
        });
        match after.and_then(|raw| field(raw, zone)) {
            Some(raw) => scalar_or_list(source, raw),
            None => Attr::Absent,
        }
    }

    fn of(&self, ty: &resources::ResourceType, rc: &ResourceChange) -> Region {
        let Some(configuration) = self.configuration else {
            return Region::Missing("the plan JSON has no `configuration`".to_string());
        };
        let Some(module) = self.module_of(rc) else {
            return Region::Missing("the plan JSON has no `configuration`".to_string());
        };
        let address = format!("{}.{}", rc.ty, rc.name);
        let provider = resources::provider_name(ty.cloud());
        let key = module
            .resources
            .iter()
            .find(|r| r.address == address)
            .and_then(|r| r.provider_config_key.clone())
            .unwrap_or_else(|| provider.to_string());
        // A module resource's key may name the module (`web:alicloud`) or the root
        // configuration it inherits.
        let config = configuration
            .provider_config
            .get(&key)
            .or_else(|| {
                key.rsplit_once(':')
                    .and_then(|(_, k)| configuration.provider_config.get(k))
            })
            .or_else(|| configuration.provider_config.get(provider));
        let Some(config) = config else {
            return Region::Missing(format!(
                "the plan has no `{provider}` provider configuration"
            ));
        };
        let region = &config.expressions["region"];
        if let Some(value) = region["constant_value"].as_str() {
            return Region::Known(value.to_string());
        }
        let reference = region["references"].as_array().and_then(|r| {
            r.iter()
                .filter_map(|r| r.as_str())
                .find(|r| r.starts_with("var."))
        });
        if let Some(reference) = reference {
            let in_root = config.module_address.as_deref().is_none_or(str::is_empty);
            let name = &reference["var.".len()..];
            if in_root && let Some(value) = self.variables.get(name).and_then(|v| v.value.as_str())
            {
                return Region::Known(value.to_string());
            }
            return Region::Missing(format!(
                "the `{provider}` provider's region is `{reference}`, which the plan does not give"
            ));
        }
        Region::Missing(format!(
            "the `{provider}` provider configuration sets no `region`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn read_with(
        json: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Plan, Vec<InputError>> {
        let options = Options {
            tf_dir: None,
            env,
            vars: &[],
            reader: crate::files::Reader::DISK,
        };
        read(SourceFile::new("tfplan.json", json), None, &options)
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.instances
            .iter()
            .map(|i| i.name.value.as_str())
            .collect()
    }

    fn read_plan(json: &str) -> Plan {
        read_with(json, &no_env).expect("the plan reads")
    }

    #[test]
    fn the_tool_that_wrote_a_plan_is_told_by_its_providers_registry() {
        let plan = |provider: &str| {
            let json = format!(
                r#"{{"format_version":"1.2","terraform_version":"1.8.3","resource_changes":[{{"address":"random_pet.x","mode":"managed","type":"random_pet","name":"x","provider_name":"{provider}","change":{{"actions":["create"],"before":null,"after":{{}}}}}}]}}"#
            );
            read_plan(&json).written_by.expect("said")
        };
        assert_eq!(
            plan("registry.opentofu.org/hashicorp/random"),
            "OpenTofu 1.8.3"
        );
        assert_eq!(
            plan("registry.terraform.io/hashicorp/random"),
            "Terraform 1.8.3"
        );
        assert!(
            plan("registry.example.com/acme/random").starts_with("Terraform or OpenTofu 1.8.3")
        );
    }

    const CONFIG: &str = r#""configuration":{"provider_config":{"jdcloud":{"name":"jdcloud","expressions":{"region":{"constant_value":"cn-north-1"}}}},"root_module":{}}"#;

    fn jd_change(address: &str, actions: &str, after: &str, extra: &str) -> String {
        format!(
            r#"{{"address":"{address}","mode":"managed","type":"jdcloud_instance","name":"x","change":{{"actions":{actions},"before":null,"after":{after}{extra}}}}}"#
        )
    }

    fn plan_of(changes: &[String]) -> String {
        format!(
            r#"{{"format_version":"1.2","resource_changes":[{}],{CONFIG}}}"#,
            changes.join(",")
        )
    }

    const AFTER: &str =
        r#"{"image_id":"img-1","instance_type":"g.n4.large","system_disk":[{"disk_size_gb":40}]}"#;

    #[test]
    fn creates_and_replacements_are_checked_and_the_rest_skipped() {
        let changes = [
            jd_change("a", r#"["create"]"#, AFTER, ""),
            jd_change("b", r#"["delete","create"]"#, AFTER, ""),
            jd_change("c", r#"["create","delete"]"#, AFTER, ""),
            jd_change("d", r#"["no-op"]"#, AFTER, ""),
            jd_change("e", r#"["delete"]"#, "null", ""),
            jd_change("f", r#"["read"]"#, AFTER, ""),
        ];
        let plan = read_plan(&plan_of(&changes));
        assert_eq!(names(&plan), ["a", "b", "c"]);
        let a = &plan.instances[0];
        assert_eq!(a.region.value, "cn-north-1");
        assert_eq!(a.image.value, "img-1");
        assert_eq!(a.system_disk_gb.as_ref().map(|d| d.value), Some(40));
        // The span is the value's place in the JSON.
        let at = a.image.span.offset();
        assert_eq!(
            &plan.source.text()[at..at + a.image.span.len()],
            "\"img-1\""
        );
    }

    #[test]
    fn an_update_is_checked_only_when_it_changes_the_image_or_type() {
        let same = format!(r#","before":{AFTER}"#);
        let other = r#","before":{"image_id":"img-0","instance_type":"g.n4.large"}"#;
        let changes = [
            jd_change("same", r#"["update"]"#, AFTER, "")
                .replace(r#""before":null,"#, &format!("{},", &same[1..])),
            jd_change("new-image", r#"["update"]"#, AFTER, "")
                .replace(r#""before":null,"#, &format!("{},", &other[1..])),
        ];
        assert_eq!(names(&read_plan(&plan_of(&changes))), ["new-image"]);
    }

    #[test]
    fn a_value_known_only_after_apply_leaves_the_other_side_checked() {
        let changes = [
            jd_change(
                "half",
                r#"["create"]"#,
                r#"{"instance_type":"g.n4.large","az":"cn-north-1a"}"#,
                r#","after_unknown":{"image_id":true}"#,
            ),
            jd_change(
                "none",
                r#"["create"]"#,
                r#"{"az":"cn-north-1a"}"#,
                r#","after_unknown":{"image_id":true,"instance_type":true}"#,
            ),
        ];
        let plan = read_plan(&plan_of(&changes));
        assert_eq!(names(&plan), ["half"]);
        let half = &plan.instances[0];
        assert_eq!(half.instance_type.value, "g.n4.large");
        assert_eq!(half.unknown.len(), 1);
        assert_eq!(half.unknown[0].why, "`image_id` is known only after apply");
        assert_eq!(
            plan.unchecked.len(),
            1,
            "both sides unknown: nothing to check"
        );
        assert!(plan.unchecked[0].pairing);
    }

    #[test]
    fn an_empty_id_is_no_id() {
        let after = r#"{"image_id":"  ","instance_type":"t"}"#;
        let plan = read_plan(&plan_of(&[jd_change("a", r#"["create"]"#, after, "")]));
        assert_eq!(plan.instances[0].unknown[0].why, "`image_id` is not set");
    }

    #[test]
    fn a_jd_zone_names_the_region_before_the_provider_does() {
        let after = r#"{"image_id":"img-1","instance_type":"t","az":"cn-east-2c"}"#;
        let plan = read_plan(&plan_of(&[jd_change("a", r#"["create"]"#, after, "")]));
        assert_eq!(plan.instances[0].region.value, "cn-east-2");
    }

    #[test]
    fn the_region_comes_from_a_variable_or_else_the_environment() {
        let by_var = r#"{"format_version":"1.0","variables":{"r":{"value":"cn-shanghai"}},"resource_changes":[{"address":"alicloud_instance.a","mode":"managed","type":"alicloud_instance","name":"a","change":{"actions":["create"],"after":{"image_id":"i","instance_type":"t"}}}],"configuration":{"provider_config":{"alicloud":{"name":"alicloud","expressions":{"region":{"references":["var.r"]}}}},"root_module":{"resources":[{"address":"alicloud_instance.a","provider_config_key":"alicloud"}]}}}"#;
        assert_eq!(read_plan(by_var).instances[0].region.value, "cn-shanghai");

        let unset = by_var.replace(r#"{"references":["var.r"]}"#, "null");
        let plan = read_plan(&unset);
        assert!(plan.instances.is_empty());
        assert!(
            plan.unchecked[0].reason.contains("ALICLOUD_REGION"),
            "{}",
            plan.unchecked[0].reason
        );

        let env = |name: &str| (name == "ALICLOUD_REGION").then(|| "cn-beijing".to_string());
        let plan = read_with(&unset, &env).expect("reads");
        assert_eq!(plan.instances[0].region.value, "cn-beijing");
        assert!(
            plan.notices
                .iter()
                .any(|n| n.contains("ALICLOUD_REGION=cn-beijing")),
            "{:?}",
            plan.notices
        );
    }

    #[test]
    fn a_module_resource_finds_the_root_provider_through_its_key() {
        let json = r#"{"format_version":"1.2","resource_changes":[{"address":"module.m.jdcloud_instance.x","module_address":"module.m","mode":"managed","type":"jdcloud_instance","name":"x","change":{"actions":["create"],"after":{"image_id":"i","instance_type":"t"}}}],"configuration":{"provider_config":{"jdcloud":{"name":"jdcloud","expressions":{"region":{"constant_value":"cn-south-1"}}}},"root_module":{"module_calls":{"m":{"module":{"resources":[{"address":"jdcloud_instance.x","provider_config_key":"m:jdcloud"}]}}}}}}"#;
        assert_eq!(read_plan(json).instances[0].region.value, "cn-south-1");
    }

    #[test]
    fn deleted_images_are_counted_and_created_ones_listed() {
        let json = r#"{"format_version":"1.2","resource_changes":[{"address":"alicloud_image.old","mode":"managed","type":"alicloud_image","name":"old","change":{"actions":["delete"],"before":{"image_name":"o"},"after":null}},{"address":"alicloud_image.new","mode":"managed","type":"alicloud_image","name":"new","change":{"actions":["create"],"after":{"image_name":"n"}}}],"configuration":{"provider_config":{"alicloud":{"name":"alicloud","expressions":{"region":{"constant_value":"cn-hangzhou"}}}}}}"#;
        let plan = read_plan(json);
        assert_eq!(plan.deleted_images.len(), 1);
        assert_eq!(plan.deleted_images[0].region, "cn-hangzhou");
        assert_eq!(plan.images.len(), 1);
        assert_eq!(plan.images[0].name.value, "alicloud_image.new");
    }

    #[test]
    fn other_format_majors_and_state_files_are_refused() {
        let v2 = r#"{"format_version":"2.0","resource_changes":[]}"#;
        let e = read_with(v2, &no_env).expect_err("refused");
        assert_eq!(e[0].code(), "terraform::bad-version");
        let state = r#"{"format_version":"1.0","values":{}}"#;
        let e = read_with(state, &no_env).expect_err("refused");
        assert_eq!(e[0].code(), "terraform::not-a-plan");
        let broken = r#"{"format_version":"1.2","resource_changes":[{"address":"a"}]}"#;
        let e = read_with(broken, &no_env).expect_err("refused");
        assert_eq!(e[0].code(), "terraform::bad-plan");
    }
}
