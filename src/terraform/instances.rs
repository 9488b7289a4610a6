//! Instances of blocks: a module call or resource with `count` or `for_each` is one instance
//! per key, with `count.index` or `each.key` / `each.value` set in it; one that resolves to
//! no keys is no instance at all; one whose keys are not known before plan is reported as
//! such. Module instances chain to their callers, which is how `var.x` in a module called
//! nine times finds the argument of each call.

use std::rc::Rc;

use hcl_edit::structure::Body;

use super::eval::{Each, Evaluator, Got, Instance, Key, Scope, Unknown, Val, text_of};
use crate::source::SourceFile;

/// The keys of a block (a resource or a module call) in `scope`, each with what `each` /
/// `count` are in that instance; `Err` with the unknown when Terraform decides at plan time.
pub fn keys(
    ev: &Evaluator,
    body: &Body,
    file: &SourceFile,
    scope: &Scope,
) -> Result<Vec<(Key, Each)>, (String, Unknown)> {
    let at = |attr: &hcl_edit::structure::Attribute| {
        let span = hcl_edit::Span::span(&attr.value).map(super::modules::to_span);
        move || span.map(|s| (file.clone(), s))
    };
    if let Some(attr) = body.get_attribute("for_each") {
        let got = ev.eval(&attr.value, file, scope);
        let text = text_of(file, &attr.value);
        let n = match &got.val {
            Ok(Val::Map(members)) => members.len(),
            Ok(Val::List(items)) => items.len(),
            _ => 0,
        };
        if !ev.budget.block(n as u64, &at(attr)) {
            return Ok(Vec::new());
        }
        return match got.val {
            Ok(Val::Map(members)) => Ok(members
                .into_iter()
                .map(|(k, v)| {
                    let key = Got::known(Val::Str(k.clone()), v.site.clone());
                    (
                        Key::Name(k),
                        Each {
                            key: Some(key),
                            value: Some(v),
                            index: None,
                        },
                    )
                })
                .collect()),
            Ok(Val::List(items)) => {
                // Terraform takes a map or a set of strings, never a list: `["a", "b"]` or a
                // `list(string)` variable stops `terraform plan` (wrap it in `toset`).
                if ev.is_set(&attr.value, &scope.instance, 0) == Some(false)
                    && let Some(span) = hcl_edit::Span::span(&attr.value)
                {
                    let e = crate::error::InputError::at(
                        "terraform::invalid-for-each",
                        file,
                        super::modules::to_span(span),
                        format!("invalid `for_each` argument `{text}`: it is a list, and `for_each` takes a map or a set of strings"),
                        "Terraform refuses this",
                    )
                    .with_help(format!(
                        "`terraform plan` stops here too; write `toset({text})`{}",
                        if text.starts_with("var.") {
                            ", or declare the variable `set(string)`"
                        } else {
                            ""
                        }
                    ));
                    ev.refuse(with_hops(e, file, &got.hops));
                }
                let mut out = Vec::new();
                for item in items {
                    let Some(k) = item.scalar() else {
                        return Err(unknown_keys("for_each", &text, &item));
                    };
                    out.push((
                        Key::Name(k),
                        Each {
                            key: Some(item.clone()),
                            value: Some(item),
                            index: None,
                        },
                    ));
                }
                Ok(out)
            }
            Ok(Val::Null) => Ok(Vec::new()),
            _ => Err(unknown_keys("for_each", &text, &got)),
        };
    }
    if let Some(attr) = body.get_attribute("count") {
        let got = ev.eval(&attr.value, file, scope);
        let text = text_of(file, &attr.value);
        let n = match &got.val {
            Err(_) => return Err(unknown_keys("count", &text, &got)),
            Ok(value) => match count_of(value) {
                Ok(n) => n,
                Err(why) => {
                    // Terraform refuses it at plan time: so does reading `.tf` directly.
                    if let Some(span) = hcl_edit::Span::span(&attr.value) {
                        let e = invalid_count(file, span, &text, &why);
                        ev.refuse(with_hops(e, file, &got.hops));
                    }
                    return Ok(Vec::new());
                }
            },
        };
        // `as` saturates: 1e18 is u64::MAX, and over the limit.
        if !ev.budget.block(n as u64, &at(attr)) {
            return Ok(Vec::new());
        }
        return Ok((0..n as usize)
            .map(|i| {
                (
                    Key::Index(i),
                    Each {
                        index: Some(i),
                        ..Each::default()
                    },
                )
            })
            .collect());
    }
    Ok(vec![(Key::None, Each::default())])
}

