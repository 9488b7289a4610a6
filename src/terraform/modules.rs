//! A Terraform configuration as modules: the root module's `.tf` files and every module it
//! calls, recursively. A local `source` (`./…`, `../..`) is resolved against the calling
//! module's own directory, whatever the working directory; a registry or git module is read
//! from where `terraform init` downloaded it (`.terraform/modules/modules.json`), else it is
//! named in a note. What Terraform itself refuses (two resources with one address, two
//! default configurations of one provider in a module) is an input error at both places.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use miette::SourceSpan;
use serde::Deserialize;

use super::files::{TfFile, is_config, normalize, read_hcl, shown, try_files_in, without_replaced};
use super::variables::RootVars;
use crate::error::InputError;
use crate::files::Reader;
use crate::plan::{Suppression, suppress};
use crate::source::SourceFile;

/// Modules nest at most this deep; deeper is a cycle or a mistake.
const MAX_MODULE_DEPTH: usize = 16;
/// Module calls in a whole configuration: a tree of calls that branches at every level
/// (each module calling the next twice) is read once per call.
pub const MAX_MODULE_CALLS: usize = 1_000;

pub struct Module {
    /// Module names from the root: `["web", "db"]` for `module.web.module.db`.
    pub path: Vec<String>,
    pub dir: PathBuf,
    pub files: Vec<usize>,
    /// Its override files (`override.tf`, `*_override.tf`): read, but not merged.
    pub overrides: Vec<usize>,
    /// The `module` block that calls it.
    pub call: Option<Call>,
}

pub struct Call {
    pub parent: usize,
    pub file: usize,
    pub block: Block,
}

pub struct Config {
    root: PathBuf,
    pub files: Vec<TfFile>,
    pub modules: Vec<Module>,
    pub vars: RootVars,
    /// Module calls neither local nor downloaded: (address, source).
    pub remote_calls: Vec<(String, String)>,
    /// `.tf.json` files (Terraform's JSON syntax), which preflight does not read.
    pub json_files: Vec<PathBuf>,
    /// What calls the root module from outside Terraform: the Terragrunt unit it was planned
    /// for, at its `terraform { source }`.
    pub caller: Option<crate::plan::Origin>,
}

/// `.terraform/modules/modules.json`, as `terraform init` writes it.
#[derive(Deserialize)]
struct Manifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Dir", default)]
    dir: String,
}

impl Config {
    /// Reads the root module in `dir`, its variable sources and every module it calls.
    pub fn load(dir: &Path, options: &super::Options) -> Result<Config, Vec<InputError>> {
        let (config, errors) = Config::load_partly(dir, options);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// As `load`, but what could be read is kept with the errors.
    pub fn load_partly(dir: &Path, options: &super::Options) -> (Config, Vec<InputError>) {
        let reader = options.reader;
        let mut config = Config {
            root: dir.to_path_buf(),
            files: Vec::new(),
            modules: Vec::new(),
            vars: RootVars::default(),
            remote_calls: Vec::new(),
            json_files: Vec::new(),
            caller: None,
        };
        let mut errors = Vec::new();
        let downloaded = downloaded_modules(dir, reader).unwrap_or_else(|e| {
            errors.push(e);
            HashMap::new()
        });
        let (files, overrides) = config.read_dir(dir, reader, &mut errors);
        config.modules.push(Module {
            path: Vec::new(),
            dir: dir.to_path_buf(),
            files,
            overrides,
            call: None,
        });
        // The root's variables first: a module `source` may use them (OpenTofu's early
        // evaluation, Terraform's const variables).
        let names = config.variable_names(0);
        match RootVars::load(dir, &names, options) {
            Ok(vars) => config.vars = vars,
            Err(mut e) => errors.append(&mut e),
        }
        let mut next = 0;
        while next < config.modules.len() {
            config.load_calls(next, &downloaded, reader, &mut errors);
            next += 1;
        }
        config.check_duplicates(&mut errors);
        (config, errors)
    }

    /// Adds the modules that `module` calls.
    fn load_calls(
        &mut self,
        module: usize,
        downloaded: &HashMap<String, PathBuf>,
        reader: Reader,
        errors: &mut Vec<InputError>,
    ) {
        let calls: Vec<(usize, Block)> = self
            .blocks_in(module, "module")
            .into_iter()
            .map(|(f, b)| (f, b.clone()))
            .collect();
        for (file, block) in calls {
            let Some(name) = label(&block, 0) else {
                continue;
            };
            let source = match block.body.get_attribute("source") {
                Some(a) => match a.value.as_str() {
                    Some(literal) => literal.to_string(),
                    None => Some(self.early_source(module, file, &a.value))
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| {
                            super::eval::text_of(&self.files[file].source, &a.value)
                        }),
                },
                None => String::new(),
            };
            let mut path = self.modules[module].path.clone();
            path.push(name.to_string());
            let local = source.starts_with("./") || source.starts_with("../");
            let child_dir = if local {
                normalize(&self.modules[module].dir.join(&source))
            } else {
                match downloaded.get(&path.join(".")) {
                    Some(dir) => dir.clone(),
                    None => {
                        self.remote_calls.push((address_of(&path), source));
                        continue;
                    }
                }
            };
            let span = block
                .body
                .get_attribute("source")
                .and_then(|a| a.value.span())
                .map(to_span)
                .unwrap_or_else(|| header(&block));
            let why = if !child_dir.is_dir() {
                Some(format!(
                    "module `{name}`: `{source}` is not a directory (it would be `{}`)",
                    shown(&child_dir)
                ))
            } else if self.calls_itself(module, &child_dir) {
                Some(format!(
                    "module `{name}` includes itself (`{source}` is `{}`, which is already being read on this path), so Terraform would recurse forever",
                    shown(&child_dir)
                ))
            } else if path.len() > MAX_MODULE_DEPTH {
                Some(format!(
                    "modules nest more than {MAX_MODULE_DEPTH} deep here"
                ))
            } else if self.modules.len() > MAX_MODULE_CALLS {
                Some(format!(
                    "the configuration calls modules more than {MAX_MODULE_CALLS} times; preflight stops reading here"
                ))
            } else {
                None
            };
            if let Some(why) = why {
                errors.push(InputError::at(
                    "terraform::bad-module",
                    &self.files[file].source,
                    span,
                    why,
                    "this source",
                ));
                if self.modules.len() > MAX_MODULE_CALLS {
                    return;
                }
                continue;
            }
            let (files, overrides) = self.read_dir(&child_dir, reader, errors);
            self.modules.push(Module {
                path,
                dir: child_dir,
                files,
                overrides,
                call: Some(Call {
                    parent: module,
                    file,
                    block,
                }),
            });
        }
    }

