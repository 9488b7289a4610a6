//! Which provider configuration a resource uses, as Terraform decides it: the resource's own
//! `provider = alicloud.x`, else the default one; inside a module, the module's own
//! configuration if it has one, else what the call passes in its `providers` map
//! (`providers = { alicloud = alicloud.sh }`), else (for the default) the caller's, up to the
//! root. The configuration's `region` is evaluated where it is written.

use std::rc::Rc;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Block;

use super::Region;
use super::eval::{Evaluator, Instance, Scope, text_of};
use super::modules::label;
use super::resources;
use crate::cloud::Cloud;

/// The region of one instance of a resource block (`scope`: its module instance, and its
/// `each` / `count`, which pick one of a provider's `for_each` instances).
pub fn region(ev: &Evaluator, scope: &Scope, cloud: Cloud, resource: &Block) -> Region {
    let instance = &scope.instance;
    let name = resources::provider_name(cloud);
    let file = resource_file(ev, instance.module, resource);
    // `provider = alicloud.by_region[each.key]`: an alias and, for a provider with
    // `for_each` (OpenTofu), which of its instances.
    let mut key: Option<String> = None;
    let mut alias = resource.body.get_attribute("provider").and_then(|a| {
        let source = &ev.config.files[file?].source;
        if let Expression::Traversal(t) = &a.value
            && let Some(index) = t.operators.iter().find_map(|o| match o.value() {
                hcl_edit::expr::TraversalOperator::Index(e) => Some(e),
                _ => None,
            })
        {
            key = ev.eval(index, source, scope).scalar();
            let text = text_of(source, &a.value);
            let text = text.split('[').next().unwrap_or(&text).to_string();
            return text
                .split_once('.')
                .map(|(_, alias)| alias.trim().to_string());
        }
        let text = text_of(source, &a.value);
        text.split_once('.').map(|(_, alias)| alias.to_string())
    });
    let mut at = Rc::clone(instance);
    loop {
        let config = ev.config;
        let found = config
            .blocks_in(at.module, "provider")
            .into_iter()
            .find(|(_, b)| {
                label(b, 0) == Some(name)
                    && b.body
                        .get_attribute("alias")
                        .and_then(|a| a.value.as_str())
                        .map(str::to_string)
                        == alias
            });
        if let Some((file, block)) = found {
            return provider_region(ev, &at, name, file, block, key.as_deref());
        }
        let (Some(call), Some(parent)) = (&config.modules[at.module].call, &at.parent) else {
            return Region::Missing(match &alias {
                Some(a) => format!("no `provider \"{name}\"` block with alias `{a}` sets `region`"),
                None => format!("no `provider \"{name}\"` block sets `region`"),
            });
        };
        let wanted = match &alias {
            Some(a) => format!("{name}.{a}"),
            None => name.to_string(),
        };
        let call_file = &config.files[call.file].source;
        let passed = call
            .block
            .body
            .get_attribute("providers")
            .and_then(|a| a.value.as_object())
            .and_then(|map| {
                map.iter().find_map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => text_of(call_file, e),
                    };
                    (key == wanted).then(|| text_of(call_file, value.expr()))
                })
            });
        match passed {
            // `alicloud.sh` in the caller.
            Some(target) => alias = target.split_once('.').map(|(_, a)| a.to_string()),
            // Only the default configuration is inherited without a map.
            None if alias.is_some() => {
                return Region::Missing(format!(
                    "module `{}` is not passed `{wanted}` in its `providers`",
                    config.modules[at.module].path.join(".")
                ));
            }
            None => {}
        }
        at = Rc::clone(parent);
    }
}

fn resource_file(ev: &Evaluator, module: usize, resource: &Block) -> Option<usize> {
    let span = resource.ident.span()?;
    ev.config.modules[module].files.iter().copied().find(|&f| {
        ev.config.files[f]
            .body
            .blocks()
            .any(|b| b.ident.span() == Some(span.clone()))
    })
}

fn provider_region(
    ev: &Evaluator,
    instance: &Rc<Instance>,
    name: &str,
    file: usize,
    block: &Block,
    key: Option<&str>,
) -> Region {
    let Some(attr) = block.body.get_attribute("region") else {
        return Region::Missing(format!("the `{name}` provider block sets no `region`"));
    };
    let source = &ev.config.files[file].source;
    let mut scope = Scope::of(instance);
    // A provider with `for_each` (OpenTofu): the instance the resource names.
    if block.body.get_attribute("for_each").is_some() {
        let Some(key) = key else {
            return Region::Missing(format!(
                "the `{name}` provider has `for_each`, and which of its instances the resource uses is known only once OpenTofu plans"
            ));
        };
        let chosen = super::instances::keys(ev, &block.body, source, &Scope::of(instance))
            .ok()
            .and_then(|keys| {
                keys.into_iter()
                    .find(|(k, _)| *k == super::eval::Key::Name(key.to_string()))
            });
        match chosen {
            Some((_, each)) => scope.each = each,
            None => {
                return Region::Missing(format!(
                    "the `{name}` provider's `for_each` has no instance `{key}`, or it is known only once OpenTofu plans"
                ));
            }
        }
    }
    let got = ev.eval(&attr.value, source, &scope);
    match got.scalar() {
        Some(region) if !region.trim().is_empty() => Region::Known(region.trim().to_string()),
        _ => Region::Missing(format!(
            "the `{name}` provider's region is `{}`, known only once Terraform plans",
            text_of(source, &attr.value)
        )),
    }
}

/// Whether an expression is a reference to another resource (`type.name…`), and which.
pub fn resource_reference(expr: &Expression) -> Option<(String, String)> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let root = root.as_str();
    if matches!(
        root,
        "var" | "local" | "each" | "count" | "module" | "data" | "path"
    ) {
        return None;
    }
    match t.operators.first().map(|o| o.value()) {
        Some(hcl_edit::expr::TraversalOperator::GetAttr(name)) => {
            Some((root.to_string(), name.as_str().to_string()))
        }
        _ => None,
    }
}