/// A known `count` as Terraform converts it: a whole number of at least 0, or a string that
/// reads as one (`"2"`, from a variable's default or a tfvars file); anything else is what
/// Terraform says about it.
fn count_of(value: &Val) -> Result<f64, String> {
    let n = match value {
        Val::Num(n) => *n,
        Val::Str(s) => match s.parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => return Err(format!("a number is required, and `{s}` is not one")),
        },
        Val::Null => return Err("the value is null".to_string()),
        Val::Bool(_) => return Err("a number is required, not a bool".to_string()),
        Val::List(_) | Val::Map(_) => {
            return Err("a number is required, not a collection".to_string());
        }
    };
    if n < 0.0 || n.fract() != 0.0 {
        return Err(format!(
            "the value must be a whole number, at least 0, and it is {}",
            super::eval::number(n)
        ));
    }
    Ok(n)
}

/// Terraform's "Invalid count argument", at the `count` expression.
/// An input error labelled where its value was set (a variable's default, a tfvars line).
fn with_hops(
    mut e: crate::error::InputError,
    file: &SourceFile,
    hops: &[super::eval::Hop],
) -> crate::error::InputError {
    for hop in hops {
        e = if hop.site.file.name() == file.name() {
            e.with_label(hop.site.span, hop.label.clone())
        } else {
            e.also_at(&hop.site.file, hop.site.span, hop.label.clone())
        };
    }
    e
}

fn invalid_count(
    file: &SourceFile,
    span: std::ops::Range<usize>,
    text: &str,
    why: &str,
) -> crate::error::InputError {
    crate::error::InputError::at(
        "terraform::invalid-count",
        file,
        super::modules::to_span(span),
        format!("invalid `count` argument `{text}`: {why}"),
        "Terraform refuses this",
    )
    .with_help("`terraform plan` stops here too; give `count` a whole number of at least 0")
}

fn unknown_keys(what: &str, text: &str, got: &Got) -> (String, Unknown) {
    let unknown = match &got.val {
        Err(u) => u.clone(),
        Ok(_) => Unknown {
            text: text.to_string(),
            site: got.site.clone(),
        },
    };
    (what.to_string(), unknown)
}

/// A module instance the configuration cannot expand before plan.
pub struct Unexpanded {
    /// The call's module index and the instance it is called from.
    pub module: usize,
    pub caller: Rc<Instance>,
    pub what: String,
    pub unknown: Unknown,
}

/// Every module instance, root first, callers before the modules they call.
pub fn module_instances(ev: &Evaluator) -> (Vec<Rc<Instance>>, Vec<Unexpanded>) {
    let config = ev.config;
    let mut all = vec![Instance::root()];
    let mut unexpanded = Vec::new();
    let mut next = 0;
    while next < all.len() {
        let parent = Rc::clone(&all[next]);
        next += 1;
        for (index, module) in config.modules.iter().enumerate() {
            let Some(call) = &module.call else { continue };
            if call.parent != parent.module {
                continue;
            }
            let file = &config.files[call.file].source;
            let name = module.path.last().cloned().unwrap_or_default();
            match keys(ev, &call.block.body, file, &Scope::of(&parent)) {
                Ok(keys) => {
                    let head = super::modules::header(&call.block);
                    if !ev
                        .budget
                        .instances(keys.len() as u64, &|| Some((file.clone(), head)))
                    {
                        return (all, unexpanded);
                    }
                    for (key, each) in keys {
                        let address =
                            format!("{}module.{name}{}", prefix(&parent.address), key.suffix());
                        all.push(Rc::new(Instance {
                            module: index,
                            address,
                            each,
                            parent: Some(Rc::clone(&parent)),
                        }));
                    }
                }
                Err((what, unknown)) => unexpanded.push(Unexpanded {
                    module: index,
                    caller: Rc::clone(&parent),
                    what,
                    unknown,
                }),
            }
        }
    }
    (all, unexpanded)
}