    /// A `source` written with variables or locals (`"${var.modules}/web"`), which OpenTofu and
    /// Terraform's const variables allow: what it comes to from the root's variables
    /// (defaults, tfvars, flags) and locals, and in a called module from the arguments its
    /// callers pass (a source is the same for every instance of a call, so `each` and `count`
    /// are not known there); empty where it is not known before plan (then it is named as not
    /// read).
    fn early_source(&self, module: usize, file: usize, expr: &Expression) -> String {
        let ev = super::eval::Evaluator::new(self);
        let got = ev.eval(
            expr,
            &self.files[file].source,
            &super::eval::Scope::of(&self.static_instance(module)),
        );
        got.scalar().unwrap_or_default()
    }

    /// `module` as one instance of each call on its path, with no `each` or `count`.
    fn static_instance(&self, module: usize) -> std::rc::Rc<super::eval::Instance> {
        let Some(call) = &self.modules[module].call else {
            return super::eval::Instance::root();
        };
        let parent = self.static_instance(call.parent);
        std::rc::Rc::new(super::eval::Instance {
            module,
            address: address_of(&self.modules[module].path),
            each: super::eval::Each::default(),
            parent: Some(parent),
        })
    }

    /// Whether `dir` is `module`'s own directory or that of a module calling it.
    fn calls_itself(&self, module: usize, dir: &Path) -> bool {
        let same = |a: &Path| {
            a == dir || matches!((a.canonicalize(), dir.canonicalize()), (Ok(x), Ok(y)) if x == y)
        };
        let mut at = Some(module);
        while let Some(m) = at {
            if same(&self.modules[m].dir) {
                return true;
            }
            at = self.modules[m].call.as_ref().map(|c| c.parent);
        }
        false
    }

