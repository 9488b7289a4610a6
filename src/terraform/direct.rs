//! `.tf` configuration read without a plan (`preflight validate main.tf` or a directory):
//! every module instance and resource instance the configuration can expand before plan, with
//! the values that resolve to literals; what does not resolve is named, and unverified.

use std::path::Path;
use std::rc::Rc;

use hcl_edit::Span;
use hcl_edit::structure::Block;
use miette::SourceSpan;

use super::build::{Builder, PLAN_JSON_HELP};
use super::eval::{Evaluator, Got, Instance, Scope, Unknown, Val, text_of};
use super::files::shown;
use super::instances::{self, keys, prefix};
use super::modules::{Config, attribute, header, label, to_span};
use super::resources::{self, ImageRegion, Kind};
use super::{Attr, DiskAttrs, Options, Resource, providers};
use crate::error::InputError;
use crate::plan::{Origin, Plan, Unchecked, Value};
use crate::source::SourceFile;

/// For what preflight does not read in `.tf` mode: Terraform's plan has it.
const MERGED_HELP: &str = "validate the plan JSON (`terraform show -json`), which has Terraform's final values, or let it pass with --allow-unverified";

/// Reads `.tf` configuration: `path` is a directory (its root module) or one `.tf` file (the
/// resources it declares, and the modules it calls).
pub fn read(path: &Path, options: &Options) -> Result<Plan, Vec<InputError>> {
    let (dir, only) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (dir, Some(shown(path)))
    };
    let mut config = Config::load(&dir, options)?;
    super::terragrunt::name_copies(&mut config, &dir, options.reader);
    // What Terraform refuses: arguments no variable takes, then what evaluation finds.
    let mut refused = config.unsupported_arguments();
    let only_file = match &only {
        Some(name) => Some(
            config
                .files
                .iter()
                .position(|f| f.source.name() == name)
                .ok_or_else(|| {
                    vec![InputError::in_file(
                        "plan::unreadable",
                        name,
                        format!("cannot read `{name}`"),
                    )]
                })?,
        ),
        None => None,
    };
    let source = match only_file {
        Some(f) => config.files[f].source.clone(),
        None => SourceFile::new(shown(path), ""),
    };
    let ev = Evaluator::new(&config);
    let mut builder = Builder::new(source.clone(), options.env);
    builder.later_help = PLAN_JSON_HELP;
    let (module_instances, unexpanded) = instances::module_instances(&ev);
    for instance in &module_instances {
        if !in_scope(&config, instance, only_file) {
            continue;
        }
        let callers = callers(&ev, instance);
        for (file, block) in config.blocks_in(instance.module, "resource") {
            if instance.parent.is_none() && only_file.is_some_and(|only| only != file) {
                continue;
            }
            add_resource(&ev, &mut builder, instance, &callers, file, block);
        }
    }
    for u in &unexpanded {
        if !in_scope(&config, &u.caller, only_file) {
            continue;
        }
        let Some(call) = &config.modules[u.module].call else {
            continue;
        };
        let file = &config.files[call.file].source;
        let name = config.modules[u.module]
            .path
            .last()
            .cloned()
            .unwrap_or_default();
        let address = format!("{}module.{name}", prefix(&u.caller.address));
        let span = call
            .block
            .body
            .get_attribute(&u.what)
            .and_then(|a| a.value.span())
            .map(to_span)
            .unwrap_or_else(|| header(&call.block));
        let reason = format!(
            "its `{}` is {}, so which instances it makes is known only once Terraform plans",
            u.what,
            described(&u.unknown)
        );
        let help = "preflight checks its resources once Terraform can say how many there are: validate the plan JSON";
        let name = Value {
            value: address,
            span,
        };
        builder.plan.unchecked.push(
            Unchecked::whole(name, file, None, reason, help, true)
                .with_origins(unknown_origins(&u.unknown)),
        );
    }
    for (address, source) in &config.remote_calls {
        builder.plan.notices.push(format!(
            "{address} (`{source}`) is not a local module and `terraform init` has not downloaded it, so its resources were not read; run `terraform init`, or validate the plan JSON (`terraform show -json`)"
        ));
    }
    if let Some(e) = ev.budget.error() {
        return Err(vec![e]);
    }
    refused.extend(ev.refused.take());
    if !refused.is_empty() {
        return Err(refused);
    }
    let mut errors = Vec::new();
    json_syntax(
        &mut builder,
        &config.json_files,
        options.reader,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut plan = builder.finish();
    let mut files = config.files_with_suppressions()?;
    if let Some(f) = only_file {
        let name = config.files[f].source.name().to_string();
        if let Some(i) = files.iter().position(|(s, _)| s.name() == name) {
            plan.suppressions = files.remove(i).1;
        }
    }
    plan.other_files = files;
    Ok(plan)
}

