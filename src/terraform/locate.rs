//! Points a resource read from plan JSON at its block in the `.tf` files: the block's
//! header, each attribute's value, where the variables it uses were set (for this instance of
//! the module and of the resource: `module.db["replica"]` is told from `module.db["primary"]`),
//! and the module calls that lead to it.

use super::Attr;
use super::Resource;
use super::direct::{callers, origins};
use super::eval::{Each, Evaluator, Key, Scope};
use super::instances::{instance_at, key_of, keys, steps};
use super::modules::{attribute, header, to_span};
use hcl_edit::Span;

/// False when the block is not in the configuration.
pub fn locate(
    ev: &Evaluator,
    module_address: &str,
    name: &str,
    index: Option<&serde_json::Value>,
    resource: &mut Resource,
) -> bool {
    let config = ev.config;
    let Some(instance) = instance_at(ev, &steps(module_address)) else {
        return false;
    };
    let Some((file, block)) = config.resource_block(instance.module, resource.ty.name, name) else {
        return false;
    };
    let source = &config.files[file].source;
    let head = header(block);
    resource.file = source.clone();
    resource.header = head;
    let key = key_of(index);
    let each = keys(ev, &block.body, source, &Scope::of(&instance))
        .ok()
        .and_then(|keys| keys.into_iter().find(|(k, _)| *k == key).map(|(_, e)| e))
        .unwrap_or_else(|| match key {
            Key::Index(i) => Each {
                index: Some(i),
                ..Each::default()
            },
            _ => Each::default(),
        });
    let scope = Scope {
        instance: std::rc::Rc::clone(&instance),
        each,
    };
    let paths = resource.ty.attribute_paths();
    let attrs = &mut resource.attrs;
    for (attr, path) in [
        (&mut attrs.image, paths.image),
        (&mut attrs.instance_type, paths.instance_type),
        (&mut attrs.instance_types, paths.instance_types),
        (&mut attrs.region_zone, paths.region_zone),
        (&mut attrs.disk, paths.disk),
        (&mut attrs.zone, paths.zone),
        (&mut attrs.charge, paths.charge),
        (&mut attrs.spot, paths.spot),
        (&mut attrs.amount, paths.amount),
        (&mut attrs.vswitch, paths.vswitch),
        (&mut attrs.disk_category, paths.disk_category),
        (&mut attrs.security_groups, paths.security_groups),
        (&mut attrs.group, paths.group),
    ] {
        if path.is_empty() {
            continue;
        }
        let expr = attribute(&block.body, &path);
        let at = expr.and_then(|e| e.span()).map(to_span);
        point(
            attr,
            at.unwrap_or(head),
            expr.map(|e| ev.eval(e, source, &scope)),
        );
    }
    // A category the `.tf` does not write but the plan has is the provider's default when it
    // is the documented one: said as such, as reading the `.tf` alone says it.
    let launches = resource.ty.launches();
    if let Some((path, Some(default))) = launches.and_then(|l| l.disk_category)
        && attribute(&block.body, path).is_none()
    {
        provider_default(&mut resource.attrs.disk_category, default);
    }
    // The data disks, block by block; one a `dynamic` block made has no block of its own, and
    // is pointed at the resource.
    if let Some(d) = launches.and_then(|l| l.data_disks) {
        let mut blocks = block.body.get_blocks(d.block);
        for disk in &mut resource.data_disks {
            let b = blocks.next();
            for (attr, key) in [(&mut disk.category, d.category), (&mut disk.size, d.size)] {
                let expr = b.and_then(|b| attribute(&b.body, &[key]));
                let at = expr.and_then(|e| e.span()).map(to_span);
                point(
                    attr,
                    at.or(b.map(header)).unwrap_or(head),
                    expr.map(|e| ev.eval(e, source, &scope)),
                );
            }
            if let (Some(b), Some(default)) = (b, d.default_category)
                && attribute(&b.body, &[d.category]).is_none()
            {
                provider_default(&mut disk.category, default);
            }
        }
    }
    resource.callers = callers(ev, &instance);
    true
}

/// A value the plan filled in for an attribute the `.tf` leaves out: absent (so the
/// provider's documented default applies, and is said) when it is that default.
fn provider_default(attr: &mut Attr, default: &str) {
    if matches!(attr, Attr::Known { value, .. } if value == default) {
        *attr = Attr::Absent;
    }
}

/// Moves a value's span to its `.tf` attribute, with where its variables were set.
fn point(attr: &mut Attr, at: miette::SourceSpan, got: Option<super::eval::Got>) {
    match attr {
        Attr::Known {
            span, origins: o, ..
        } => {
            *span = at;
            if let Some(got) = got {
                *o = origins(&got, at);
            }
        }
        Attr::Unknown { span, .. } => *span = Some(at),
        Attr::List(items) => {
            for item in items {
                point(item, at, got.clone());
            }
        }
        Attr::Absent => {}
    }
}
