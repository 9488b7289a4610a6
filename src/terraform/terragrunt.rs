//! Terragrunt units: which `.tf` files a unit's plan JSON was planned from, so its findings
//! point at the unit's own lines, and which units a run has no plan for.
//!
//! `terragrunt run --all --json-out-dir OUT -- plan` writes `OUT/<unit>/tfplan.json`, `<unit>`
//! being the unit's directory relative to where it ran. The unit's `terragrunt.hcl` names the
//! module in `terraform { source = "…" }` (go-getter's `root//subdir` notation), and Terragrunt
//! plans a copy of it in `<unit>/.terragrunt-cache/<hash>/<hash>/<subdir>`, with the unit's own
//! files copied in beside it. preflight reads that copy (what Terragrunt planned), and names
//! each file after the source it is a byte-for-byte copy of; without the cache, it reads the
//! local source itself.

use std::path::{Component, Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use miette::SourceSpan;

use super::build::Builder;
use crate::error::InputError;
use crate::plan::{Origin, Plan, Unchecked, Value};

use super::files::{dir_or_cwd, has_tf_files, normalize, read_hcl, shown};
use crate::files::Reader;

/// A unit's configuration file.
pub const UNIT_FILE: &str = "terragrunt.hcl";

/// The unit directory a plan JSON in `plan_dir` was written for: `plan_dir` itself when it
/// holds a `terragrunt.hcl` (a plan saved inside the unit), else the unit whose path relative
/// to where Terragrunt ran is the plan's path relative to the `--json-out-dir` (beside the
/// output directory, or below the current directory), the longest such path first.
pub fn unit_of(plan_dir: &Path, reader: Reader) -> Option<PathBuf> {
    let is_unit = |dir: &Path| reader.is_file(&dir.join(UNIT_FILE));
    if is_unit(plan_dir) {
        return Some(plan_dir.to_path_buf());
    }
    // From the real path, so a run inside the output directory finds units beside it.
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    let absolute = cwd.join(plan_dir).canonicalize().ok()?;
    let parts: Vec<Component> = absolute.components().collect();
    for i in 2..parts.len() {
        let out: PathBuf = parts[..i].iter().collect();
        let rel: PathBuf = parts[i..].iter().collect();
        let beside = out.parent().map(|p| p.join(&rel));
        for unit in beside.into_iter().chain([cwd.join(&rel)]) {
            if is_unit(&unit) {
                return Some(crate::files::relative_to_cwd(&unit).unwrap_or(unit));
            }
        }
    }
    None
}

/// Whether the `terragrunt.hcl` in `dir` is a unit (something Terragrunt plans) rather than
/// only a parent configuration other units include: it names a module source, includes a
/// parent, or sits beside `.tf` files.
pub fn is_unit(dir: &Path, reader: Reader) -> bool {
    let mut errors = Vec::new();
    let Some(file) = read_hcl(&dir.join(UNIT_FILE), reader, &mut errors) else {
        // Unreadable or broken: Terragrunt would refuse it too; count it, so it is said.
        return true;
    };
    source_of(&file.body, dir).is_some()
        || file.body.blocks().any(|b| b.ident.as_str() == "include")
        || has_tf_files(dir, reader)
}

/// The configuration to point a unit's plan JSON into: the directory to read, and how to
/// name each file read there after its original.
pub struct Planned {
    pub dir: PathBuf,
    /// The unit's `terraform { source }` (or its `terragrunt.hcl`), named as the unit.
    pub caller: Option<Origin>,
    /// The cache's copy of the source (`<hash>/<hash>`) and the source it copies.
    cache_root: Option<PathBuf>,
    source_root: Option<PathBuf>,
    unit: PathBuf,
}

impl Planned {
    /// The original of a file read from the cache: the source's file, or the unit's own
    /// file, with the same bytes; `None` for a file only the cache has (generated).
    pub fn original(&self, copy: &Path, text: &str, reader: Reader) -> Option<String> {
        // By real paths: the names read may climb (`../main.tf`) where the root does not.
        let real = |p: &Path| dir_or_cwd(p).canonicalize().ok();
        let root = real(self.cache_root.as_ref()?)?;
        let copy_real = real(copy)?;
        let rel = copy_real.strip_prefix(&root).ok()?;
        let mut candidates = Vec::new();
        if let Some(source) = &self.source_root {
            candidates.push(source.join(rel));
        }
        if copy_real.parent() == real(&self.dir).as_deref() {
            candidates.push(self.unit.join(copy.file_name()?));
        }
        candidates.into_iter().find_map(|c| {
            let same = reader
                .read_source(&c, crate::error::Kind::Plan)
                .is_ok_and(|s| s.text() == text);
            same.then(|| shown(&c))
        })
    }
}

/// What to read for `unit`'s plan: Terragrunt's working copy in `.terragrunt-cache` when
/// there is one, else the local source, else the unit's own `.tf` files.
pub fn planned(unit: &Path, reader: Reader) -> Option<Planned> {
    let mut errors = Vec::new();
    let file = read_hcl(&unit.join(UNIT_FILE), reader, &mut errors)?;
    let source = source_attribute(&file.body);
    let caller = Some(Origin {
        of: SourceSpan::new(0.into(), 0),
        file: file.source.clone(),
        span: source
            .and_then(|a| a.span())
            .map_or(SourceSpan::new(0.into(), 0), super::modules::to_span),
        label: "planned as this Terragrunt unit".to_string(),
    });
    let (source_root, subdir) = match source_of(&file.body, unit) {
        Some(Source::Local { root, subdir }) => (Some(root), subdir),
        Some(Source::Remote { subdir }) => (None, subdir),
        None => (None, PathBuf::new()),
    };
    if let Some(cache_root) = newest_copy(unit, &subdir, reader) {
        return Some(Planned {
            dir: cache_root.join(&subdir),
            caller,
            cache_root: Some(cache_root),
            source_root,
            unit: unit.to_path_buf(),
        });
    }
    let dir = match &source_root {
        Some(root) => root.join(&subdir),
        None => unit.to_path_buf(),
    };
    has_tf_files(&dir, reader).then(|| Planned {
        dir: normalize(&dir),
        caller,
        cache_root: None,
        source_root: None,
        unit: unit.to_path_buf(),
    })
}

/// The `source` attribute of the unit's `terraform` block.
fn source_attribute(body: &hcl_edit::structure::Body) -> Option<&hcl_edit::structure::Attribute> {
    let block = body.blocks().find(|b| b.ident.as_str() == "terraform")?;
    block.body.get_attribute("source")
}

/// When `dir` is inside a unit's `.terragrunt-cache` (a hook running in Terragrunt's working
/// copy), names the files read there after their sources, as for a unit's plan.
pub fn name_copies(config: &mut super::modules::Config, dir: &Path, reader: Reader) {
    let Ok(real) = dir_or_cwd(dir).canonicalize() else {
        return;
    };
    let parts: Vec<Component> = real.components().collect();
    let Some(at) = parts
        .iter()
        .position(|c| c.as_os_str() == ".terragrunt-cache")
    else {
        return;
    };
    if parts.len() < at + 3 {
        return;
    }
    let relative = |p: PathBuf| crate::files::relative_to_cwd(&p).unwrap_or(p);
    let unit = relative(parts[..at].iter().collect());
    let cache_root = relative(parts[..at + 3].iter().collect());
    let mut errors = Vec::new();
    let Some(file) = read_hcl(&unit.join(UNIT_FILE), reader, &mut errors) else {
        return;
    };
    let source_root = match source_of(&file.body, &unit) {
        Some(Source::Local { root, .. }) => Some(root),
        _ => None,
    };
    let planned = Planned {
        dir: normalize(dir),
        caller: None,
        cache_root: Some(normalize(&cache_root)),
        source_root,
        unit,
    };
    config.rename_files(|path, text| planned.original(path, text, reader));
}

enum Source {
    /// A directory on this machine: `root` is what Terragrunt copies, `subdir` where it runs.
    Local {
        root: PathBuf,
        subdir: PathBuf,
    },
    Remote {
        subdir: PathBuf,
    },
}

/// `terraform { source = "…" }`, a string or a template of Terragrunt's directory functions.
fn source_of(body: &hcl_edit::structure::Body, unit: &Path) -> Option<Source> {
    let value = &source_attribute(body)?.value;
    let text = match value {
        Expression::String(s) => s.value().to_string(),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for element in t.iter() {
                match element {
                    hcl_edit::template::Element::Literal(l) => out.push_str(l.value()),
                    hcl_edit::template::Element::Interpolation(i) => {
                        let Expression::FuncCall(call) = &i.expr else {
                            return None;
                        };
                        if call.name.name.as_str() != "get_terragrunt_dir" {
                            return None;
                        }
                        // The unit's directory, which the path is then resolved against.
                        if !out.is_empty() {
                            return None;
                        }
                        out.push('.');
                    }
                    hcl_edit::template::Element::Directive(_) => return None,
                }
            }
            out
        }
        _ => return None,
    };
    // go-getter's `root//subdir`; a scheme's `://` is not the separator.
    let after_scheme = text.find("://").map_or(0, |i| i + 3);
    let (root, subdir) = match text[after_scheme..].find("//") {
        Some(i) => {
            let at = after_scheme + i;
            let subdir = text[at + 2..].split('?').next().unwrap_or("");
            (&text[..at], PathBuf::from(subdir))
        }
        None => (text.as_str(), PathBuf::new()),
    };
    if root.starts_with("./") || root.starts_with("../") || root.starts_with('/') || root == "." {
        Some(Source::Local {
            root: normalize(&unit.join(root)),
            subdir,
        })
    } else {
        Some(Source::Remote { subdir })
    }
}