/// The instance a plan JSON `module_address` names (`module.db["primary"].module.x[0]`),
/// rebuilt by evaluating each call's keys; a key the configuration cannot produce leaves
/// `each` unknown in it.
pub fn instance_at(ev: &Evaluator, steps: &[(String, Key)]) -> Option<Rc<Instance>> {
    let config = ev.config;
    let mut instance = Instance::root();
    let mut path: Vec<String> = Vec::new();
    for (name, key) in steps {
        path.push(name.clone());
        let module = config.module(&path)?;
        let call = config.modules[module].call.as_ref()?;
        let file = &config.files[call.file].source;
        let each = keys(ev, &call.block.body, file, &Scope::of(&instance))
            .ok()
            .and_then(|keys| keys.into_iter().find(|(k, _)| k == key).map(|(_, e)| e))
            .unwrap_or_else(|| match key {
                Key::Index(i) => Each {
                    index: Some(*i),
                    ..Each::default()
                },
                _ => Each::default(),
            });
        let address = format!("{}module.{name}{}", prefix(&instance.address), key.suffix());
        instance = Rc::new(Instance {
            module,
            address,
            each,
            parent: Some(instance),
        });
    }
    Some(instance)
}

/// `module.web.` for `module.web`; nothing for the root.
pub fn prefix(address: &str) -> String {
    if address.is_empty() {
        String::new()
    } else {
        format!("{address}.")
    }
}

/// `module.web[0].module.db["a"]` → `[("web", [0]), ("db", ["a"])]`.
pub fn steps(module_address: &str) -> Vec<(String, Key)> {
    let mut out = Vec::new();
    let mut rest = module_address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let name = after[..end].to_string();
        let (key, tail) = index(&after[end..]);
        out.push((name, key));
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    out
}

/// One `[…]` instance key at the start of `s` (a number, or a quoted string that may hold
/// `]`), and what follows it.
pub fn index(s: &str) -> (Key, &str) {
    if !s.starts_with('[') {
        return (Key::None, s);
    }
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => {
                let inner = &s[1..i];
                let key = match serde_json::from_str::<serde_json::Value>(inner) {
                    Ok(serde_json::Value::String(k)) => Key::Name(k),
                    Ok(serde_json::Value::Number(n)) => {
                        n.as_u64().map_or(Key::None, |n| Key::Index(n as usize))
                    }
                    _ => Key::None,
                };
                return (key, &s[i + 1..]);
            }
            _ => {}
        }
    }
    (Key::None, "")
}

/// A plan JSON `index` (a count index or a for_each key) as a key.
pub fn key_of(index: Option<&serde_json::Value>) -> Key {
    match index {
        Some(serde_json::Value::String(k)) => Key::Name(k.clone()),
        Some(serde_json::Value::Number(n)) => {
            n.as_u64().map_or(Key::None, |n| Key::Index(n as usize))
        }
        _ => Key::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_addresses_read_as_names_and_keys() {
        assert_eq!(steps(""), Vec::new());
        assert_eq!(steps("module.web"), [("web".to_string(), Key::None)]);
        assert_eq!(
            steps("module.web[0].module.db[\"a.b]\"]"),
            [
                ("web".to_string(), Key::Index(0)),
                ("db".to_string(), Key::Name("a.b]".to_string()))
            ]
        );
    }
}
