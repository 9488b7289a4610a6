//! `.tf` configuration, read with hcl-edit so every block and value keeps its byte span.
//!
//! A `Config` is a root module and the local modules it calls (`source = "./…"`), each a
//! directory of `.tf` files, plus the root's `terraform.tfvars` and `*.auto.tfvars`. It can
//! find a resource block by module path and name, and follow `var.*` and `local.*`
//! references to where a value is set: a module argument, a tfvars line, a variable default.

use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use miette::SourceSpan;

use super::resources;
use super::{Attr, Builder, Options, Region, Resource};
use crate::error::{self, InputError};
use crate::plan::{Origin, Plan, Suppression, suppress};
use crate::source::SourceFile;

/// Modules nest at most this deep; deeper is a cycle or a mistake.
const MAX_MODULE_DEPTH: usize = 16;

/// Whether `dir` holds `.tf` files.
pub fn has_tf_files(dir: &Path) -> bool {
    !files_in(dir, |name| name.ends_with(".tf")).is_empty()
}

/// The files directly in `dir` whose names `keep` accepts, sorted, as `dir/name` (so an empty
/// `dir`, the current directory, gives bare names).
pub fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let read = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(read)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .filter(|e| e.file_name().to_str().is_some_and(&keep))
                .map(|e| dir.join(e.file_name()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `--tf-dir` must name a directory of `.tf` files.
pub fn check_tf_dir(dir: &Path) -> Result<PathBuf, Vec<InputError>> {
    if !dir.is_dir() {
        return Err(vec![
            InputError::new(
                "input::bad-flag",
                format!("--tf-dir: `{}` is not a directory", dir.display()),
            )
            .with_help("name the directory that holds the configuration's .tf files"),
        ]);
    }
    if !has_tf_files(dir) {
        return Err(vec![
            InputError::new(
                "input::bad-flag",
                format!("--tf-dir: `{}` holds no .tf files", dir.display()),
            )
            .with_help("name the root module's directory, where `terraform plan` ran"),
        ]);
    }
    Ok(dir.to_path_buf())
}

struct TfFile {
    source: SourceFile,
    body: Body,
}

struct Module {
    /// Module names from the root: `["web", "db"]` for `module.web.module.db`.
    path: Vec<String>,
    files: Vec<usize>,
    /// The `module` block that calls it: (parent module, file, block).
    call: Option<(usize, usize, Block)>,
    /// The root module's file the chain of calls starts in.
    root_file: Option<usize>,
}

pub struct Config {
    root: String,
    files: Vec<TfFile>,
    modules: Vec<Module>,
    /// The root's tfvars files, lowest precedence first.
    tfvars: Vec<usize>,
    /// Module calls whose source is not a local directory.
    remote_calls: Vec<String>,
}

/// Where a reference leads: the expression that finally sets the value.
struct Followed<'c> {
    file: usize,
    expr: &'c Expression,
    /// The first reference followed (`var.image_id`), if any.
    via: Option<String>,
    /// False when the reference indexes into what it leads to (`var.images[0]`).
    exact: bool,
}

impl Config {
    /// Reads the root module in `dir`, its tfvars, and every local module it calls.
    pub fn load(dir: &Path) -> Result<Config, Vec<InputError>> {
        let mut config = Config {
            root: shown(dir),
            files: Vec::new(),
            modules: Vec::new(),
            tfvars: Vec::new(),
            remote_calls: Vec::new(),
        };
        let mut errors = Vec::new();
        let files = config.read_dir(dir, "tf", &mut errors);
        config.modules.push(Module {
            path: Vec::new(),
            files,
            call: None,
            root_file: None,
        });
        let mut tfvars = config.read_named(dir, "terraform.tfvars", &mut errors);
        tfvars.extend(config.read_dir(dir, "auto.tfvars", &mut errors));
        config.tfvars = tfvars;
        let mut pending = vec![(0usize, dir.to_path_buf())];
        while let Some((module, module_dir)) = pending.pop() {
            let calls: Vec<(usize, Block)> = config
                .blocks_in(module, "module")
                .into_iter()
                .map(|(f, b)| (f, b.clone()))
                .collect();
            for (file, block) in &calls {
                let (file, block) = (*file, block);
                let Some(name) = label(block, 0) else {
                    continue;
                };
                let source = block
                    .body
                    .get_attribute("source")
                    .and_then(|a| a.value.as_str())
                    .unwrap_or_default()
                    .to_string();
                let mut path = config.modules[module].path.clone();
                path.push(name.to_string());
                if !(source.starts_with("./") || source.starts_with("../")) {
                    config.remote_calls.push(address_of(&path));
                    continue;
                }
                let child_dir = normalize(&module_dir.join(&source));
                if path.len() > MAX_MODULE_DEPTH || !child_dir.is_dir() {
                    let span = block
                        .body
                        .get_attribute("source")
                        .and_then(|a| a.value.span())
                        .map(to_span)
                        .unwrap_or_else(|| header(block));
                    let why = if child_dir.is_dir() {
                        format!("modules nest more than {MAX_MODULE_DEPTH} deep here")
                    } else {
                        format!("module `{name}`: `{source}` is not a directory")
                    };
                    errors.push(InputError::at(
                        "terraform::bad-module",
                        &config.files[file].source,
                        span,
                        why,
                        "this source",
                    ));
                    continue;
                }
                let root_file = config.modules[module].root_file.or(Some(file));
                let call = (module, file, block.clone());
                let files = config.read_dir(&child_dir, "tf", &mut errors);
                config.modules.push(Module {
                    path,
                    files,
                    call: Some(call),
                    root_file,
                });
                pending.push((config.modules.len() - 1, child_dir));
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    fn read_dir(&mut self, dir: &Path, suffix: &str, errors: &mut Vec<InputError>) -> Vec<usize> {
        let suffix = format!(".{suffix}");
        files_in(dir, |name| name.ends_with(&suffix))
            .iter()
            .filter_map(|path| self.read_file(path, errors))
            .collect()
    }

    fn read_named(&mut self, dir: &Path, name: &str, errors: &mut Vec<InputError>) -> Vec<usize> {
        let path = dir.join(name);
        if !path.is_file() {
            return Vec::new();
        }
        self.read_file(&path, errors).into_iter().collect()
    }

    fn read_file(&mut self, path: &Path, errors: &mut Vec<InputError>) -> Option<usize> {
        let source = match crate::read_source(path, error::Kind::Plan) {
            Ok(source) => source,
            Err(e) => {
                errors.push(e);
                return None;
            }
        };
        match hcl_edit::parser::parse_body(source.text()) {
            Ok(body) => {
                self.files.push(TfFile { source, body });
                Some(self.files.len() - 1)
            }
            Err(e) => {
                let at = source.offset_of(e.location().line(), e.location().column());
                errors.push(
                    InputError::at(
                        "terraform::syntax",
                        &source,
                        SourceSpan::new(at.into(), 0),
                        format!("cannot read `{}`: {}", source.name(), e.message()),
                        "here",
                    )
                    .with_help("`terraform validate` says more about the configuration"),
                );
                None
            }
        }
    }

    pub fn root_dir(&self) -> &str {
        &self.root
    }

    /// Every `.tf` and tfvars file, with its suppression comments.
    pub fn files_with_suppressions(
        &self,
    ) -> Result<Vec<(SourceFile, Vec<Suppression>)>, Vec<InputError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for file in &self.files {
            match suppress::parse(&file.source) {
                Ok(s) => out.push((file.source.clone(), s)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Blocks of kind `ident` in a module, with the file each is in.
    fn blocks_in(&self, module: usize, ident: &str) -> Vec<(usize, &Block)> {
        self.modules[module]
            .files
            .iter()
            .flat_map(|&f| {
                self.files[f]
                    .body
                    .blocks()
                    .filter(|b| b.ident.as_str() == ident)
                    .map(move |b| (f, b))
            })
            .collect()
    }

    fn module(&self, path: &[String]) -> Option<usize> {
        self.modules.iter().position(|m| m.path == path)
    }

    fn resource_block(&self, module: usize, ty: &str, name: &str) -> Option<(usize, &Block)> {
        self.blocks_in(module, "resource")
            .into_iter()
            .find(|(_, b)| label(b, 0) == Some(ty) && label(b, 1) == Some(name))
    }

    /// Points a resource read from plan JSON at its block in the `.tf` files: the block's
    /// header, each attribute's value, and where variables it uses are set. False when the
    /// block is not there.
    pub fn locate(&self, module_path: &[String], name: &str, resource: &mut Resource) -> bool {
        let Some(module) = self.module(module_path) else {
            return false;
        };
        let Some((file, block)) = self.resource_block(module, resource.ty.name, name) else {
            return false;
        };
        let source = &self.files[file].source;
        let head = header(block);
        resource.file = source.clone();
        resource.header = head;
        let ty = resource.ty;
        let one = |key: Option<&'static str>| -> Vec<&'static str> {
            key.filter(|k| !k.is_empty()).into_iter().collect()
        };
        let (charge_key, spot_key) = ty.charge_keys();
        let attrs = &mut resource.attrs;
        for (attr, path) in [
            (&mut attrs.image, vec![ty.image_key()]),
            (&mut attrs.instance_type, vec![ty.instance_type_key()]),
            (&mut attrs.region_zone, one(ty.region_from().zone())),
            (&mut attrs.disk, ty.disk_path().to_vec()),
            (&mut attrs.zone, one(ty.zone_key())),
            (&mut attrs.charge, one(Some(charge_key))),
            (&mut attrs.spot, one(Some(spot_key))),
        ] {
            let expr = attribute(&block.body, &path);
            let at = expr.and_then(|e| e.span()).map(to_span);
            match attr {
                Attr::Known { span, origins, .. } => {
                    *span = at.unwrap_or(head);
                    if let Some(expr) = expr {
                        *origins = self.origins(module, file, expr, *span);
                    }
                }
                Attr::Unknown { span, .. } => *span = at,
                Attr::Absent => {}
            }
        }
        true
    }

    /// Where the value of `expr` (at `of`) is set, when that is somewhere else.
    fn origins(
        &self,
        module: usize,
        file: usize,
        expr: &Expression,
        of: SourceSpan,
    ) -> Vec<Origin> {
        let followed = self.follow(module, file, expr, 0);
        let Some(via) = followed.via else {
            return Vec::new();
        };
        let Some(span) = followed.expr.span().map(to_span) else {
            return Vec::new();
        };
        vec![Origin {
            of,
            file: self.files[followed.file].source.clone(),
            span,
            label: format!("`{via}` is set here"),
        }]
    }

    /// Follows `var.x` and `local.x` to the expression that sets the value.
    fn follow<'c>(
        &'c self,
        module: usize,
        file: usize,
        expr: &'c Expression,
        depth: usize,
    ) -> Followed<'c> {
        let here = Followed {
            file,
            expr,
            via: None,
            exact: true,
        };
        if depth > 32 {
            return here;
        }
        let expr = unwrap(expr);
        let Expression::Traversal(traversal) = expr else {
            return Followed { expr, ..here };
        };
        let Expression::Variable(root) = &traversal.expr else {
            return here;
        };
        let Some(TraversalOperator::GetAttr(name)) = traversal.operators.first().map(|o| o.value())
        else {
            return here;
        };
        let exact = traversal.operators.len() == 1;
        let name = name.as_str();
        let next = match root.as_str() {
            "var" => self.variable(module, name),
            "local" => self.local(module, name),
            _ => None,
        };
        let Some((next_module, next_file, next_expr)) = next else {
            return here;
        };
        let mut followed = self.follow(next_module, next_file, next_expr, depth + 1);
        // Name the last reference: that is the one set where the label points.
        followed.via = followed
            .via
            .or_else(|| Some(format!("{}.{name}", root.as_str())));
        followed.exact = followed.exact && exact;
        followed
    }

    /// Where `var.name` of a module is set: the calling module's argument, the root's
    /// tfvars, or the variable's default.
    fn variable(&self, module: usize, name: &str) -> Option<(usize, usize, &Expression)> {
        if let Some((parent, file, call)) = &self.modules[module].call {
            if let Some(arg) = call.body.get_attribute(name) {
                return Some((*parent, *file, &arg.value));
            }
        } else {
            for &f in self.tfvars.iter().rev() {
                if let Some(attr) = self.files[f].body.get_attribute(name) {
                    return Some((module, f, &attr.value));
                }
            }
        }
        self.blocks_in(module, "variable")
            .into_iter()
            .find(|(_, b)| label(b, 0) == Some(name))
            .and_then(|(f, b)| Some((module, f, &b.body.get_attribute("default")?.value)))
    }

    fn local(&self, module: usize, name: &str) -> Option<(usize, usize, &Expression)> {
        self.blocks_in(module, "locals")
            .into_iter()
            .find_map(|(f, b)| Some((module, f, &b.body.get_attribute(name)?.value)))
    }

    /// The value of `expr` when it is a literal or leads to one; else why not.
    fn resolve(&self, module: usize, file: usize, expr: &Expression, of: SourceSpan) -> Attr {
        let followed = self.follow(module, file, expr, 0);
        let value = match unwrap(followed.expr) {
            // An empty id is no value: the cloud would be asked about "".
            Expression::String(s) if followed.exact && s.trim().is_empty() => return Attr::Absent,
            Expression::String(s) if followed.exact => Some(s.trim().to_string()),
            Expression::Number(n) if followed.exact => Some(n.value().to_string()),
            _ => None,
        };
        match value {
            Some(value) => Attr::Known {
                value,
                span: of,
                origins: self.origins(module, file, expr, of),
            },
            None => Attr::Unknown {
                why: format!(
                    "is `{}`, known only once Terraform plans",
                    text_of(&self.files[file].source, expr)
                ),
                span: Some(of),
            },
        }
    }

    /// The region a root provider block sets for `cloud`'s provider (alias from the
    /// resource's `provider = alicloud.x`).
    fn provider_region(
        &self,
        cloud: crate::cloud::Cloud,
        resource: &Block,
        resource_file: usize,
    ) -> Region {
        let name = resources::provider_name(cloud);
        let alias = resource
            .body
            .get_attribute("provider")
            .map(|a| text_of(&self.files[resource_file].source, &a.value))
            .and_then(|t| t.split_once('.').map(|(_, alias)| alias.to_string()));
        let block = self.blocks_in(0, "provider").into_iter().find(|(_, b)| {
            label(b, 0) == Some(name)
                && b.body
                    .get_attribute("alias")
                    .and_then(|a| a.value.as_str())
                    .map(str::to_string)
                    == alias
        });
        let Some((file, block)) = block else {
            return Region::Missing(format!("no `provider \"{name}\"` block sets `region`"));
        };
        let Some(attr) = block.body.get_attribute("region") else {
            return Region::Missing(format!("the `{name}` provider block sets no `region`"));
        };
        let span = attr
            .value
            .span()
            .map(to_span)
            .unwrap_or_else(|| header(block));
        match self.resolve(0, file, &attr.value, span) {
            Attr::Known { value, .. } => Region::Known(value),
            Attr::Unknown { why, .. } => {
                Region::Missing(format!("the `{name}` provider's region {why}"))
            }
            Attr::Absent => {
                Region::Missing(format!("the `{name}` provider block sets no `region`"))
            }
        }
    }
}

/// Reads `.tf` configuration without a plan: `path` is a directory (its root module) or one
/// `.tf` file (the resources it declares, and the modules it calls).
pub fn read_direct(path: &Path, options: &Options) -> Result<Plan, Vec<InputError>> {
    let (dir, only) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (dir, Some(shown(path)))
    };
    let config = Config::load(&dir)?;
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
    let mut builder = Builder::new(source.clone(), options.env);
    for (index, module) in config.modules.iter().enumerate() {
        let in_scope = |file: usize| match only_file {
            None => true,
            Some(only) => module.root_file.unwrap_or(file) == only,
        };
        for (file, block) in config.blocks_in(index, "resource") {
            if !in_scope(file) {
                continue;
            }
            let (Some(ty_name), Some(name)) = (label(block, 0), label(block, 1)) else {
                continue;
            };
            let Some(ty) = resources::lookup(ty_name) else {
                continue;
            };
            let address = format!("{}{ty_name}.{name}", prefix(&module.path));
            let head = header(block);
            let attr = |keys: &[&'static str]| -> Attr {
                match attribute(&block.body, keys) {
                    Some(expr) => {
                        let span = expr.span().map(to_span).unwrap_or(head);
                        config.resolve(index, file, expr, span)
                    }
                    None => Attr::Absent,
                }
            };
            let attrs = ty.instance_attrs(attr, || Attr::Absent);
            let count = if block.body.has_attribute("for_each") {
                Attr::Unknown {
                    why: "comes from `for_each`, known only once Terraform plans".to_string(),
                    span: Some(head),
                }
            } else {
                attr(&["count"])
            };
            let region = config.provider_region(ty.cloud(), block, file);
            builder.add(Resource {
                address,
                ty,
                file: config.files[file].source.clone(),
                header: head,
                attrs,
                region,
                count,
                creates: true,
                deletes: false,
            });
        }
    }
    for call in &config.remote_calls {
        builder.plan.notices.push(format!(
            "{call} is not a local module, so its resources were not read; validate the plan JSON (`terraform show -json`) to check them"
        ));
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

/// `module.web.module.db.` for `["web", "db"]`.
fn prefix(path: &[String]) -> String {
    path.iter().map(|m| format!("module.{m}.")).collect()
}

fn address_of(path: &[String]) -> String {
    prefix(path).trim_end_matches('.').to_string()
}

/// An attribute by path: `["system_disk", "disk_size_gb"]` looks into a nested block (or an
/// object-valued attribute).
fn attribute<'b>(body: &'b Body, path: &[&'b str]) -> Option<&'b Expression> {
    let (last, blocks) = path.split_last()?;
    let mut body = body;
    for key in blocks {
        if let Some(block) = body.get_blocks(key).next() {
            body = &block.body;
        } else {
            let object = body.get_attribute(key)?.value.as_object()?;
            return object.iter().find_map(|(k, v)| {
                let name = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(e) => e.as_str()?.to_string(),
                };
                (name == *last).then_some(v.expr())
            });
        }
    }
    body.get_attribute(last).map(|a| &a.value)
}

/// `"${var.x}"` is `var.x`; `(x)` is `x`.
fn unwrap(expr: &Expression) -> &Expression {
    match expr {
        Expression::Parenthesis(p) => unwrap(p.inner()),
        Expression::StringTemplate(t) => {
            let elements: Vec<&Element> = t.iter().collect();
            match elements.as_slice() {
                [Element::Interpolation(i)] => unwrap(&i.expr),
                _ => expr,
            }
        }
        _ => expr,
    }
}

fn label(block: &Block, i: usize) -> Option<&str> {
    block.labels.get(i).map(|l| l.as_str())
}

/// From the block's keyword to the end of its last label: `resource "a" "b"`.
fn header(block: &Block) -> SourceSpan {
    let start = block.ident.span().map_or(0, |s| s.start);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())
        .map_or(start, |s| s.end);
    SourceSpan::new(start.into(), end.saturating_sub(start))
}

fn to_span(range: std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.len())
}

fn text_of(source: &SourceFile, expr: &Expression) -> String {
    expr.span()
        .and_then(|r| source.text().get(r))
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// `a/./b/../c` → `a/c`, without touching the file system (so paths stay as the user wrote
/// them, relative where they were relative).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn shown(path: &Path) -> String {
    let s = path.display().to_string();
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    if s.is_empty() { ".".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` under a fresh directory and returns it.
    fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preflight-tf-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    fn direct(dir: &Path) -> Plan {
        let env = |_: &str| None;
        read_direct(
            dir,
            &Options {
                tf_dir: None,
                env: &env,
            },
        )
        .expect("reads")
    }

    const PROVIDER: &str = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n";

    #[test]
    fn tfvars_win_over_defaults_and_the_label_points_there() {
        let dir = project(
            "tfvars",
            &[
                (
                    "main.tf",
                    &format!(
                        "{PROVIDER}variable \"img\" {{\n  default = \"img-default\"\n}}\nresource \"jdcloud_instance\" \"a\" {{\n  image_id      = var.img\n  instance_type = \"t\"\n}}\n"
                    ),
                ),
                ("terraform.tfvars", "img = \"img-tfvars\"\n"),
                ("z.auto.tfvars", "img = \"img-auto\"\n"),
            ],
        );
        let plan = direct(&dir);
        let a = &plan.instances[0];
        assert_eq!(
            a.image.value, "img-auto",
            "auto.tfvars are read after terraform.tfvars"
        );
        assert_eq!(a.origins.len(), 1);
        assert!(a.origins[0].file.name().ends_with("z.auto.tfvars"));
        assert_eq!(a.origins[0].label, "`var.img` is set here");
        // The primary span is the attribute in the resource block.
        assert_eq!(a.file.line_of(a.image.span.offset()), 8);
    }

    #[test]
    fn module_arguments_and_locals_are_followed() {
        let dir = project(
            "modules",
            &[
                (
                    "main.tf",
                    &format!(
                        "{PROVIDER}locals {{\n  size = \"g.n4.large\"\n}}\nmodule \"app\" {{\n  source = \"./modules/app\"\n  type   = local.size\n}}\n"
                    ),
                ),
                (
                    "modules/app/main.tf",
                    "variable \"type\" {}\nresource \"jdcloud_instance\" \"x\" {\n  count         = 3\n  image_id      = \"${\"img-1\"}\"\n  instance_type = var.type\n}\n",
                ),
            ],
        );
        let plan = direct(&dir);
        let x = &plan.instances[0];
        assert_eq!(x.name.value, "module.app.jdcloud_instance.x");
        assert_eq!(x.instance_type.value, "g.n4.large");
        assert_eq!(x.count, 3);
        assert!(
            x.file.name().ends_with("modules/app/main.tf"),
            "{}",
            x.file.name()
        );
        assert_eq!(x.origins[0].label, "`local.size` is set here");
    }

    #[test]
    fn what_only_a_plan_knows_is_unverified() {
        let dir = project(
            "unknown",
            &[(
                "main.tf",
                &format!(
                    "{PROVIDER}resource \"jdcloud_instance\" \"a\" {{\n  for_each      = var.types\n  image_id      = data.jdcloud_images.x.id\n  instance_type = each.value\n}}\n"
                ),
            )],
        );
        let plan = direct(&dir);
        assert!(plan.instances.is_empty());
        let reason = &plan.unchecked[0].reason;
        assert!(reason.contains("`data.jdcloud_images.x.id`"), "{reason}");
        assert!(reason.contains("`each.value`"), "{reason}");
    }

    #[test]
    fn registry_modules_are_named_in_a_note_not_skipped_silently() {
        let dir = project(
            "registry",
            &[(
                "main.tf",
                &format!(
                    "{PROVIDER}module \"vpc\" {{\n  source = \"terraform-example/vpc/jdcloud\"\n}}\nresource \"jdcloud_instance\" \"a\" {{\n  image_id      = \"\"\n  instance_type = \"t\"\n}}\n"
                ),
            )],
        );
        let plan = direct(&dir);
        assert_eq!(plan.notices.len(), 1);
        assert!(
            plan.notices[0].starts_with("module.vpc is not a local module"),
            "{:?}",
            plan.notices
        );
        // An empty literal id is not set, not an id "" to ask about.
        assert_eq!(plan.unchecked[0].reason, "`image_id` is not set");
    }

    #[test]
    fn a_missing_local_module_is_an_input_error_at_its_source() {
        let dir = project(
            "missing-module",
            &[("main.tf", "module \"a\" {\n  source = \"./nowhere\"\n}\n")],
        );
        let Err(errors) = Config::load(&dir) else {
            panic!("a missing module directory is refused");
        };
        assert_eq!(errors[0].code(), "terraform::bad-module");
        assert_eq!(errors[0].position().map(|p| p.line), Some(2));
    }

    #[test]
    fn paths_are_normalized_without_the_file_system() {
        assert_eq!(normalize(Path::new("a/./b/../c")), Path::new("a/c"));
        assert_eq!(normalize(Path::new("../x/./y")), Path::new("../x/y"));
    }
}