/// One resource block in one module instance: each of its instances, as entries.
fn add_resource(
    ev: &Evaluator,
    builder: &mut Builder,
    instance: &Rc<Instance>,
    callers: &[Origin],
    file: usize,
    block: &Block,
) {
    let config = ev.config;
    let (Some(ty_name), Some(name)) = (label(block, 0), label(block, 1)) else {
        return;
    };
    let address = format!("{}{ty_name}.{name}", prefix(&instance.address));
    if resources::NOT_CHECKED.contains(&ty_name) {
        builder.not_read(&address);
        return;
    }
    let Some(ty) = resources::lookup(ty_name) else {
        return;
    };
    let source = &config.files[file].source;
    let head = header(block);
    if let Some(by) = config.overridden_by(instance.module, ty_name, name) {
        let reason = format!("`{by}` may override it, and preflight does not merge override files");
        let name = Value {
            value: address,
            span: head,
        };
        let pairing = ty.is_pairing();
        builder.plan.unchecked.push(
            Unchecked::whole(name, source, Some(ty.cloud()), reason, MERGED_HELP, pairing)
                .with_origins(callers.to_vec()),
        );
        return;
    }
    // OpenTofu's `lifecycle { enabled = false }`: the resource is not planned at all.
    let enabled = block
        .body
        .get_blocks("lifecycle")
        .find_map(|l| l.body.get_attribute("enabled"))
        .map(|attr| ev.eval(&attr.value, source, &Scope::of(instance)).val);
    if matches!(enabled, Some(Ok(Val::Bool(false)))) {
        return;
    }
    let keys = match keys(ev, &block.body, source, &Scope::of(instance)) {
        Ok(keys) => keys,
        Err((what, unknown)) => {
            let span = block
                .body
                .get_attribute(&what)
                .and_then(|a| a.value.span())
                .map(to_span)
                .unwrap_or(head);
            let reason = format!(
                "its `{what}` is {}, so how many there are is known only once Terraform plans",
                described(&unknown)
            );
            let name = Value {
                value: address,
                span: head,
            };
            let mut u = Unchecked::whole(
                name,
                source,
                Some(ty.cloud()),
                reason,
                PLAN_JSON_HELP,
                ty.is_pairing(),
            )
            .with_origins(unknown_origins(&unknown));
            u.line = source.line_of(span.offset());
            builder.plan.unchecked.push(u);
            return;
        }
    };
    if !ev
        .budget
        .instances(keys.len() as u64, &|| Some((source.clone(), head)))
    {
        return;
    }
    for (key, each) in keys {
        let scope = Scope {
            instance: Rc::clone(instance),
            each,
        };
        let attr = |path: &[&'static str]| attr_at(ev, block, path, source, &scope);
        let attrs = ty.instance_attrs(attr, || Attr::Absent);
        // Each `data_disks` block as written; one a `dynamic` block makes is not read.
        let data_disks = match ty.launches().and_then(|l| l.data_disks) {
            Some(d) => block
                .body
                .get_blocks(d.block)
                .map(|disk| DiskAttrs {
                    category: attr_at(ev, disk, &[d.category], source, &scope),
                    size: attr_at(ev, disk, &[d.size], source, &scope),
                })
                .collect(),
            None => Vec::new(),
        };
        let source_zone = match ty.kind {
            Kind::Image(ImageRegion::FromInstance {
                instance: key,
                zone,
            }) => of_referenced(ev, block, key, zone, source, &scope),
            _ => Attr::Absent,
        };
        let group_vswitches = match ty.launches().and_then(|l| l.group) {
            Some(g) => g.vswitches_by(|key| of_referenced(ev, block, g.attr, key, source, &scope)),
            None => Attr::Absent,
        };
        builder.add(Resource {
            address: format!("{address}{}", key.suffix()),
            ty,
            file: source.clone(),
            header: head,
            attrs,
            data_disks,
            group_vswitches,
            source_zone,
            region: providers::region(ev, &scope, ty.cloud(), block),
            callers: callers.to_vec(),
            creates: true,
            deletes: false,
        });
    }
}

/// The value of the attribute at `path` in this instance of the block.
pub fn attr_at(
    ev: &Evaluator,
    block: &Block,
    path: &[&'static str],
    source: &SourceFile,
    scope: &Scope,
) -> Attr {
    match attribute(&block.body, path) {
        Some(expr) => {
            let of = expr.span().map(to_span).unwrap_or_else(|| header(block));
            to_attr(
                ev.eval(expr, source, scope),
                source,
                of,
                &text_of(source, expr),
            )
        }
        None => Attr::Absent,
    }
}

/// A value as an attribute at `of` in `file`, whose text is `text`.
pub fn to_attr(got: Got, file: &SourceFile, of: SourceSpan, text: &str) -> Attr {
    let origins = origins(&got, of);
    match &got.val {
        Ok(Val::Null) => Attr::Absent,
        Ok(Val::List(items)) => Attr::List(
            items
                .iter()
                .map(|item| {
                    // An item written in the list itself is pointed at; one from elsewhere
                    // (a variable's default) at the attribute.
                    let at = item
                        .site
                        .as_ref()
                        .filter(|s| s.file.name() == file.name() && within(s.span, of))
                        .map_or(of, |s| s.span);
                    let item_text = &file.text()[at.offset()..at.offset() + at.len()];
                    let mut attr = to_attr(item.clone(), file, at, item_text);
                    if let Attr::Known { origins: o, .. } = &mut attr {
                        o.extend(origins.iter().cloned());
                    }
                    attr
                })
                .collect(),
        ),
        Ok(_) => match got.scalar() {
            Some(v) if v.trim().is_empty() => Attr::Absent,
            Some(v) => Attr::Known {
                value: v.trim().to_string(),
                span: of,
                origins,
            },
            None => Attr::Unknown {
                why: format!("is `{text}`, a map where one value was expected"),
                span: Some(of),
                origins,
            },
        },
        Err(unknown) => {
            let mut all = origins;
            all.extend(unknown_origins(unknown));
            Attr::Unknown {
                why: if unknown.text == text {
                    format!("is `{text}`, known only once Terraform plans")
                } else if text.contains(&unknown.text) {
                    // Written right here: the part is enough, the span shows the rest.
                    format!(
                        "comes from `{}`, known only once Terraform plans",
                        unknown.text
                    )
                } else {
                    format!(
                        "is `{text}`, which comes from {}, known only once Terraform plans",
                        described(unknown)
                    )
                },
                span: Some(of),
                origins: all,
            }
        }
    }
}

/// "`data.x.y` (main.tf:12)".
/// `.tf.json` files are not read: they are named in a note, and each resource in them of a
/// kind preflight checks is unchecked, so a gate never passes what it did not read.
fn json_syntax(
    builder: &mut Builder,
    paths: &[std::path::PathBuf],
    reader: crate::files::Reader,
    errors: &mut Vec<InputError>,
) {
    if paths.is_empty() {
        return;
    }
    let names: Vec<String> = paths.iter().map(|p| shown(p)).collect();
    builder.plan.notices.push(format!(
        "{}: not read, as preflight reads only Terraform's native syntax; validate the plan JSON (`terraform show -json`) to check what they declare",
        names.join(", ")
    ));
    for path in paths {
        // Read through the cap like every input; one Terraform could not read either is an
        // input error, never a file passed over.
        let file = match reader.read_source(path, crate::error::Kind::Plan) {
            Ok(file) => file,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let text = file.text().to_string();
        let json = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) => json,
            Err(e) => {
                let at = file.offset_of(e.line(), e.column());
                errors.push(
                    InputError::at(
                        "terraform::syntax",
                        &file,
                        SourceSpan::new(at.into(), 0),
                        format!("cannot read `{}`: {e}", file.name()),
                        "here",
                    )
                    .with_help("Terraform refuses it too; `terraform validate` says more"),
                );
                continue;
            }
        };
        // `"resource"` is an object of types, or a list of such objects.
        let blocks = |v: &serde_json::Value| -> Vec<(String, serde_json::Value)> {
            match v {
                serde_json::Value::Object(m) => m.clone().into_iter().collect(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_object())
                    .flat_map(|m| m.clone().into_iter())
                    .collect(),
                _ => Vec::new(),
            }
        };
        for (ty_name, by_name) in blocks(&json["resource"]) {
            let Some(ty) = resources::lookup(&ty_name) else {
                continue;
            };
            for (name, _) in blocks(&by_name) {
                let at = text.find(&format!("\"{name}\"")).unwrap_or(0);
                let span = SourceSpan::from((at, name.len() + 2));
                let name = Value {
                    value: format!("{ty_name}.{name}"),
                    span,
                };
                let reason = "it is in a `.tf.json` file, which preflight does not read";
                let cloud = Some(ty.cloud());
                builder.plan.unchecked.push(Unchecked::whole(
                    name,
                    &file,
                    cloud,
                    reason,
                    MERGED_HELP,
                    ty.is_pairing(),
                ));
            }
        }
    }
}

fn within(inner: SourceSpan, outer: SourceSpan) -> bool {
    inner.offset() >= outer.offset() && inner.offset() + inner.len() <= outer.offset() + outer.len()
}

fn described(unknown: &Unknown) -> String {
    match &unknown.site {
        Some(site) => {
            let at = site.file.position(site.span.offset());
            format!("`{}` ({}:{})", unknown.text, site.file.name(), at.line)
        }
        None => format!("`{}`", unknown.text),
    }
}

/// The places a value came through, as labels at a finding at `of`.
pub fn origins(got: &Got, of: SourceSpan) -> Vec<Origin> {
    got.hops
        .iter()
        .map(|hop| Origin {
            of,
            file: hop.site.file.clone(),
            span: hop.site.span,
            label: hop.label.clone(),
        })
        .collect()
}

fn unknown_origins(unknown: &Unknown) -> Vec<Origin> {
    unknown
        .site
        .iter()
        .map(|site| Origin {
            of: SourceSpan::new(0.into(), 0),
            file: site.file.clone(),
            span: site.span,
            label: "known only once Terraform plans".to_string(),
        })
        .collect()
}

/// The module calls that lead to an instance, outermost first, as labels.
pub fn callers(ev: &Evaluator, instance: &Rc<Instance>) -> Vec<Origin> {
    let mut out = Vec::new();
    let mut at = Some(Rc::clone(instance));
    while let Some(i) = at {
        if let Some(call) = &ev.config.modules[i.module].call {
            out.push(Origin {
                of: SourceSpan::new(0.into(), 0),
                file: ev.config.files[call.file].source.clone(),
                span: header(&call.block),
                label: format!("called here as `{}`", i.address),
            });
        }
        at = i.parent.clone();
    }
    out.extend(ev.config.caller.clone());
    out.reverse();
    out
}

/// Whether a module instance belongs to what was asked for: everything, or the resources of
/// one root `.tf` file and the modules it calls.
fn in_scope(config: &Config, instance: &Rc<Instance>, only: Option<usize>) -> bool {
    let Some(only) = only else { return true };
    let mut at = Rc::clone(instance);
    while let Some(parent) = at.parent.clone() {
        if parent.parent.is_none() {
            return config.modules[at.module]
                .call
                .as_ref()
                .is_some_and(|c| c.file == only);
        }
        at = parent;
    }
    true
}

/// An attribute of the resource this one refers to by `key` (`instance_id = x.y.id`), when
/// that resource is in the same module: the zone of the instance a custom image is made from,
/// the vSwitches of a scaling configuration's group.
fn of_referenced(
    ev: &Evaluator,
    block: &Block,
    key: &'static str,
    zone: &'static str,
    source: &SourceFile,
    scope: &Scope,
) -> Attr {
    let Some(expr) = attribute(&block.body, &[key]) else {
        return Attr::Absent;
    };
    let Some((ty, name)) = providers::resource_reference(expr) else {
        // An instance id that is not this configuration's resource (a literal, a variable):
        // its zone is not in the configuration, as in plan JSON. Only what is unknown until
        // Terraform plans keeps its reason.
        return match to_attr(
            ev.eval(expr, source, scope),
            source,
            header(block),
            &text_of(source, expr),
        ) {
            unknown @ Attr::Unknown { .. } => unknown,
            _ => Attr::Absent,
        };
    };
    match ev.config.resource_block(scope.instance.module, &ty, &name) {
        Some((file, instance_block)) => {
            let file = &ev.config.files[file].source;
            attr_at(
                ev,
                instance_block,
                &[zone],
                file,
                &Scope::of(&scope.instance),
            )
        }
        None => Attr::Absent,
    }
}