    /// A directory's `.tf` files: (ordinary ones, override files).
    fn read_dir(
        &mut self,
        dir: &Path,
        reader: Reader,
        errors: &mut Vec<InputError>,
    ) -> (Vec<usize>, Vec<usize>) {
        let listed = try_files_in(dir, reader, |name| {
            is_config(name) || name.ends_with(".tf.json") || name.ends_with(".tofu.json")
        })
        .map(without_replaced);
        let listed = match listed {
            Ok(listed) => listed,
            Err(e) => {
                errors.push(
                    InputError::new(
                        "terraform::unreadable",
                        format!(
                            "cannot read the module directory `{}`: {}",
                            shown(dir),
                            crate::files::io_reason(&e)
                        ),
                    )
                    .with_help("preflight must read every module to check it; fix the directory's permissions"),
                );
                return (Vec::new(), Vec::new());
            }
        };
        let (json, tf): (Vec<PathBuf>, Vec<PathBuf>) = listed.into_iter().partition(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".tf.json") || name.ends_with(".tofu.json")
        });
        for path in json {
            if !self.json_files.contains(&path) {
                self.json_files.push(path);
            }
        }
        let mut files = Vec::new();
        let mut overrides = Vec::new();
        for path in tf {
            let Some(mut file) = read_hcl(&path, reader, errors) else {
                continue;
            };
            // Shown as the user reads paths: without `../` detours.
            if file.source.name() != shown(&path) {
                file.source = SourceFile::new(shown(&path), file.source.text().to_string());
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            self.files.push(file);
            let stem = name
                .strip_suffix(".tf")
                .or_else(|| name.strip_suffix(".tofu"))
                .unwrap_or(name);
            if stem == "override" || stem.ends_with("_override") {
                overrides.push(self.files.len() - 1);
            } else {
                files.push(self.files.len() - 1);
            }
        }
        (files, overrides)
    }

    /// The override file that may change resource `ty.name` in `module`, if any: one in the
    /// module that overrides that resource, or one there or in a caller that overrides
    /// anything but resources (a provider, a variable, a module call).
    pub fn overridden_by(&self, module: usize, ty: &str, name: &str) -> Option<&str> {
        let mut at = Some(module);
        while let Some(m) = at {
            for &f in &self.modules[m].overrides {
                let hit = self.files[f].body.blocks().any(|b| {
                    b.ident.as_str() != "resource"
                        || (m == module && label(b, 0) == Some(ty) && label(b, 1) == Some(name))
                });
                if hit {
                    return Some(self.files[f].source.name());
                }
            }
            at = self.modules[m].call.as_ref().map(|c| c.parent);
        }
        None
    }

    /// Names each file after its original (`original` says it), keeping its text, so every
    /// span stays right: Terragrunt's cached copies are shown as the sources they copy.
    pub fn rename_files(&mut self, original: impl Fn(&Path, &str) -> Option<String>) {
        for file in &mut self.files {
            if let Some(name) = original(Path::new(file.source.name()), file.source.text()) {
                file.source = SourceFile::new(name, file.source.text().to_string());
            }
        }
    }

    pub fn root_dir(&self) -> String {
        shown(&self.root)
    }

    /// Terraform's "Unsupported argument": a module call's argument that the module declares
    /// no variable for (meta-arguments aside), for every module whose files were read.
    pub fn unsupported_arguments(&self) -> Vec<InputError> {
        const META: &[&str] = &[
            "source",
            "version",
            "count",
            "for_each",
            "providers",
            "depends_on",
        ];
        let mut errors = Vec::new();
        for (index, module) in self.modules.iter().enumerate() {
            let Some(call) = &module.call else { continue };
            let declared = self.variable_names(index);
            for attr in call.block.body.attributes() {
                let name = attr.key.as_str();
                if META.contains(&name) || declared.iter().any(|v| v == name) {
                    continue;
                }
                let Some(span) = attr.key.span() else {
                    continue;
                };
                let mut e = InputError::at(
                    "terraform::unsupported-argument",
                    &self.files[call.file].source,
                    to_span(span),
                    format!(
                        "module `{}` declares no variable `{name}`, so Terraform refuses this argument",
                        address_of(&module.path)
                    ),
                    "not a variable of the module",
                );
                e = match crate::suggest::best(name, declared.iter().map(String::as_str)) {
                    Some(s) => e.with_help(format!("did you mean `{s}`?")),
                    None => e.with_help(format!(
                        "declare `variable \"{name}\"` in `{}`, or remove the argument",
                        shown(&module.dir)
                    )),
                };
                errors.push(e);
            }
        }
        errors
    }

    /// The variables the root module declares.
    fn variable_names(&self, module: usize) -> Vec<String> {
        self.blocks_in(module, "variable")
            .into_iter()
            .filter_map(|(_, b)| label(b, 0).map(str::to_string))
            .collect()
    }

    /// Blocks of kind `ident` in a module, with the file each is in.
    pub fn blocks_in(&self, module: usize, ident: &str) -> Vec<(usize, &Block)> {
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

    pub fn module(&self, path: &[String]) -> Option<usize> {
        self.modules.iter().position(|m| m.path == path)
    }

    pub fn resource_block(&self, module: usize, ty: &str, name: &str) -> Option<(usize, &Block)> {
        self.blocks_in(module, "resource")
            .into_iter()
            .find(|(_, b)| label(b, 0) == Some(ty) && label(b, 1) == Some(name))
    }

    /// Every `.tf` and tfvars file, with its suppression comments.
    pub fn files_with_suppressions(
        &self,
    ) -> Result<Vec<(SourceFile, Vec<Suppression>)>, Vec<InputError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let sources = self
            .files
            .iter()
            .map(|f| &f.source)
            .chain(self.vars.hcl_files());
        for source in sources {
            match suppress::parse(source) {
                Ok(s) => out.push((source.clone(), s)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Terraform refuses two `resource` blocks with one type and name in a module, two module
    /// calls with one name, and two configurations of one provider with one alias (or none).
    fn check_duplicates(&self, errors: &mut Vec<InputError>) {
        for module in 0..self.modules.len() {
            let mut seen: HashMap<(String, String), (usize, SourceSpan)> = HashMap::new();
            let keyed = |ident: &str, block: &Block| -> Option<(String, String)> {
                match ident {
                    "resource" => {
                        Some((label(block, 0)?.to_string(), label(block, 1)?.to_string()))
                    }
                    "module" => Some(("module".to_string(), label(block, 0)?.to_string())),
                    _ => Some((
                        format!("provider {}", label(block, 0)?),
                        block
                            .body
                            .get_attribute("alias")
                            .and_then(|a| a.value.as_str())
                            .unwrap_or("")
                            .to_string(),
                    )),
                }
            };
            for ident in ["resource", "module", "provider"] {
                for (file, block) in self.blocks_in(module, ident) {
                    let Some(key) = keyed(ident, block) else {
                        continue;
                    };
                    let span = header(block);
                    if let Some((first_file, first)) = seen.get(&key) {
                        errors.push(self.duplicate(
                            ident,
                            &key,
                            (*first_file, *first),
                            (file, span),
                        ));
                    } else {
                        seen.insert(key, (file, span));
                    }
                }
            }
        }
    }

    fn duplicate(
        &self,
        ident: &str,
        key: &(String, String),
        first: (usize, SourceSpan),
        again: (usize, SourceSpan),
    ) -> InputError {
        let (message, help) = match ident {
            "resource" => (
                format!("`{}.{}` is declared twice in one module", key.0, key.1),
                "Terraform refuses this: give one of them another name",
            ),
            "module" => (
                format!("module `{}` is called twice in one module", key.1),
                "Terraform refuses this: give one of the calls another name",
            ),
            _ if key.1.is_empty() => (
                format!(
                    "two default `{}` configurations in one module",
                    key.0.trim_start_matches("provider ")
                ),
                "Terraform refuses this: give the second one an `alias`",
            ),
            _ => (
                format!(
                    "two `{}` configurations with alias `{}`",
                    key.0.trim_start_matches("provider "),
                    key.1
                ),
                "Terraform refuses this: give each configuration its own alias",
            ),
        };
        let mut error = InputError::at(
            "terraform::duplicate",
            &self.files[again.0].source,
            again.1,
            message,
            "declared again here",
        )
        .with_help(help);
        if first.0 == again.0 {
            error = error.with_label(first.1, "first declared here");
        } else {
            error = error.also_at(&self.files[first.0].source, first.1, "first declared here");
        }
        error
    }
}

/// Where `terraform init` put each registry or git module, by module key (`web.db`).
/// No manifest is no downloads (`terraform init` did not run); one that is there but cannot
/// be read is an input error, not a reason to say `init` did not run.
fn downloaded_modules(root: &Path, reader: Reader) -> Result<HashMap<String, PathBuf>, InputError> {
    let path = root.join(".terraform").join("modules").join("modules.json");
    if !reader.is_input(&path) {
        return Ok(HashMap::new());
    }
    let source = reader.read_source(&path, crate::error::Kind::Plan)?;
    let manifest = serde_json::from_str::<Manifest>(source.text()).map_err(|e| {
        let at = source.offset_of(e.line(), e.column());
        InputError::at(
            "terraform::bad-manifest",
            &source,
            SourceSpan::new(at.into(), 0),
            format!("cannot read `{}`: {e}", source.name()),
            "here",
        )
        .with_help("`terraform init` writes this file; run it again to write it anew")
    })?;
    Ok(manifest
        .modules
        .into_iter()
        .filter(|m| !m.key.is_empty())
        .map(|m| (m.key, normalize(&root.join(m.dir))))
        .collect())
}

/// An attribute by path: `["system_disk", "disk_size_gb"]` looks into a nested block (or an
/// object-valued attribute).
pub fn attribute<'b>(body: &'b Body, path: &[&'b str]) -> Option<&'b Expression> {
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

pub fn label(block: &Block, i: usize) -> Option<&str> {
    block.labels.get(i).map(|l| l.as_str())
}

/// From the block's keyword to the end of its last label: `resource "a" "b"`.
pub fn header(block: &Block) -> SourceSpan {
    let start = block.ident.span().map_or(0, |s| s.start);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())
        .map_or(start, |s| s.end);
    SourceSpan::new(start.into(), end.saturating_sub(start))
}

pub fn to_span(range: std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.len())
}

/// `module.web.module.db.` for `["web", "db"]`.
pub fn prefix(path: &[String]) -> String {
    path.iter().map(|m| format!("module.{m}.")).collect()
}

pub fn address_of(path: &[String]) -> String {
    prefix(path).trim_end_matches('.').to_string()
}