/// The newest `.terragrunt-cache/<hash>/<hash>` of `unit` whose `subdir` holds `.tf` files.
fn newest_copy(unit: &Path, subdir: &Path, reader: Reader) -> Option<PathBuf> {
    let cache = unit.join(".terragrunt-cache");
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for first in std::fs::read_dir(&cache).ok()?.flatten() {
        let Ok(second) = std::fs::read_dir(first.path()) else {
            continue;
        };
        for copy in second.flatten() {
            let root = copy.path();
            if !root.is_dir() || !has_tf_files(&root.join(subdir), reader) {
                continue;
            }
            let when = copy
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            if best.as_ref().is_none_or(|(t, _)| when > *t) {
                best = Some((when, normalize(&root)));
            }
        }
    }
    best.map(|(_, root)| root)
}

/// A unit no plan JSON was given for: its variables come from Terragrunt's `inputs`, which
/// preflight does not evaluate, so it is one unchecked entry at its `terragrunt.hcl`, never
/// a silent pass.
pub fn unplanned(unit: &Path, options: &super::Options) -> Result<Plan, Vec<InputError>> {
    let path = unit.join(UNIT_FILE);
    let source = options
        .reader
        .read_source(&path, crate::error::Kind::Plan)
        .map_err(|e| vec![e])?;
    let span = hcl_edit::parser::parse_body(source.text())
        .ok()
        .and_then(|body| {
            let block = body.blocks().find(|b| b.ident.as_str() == "terraform")?;
            block.ident.span().map(super::modules::to_span)
        })
        .unwrap_or_else(|| SourceSpan::new(0.into(), 0));
    let name = Value {
        value: shown(unit),
        span,
    };
    let mut builder = Builder::new(source.clone(), options.env);
    builder.plan.unchecked.push(Unchecked::whole(
        name,
        &source,
        None,
        "a Terragrunt unit with no plan JSON here: its variables come from Terragrunt's `inputs`, so preflight checks it through the plan Terragrunt writes",
        "write the units' plans first (`terragrunt run --all --json-out-dir plans -- plan`) and validate a directory that holds both the units and `plans`, or let it pass with --allow-unverified",
        false,
    ));
    Ok(builder.finish())
}

/// The local module directories the units below `top` name as their source (so they are not
/// root modules of their own).
pub fn local_sources(unit_files: &[PathBuf], reader: Reader) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in unit_files {
        let Some(unit) = file.parent() else { continue };
        let mut errors = Vec::new();
        let Some(hcl) = read_hcl(file, reader, &mut errors) else {
            continue;
        };
        if let Some(Source::Local { root, subdir }) = source_of(&hcl.body, unit) {
            out.push(normalize(&root.join(subdir)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> hcl_edit::structure::Body {
        hcl_edit::parser::parse_body(text).expect("parses")
    }

    #[test]
    fn sources_split_at_go_getters_double_slash() {
        let unit = Path::new("live/dev/app");
        match source_of(
            &parsed("terraform {\n  source = \"../../../modules//app\"\n}\n"),
            unit,
        ) {
            Some(Source::Local { root, subdir }) => {
                assert_eq!(root, Path::new("modules"));
                assert_eq!(subdir, Path::new("app"));
            }
            _ => panic!("a local source"),
        }
        match source_of(
            &parsed("terraform {\n  source = \"git::https://example.com/m.git//web?ref=v1\"\n}\n"),
            unit,
        ) {
            Some(Source::Remote { subdir }) => assert_eq!(subdir, Path::new("web")),
            _ => panic!("a remote source"),
        }
        match source_of(
            &parsed("terraform {\n  source = \"${get_terragrunt_dir()}/../mod\"\n}\n"),
            unit,
        ) {
            Some(Source::Local { root, subdir }) => {
                assert_eq!(root, Path::new("live/dev/mod"));
                assert_eq!(subdir, Path::new(""));
            }
            _ => panic!("a local source"),
        }
        assert!(source_of(&parsed("terraform {\n  source = local.x\n}\n"), unit).is_none());
        assert!(source_of(&parsed("include \"root\" {}\n"), unit).is_none());
    }
}
