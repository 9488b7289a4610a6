//! The root modules that include some changed files, for the pre-commit hook: a module needs
//! its callers (they set its variables), so a change to `modules/web/main.tf` is checked by
//! validating every root module that calls `modules/web`, directly or through others. A root
//! module is a directory of `.tf` files that no other directory in the repository calls as a
//! local module; a changed directory nobody calls is its own root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::files::{
    dir_or_cwd, files_in, has_tf_files, is_config, normalize, read_hcl, without_replaced,
};
use super::modules::label;
use crate::files::Reader;

/// The root modules (directories) that include `changed` (files or directories), searched for
/// under `top` (the repository root).
pub fn root_modules(changed: &[PathBuf], top: &Path, reader: Reader) -> Vec<PathBuf> {
    let listing = listing(top, reader);
    // callee → callers, by normalized path; a Terragrunt unit calls its source.
    let mut callers: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for dir in &listing.tf_dirs {
        for callee in local_calls(dir, reader) {
            callers.entry(callee).or_default().insert(dir.clone());
        }
    }
    for file in &listing.unit_files {
        let Some(unit) = file.parent() else { continue };
        for callee in super::terragrunt::local_sources(std::slice::from_ref(file), reader) {
            callers
                .entry(callee)
                .or_default()
                .insert(unit.to_path_buf());
        }
    }
    let top_real = dir_or_cwd(top).canonicalize().ok();
    let mut roots = BTreeSet::new();
    for path in changed {
        let dir = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        // In the listing's terms (`top` joined with the path below it), wherever it was named
        // from: `modules/app` run inside the repository is `../../modules/app` from `top`.
        let below_top = match (dir_or_cwd(&dir).canonicalize(), top_real.as_ref()) {
            (Ok(real), Some(top_real)) => real
                .strip_prefix(top_real)
                .ok()
                .map(|rest| normalize(&top.join(rest))),
            _ => None,
        };
        let dir = below_top.unwrap_or_else(|| normalize(&dir));
        let mut seen = BTreeSet::new();
        collect_roots(&dir, &callers, &mut seen, &mut roots);
    }
    // As short as they can be written from here (`live/dev/app`, not `../../live/dev/app`).
    roots
        .into_iter()
        .map(|r| {
            if r.is_absolute() {
                return r;
            }
            dir_or_cwd(&r)
                .canonicalize()
                .ok()
                .and_then(|real| crate::files::relative_to_cwd(&real))
                .unwrap_or(r)
        })
        .collect()
}

/// What is below a directory for Terraform: its root modules, and its Terragrunt units.
#[derive(Debug, Default)]
pub struct Below {
    /// Directories of `.tf` files that no other directory there calls as a local module, and
    /// no Terragrunt unit names as its source.
    pub roots: Vec<PathBuf>,
    /// Directories whose `terragrunt.hcl` Terragrunt plans (not the parents they include).
    pub units: Vec<PathBuf>,
}

/// Every root module and Terragrunt unit under `top`. Hidden directories (`.terraform`,
/// `.terragrunt-cache`) are not looked into, but Terragrunt's generated `.terragrunt-stack/`
/// is; in a repository, what git ignores is not either.
pub fn roots_below(top: &Path, reader: Reader) -> Below {
    let hidden = |dir: &Path| {
        let below = dir.strip_prefix(normalize(top)).unwrap_or(dir);
        below.components().any(|c| {
            c.as_os_str()
                .to_str()
                .is_some_and(|n| n != "." && n != ".." && crate::files::skipped_dir(n))
        })
    };
    let listing = listing(top, reader);
    let dirs: Vec<PathBuf> = listing.tf_dirs.into_iter().filter(|d| !hidden(d)).collect();
    let unit_files: Vec<PathBuf> = listing
        .unit_files
        .into_iter()
        .filter(|f| f.parent().is_some_and(|d| !hidden(d)))
        .collect();
    let units: Vec<PathBuf> = unit_files
        .iter()
        .filter_map(|f| f.parent())
        .filter(|d| super::terragrunt::is_unit(d, reader))
        .map(Path::to_path_buf)
        .collect();
    let called: BTreeSet<PathBuf> = dirs
        .iter()
        .flat_map(|d| local_calls(d, reader))
        .chain(super::terragrunt::local_sources(&unit_files, reader))
        .chain(units.iter().cloned())
        .collect();
    let roots: Vec<PathBuf> = dirs.into_iter().filter(|d| !called.contains(d)).collect();
    Below {
        roots: not_reached(roots, reader),
        units,
    }
}

/// The candidates no other candidate's module tree reads: a `source` built from a caller's
/// arguments (OpenTofu's early evaluation, Terraform's const variables) is known only once the
/// tree is read. Two that read each other both stay (Terraform refuses that loop).
fn not_reached(candidates: Vec<PathBuf>, reader: Reader) -> Vec<PathBuf> {
    if candidates.len() < 2 {
        return candidates;
    }
    let no_env = |_: &str| None;
    let options = super::Options {
        tf_dir: None,
        env: &no_env,
        vars: &[],
        reader,
    };
    let reached: Vec<BTreeSet<PathBuf>> = candidates
        .iter()
        .map(|root| {
            let (config, _) = super::modules::Config::load_partly(root, &options);
            config.modules[1..]
                .iter()
                .map(|m| normalize(&m.dir))
                .collect()
        })
        .collect();
    candidates
        .iter()
        .enumerate()
        .filter(|(i, dir)| {
            !reached.iter().enumerate().any(|(j, from)| {
                j != *i && from.contains(*dir) && !reached[*i].contains(&candidates[j])
            })
        })
        .map(|(_, dir)| dir.clone())
        .collect()
}

fn collect_roots(
    dir: &Path,
    callers: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    seen: &mut BTreeSet<PathBuf>,
    roots: &mut BTreeSet<PathBuf>,
) {
    if !seen.insert(dir.to_path_buf()) {
        return;
    }
    match callers.get(dir).filter(|c| !c.is_empty()) {
        None => {
            roots.insert(dir.to_path_buf());
        }
        Some(list) => {
            for caller in list {
                collect_roots(caller, callers, seen, roots);
            }
        }
    }
}

/// What a directory holds: the directories with `.tf` files, and the Terragrunt unit files.
#[derive(Default)]
struct Listing {
    tf_dirs: Vec<PathBuf>,
    unit_files: Vec<PathBuf>,
}

/// Every directory under `top` with `.tf` files, and every `terragrunt.hcl`: git's list when
/// `top` is in a repository (so ignored directories are not read), else a walk that skips
/// hidden ones (`.terraform`).
fn listing(top: &Path, reader: Reader) -> Listing {
    git_listing(top).unwrap_or_else(|| walk_listing(top, reader))
}

/// Options that keep a repository's own configuration from running anything: a cloned
/// repository's `.git/config` may name a `core.fsmonitor` command, which `ls-files` would run,
/// or a pager. Nothing here writes the index either.
pub const GIT_SAFE: &[&str] = &[
    "--no-pager",
    "--no-optional-locks",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "core.pager=cat",
];

/// The directories of the `.tf` files git knows under `top`, tracked or not ignored, and its
/// Terragrunt unit files.
fn git_listing(top: &Path) -> Option<Listing> {
    let out = std::process::Command::new("git")
        .args(GIT_SAFE)
        .env("GIT_PAGER", "cat")
        .stdin(std::process::Stdio::null())
        .arg("-C")
        .arg(if top.as_os_str().is_empty() {
            Path::new(".")
        } else {
            top
        })
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "*.tf",
            "*.tofu",
            "*terragrunt.hcl",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut dirs = BTreeSet::new();
    let mut unit_files = BTreeSet::new();
    for file in out.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let file = Path::new(std::str::from_utf8(file).ok()?);
        if file
            .file_name()
            .is_some_and(|n| n == super::terragrunt::UNIT_FILE)
        {
            unit_files.insert(normalize(&top.join(file)));
        } else if file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_config)
            && let Some(dir) = file.parent()
        {
            dirs.insert(normalize(&top.join(dir)));
        }
    }
    Some(Listing {
        tf_dirs: dirs.into_iter().collect(),
        unit_files: unit_files.into_iter().collect(),
    })
}

fn walk_listing(top: &Path, reader: Reader) -> Listing {
    let mut out = Listing::default();
    let mut pending = vec![top.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if has_tf_files(&dir, reader) {
            out.tf_dirs.push(normalize(&dir));
        }
        let read = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &dir
        };
        let Ok(entries) = std::fs::read_dir(read) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name() == super::terragrunt::UNIT_FILE {
                out.unit_files.push(normalize(&dir.join(entry.file_name())));
                continue;
            }
            let hidden = entry
                .file_name()
                .to_str()
                .is_none_or(crate::files::skipped_dir);
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(dir.join(entry.file_name()));
            }
        }
    }
    out.tf_dirs.sort();
    out.unit_files.sort();
    out
}

/// The local modules a directory calls (`source = "./…"` or `"../…"`), sources built from the
/// directory's variable defaults included (`"${var.modules}/web"`).
fn local_calls(dir: &Path, reader: Reader) -> Vec<PathBuf> {
    let mut errors = Vec::new();
    let files: Vec<_> = without_replaced(files_in(dir, reader, is_config))
        .iter()
        .filter_map(|path| read_hcl(path, reader, &mut errors))
        .collect();
    let defaults: BTreeMap<String, String> = files
        .iter()
        .flat_map(|f| f.body.blocks().filter(|b| b.ident.as_str() == "variable"))
        .filter_map(|b| {
            let default = b.body.get_attribute("default")?.value.as_str()?.to_string();
            Some((label(b, 0)?.to_string(), default))
        })
        .collect();
    let mut out = Vec::new();
    for file in &files {
        for block in file.body.blocks().filter(|b| b.ident.as_str() == "module") {
            if label(block, 0).is_none() {
                continue;
            }
            let Some(source) = block
                .body
                .get_attribute("source")
                .and_then(|a| source_text(&a.value, &defaults))
            else {
                continue;
            };
            if source.starts_with("./") || source.starts_with("../") {
                out.push(normalize(&dir.join(source)));
            }
        }
    }
    out
}

/// A module source: a literal, or a template of literals and `var.NAME` with a default.
fn source_text(
    expr: &hcl_edit::expr::Expression,
    defaults: &BTreeMap<String, String>,
) -> Option<String> {
    use hcl_edit::expr::{Expression, TraversalOperator};
    use hcl_edit::template::Element;
    if let Some(literal) = expr.as_str() {
        return Some(literal.to_string());
    }
    let Expression::StringTemplate(t) = expr else {
        return None;
    };
    let mut text = String::new();
    for element in t.iter() {
        match element {
            Element::Literal(l) => text.push_str(l.value()),
            Element::Interpolation(i) => {
                let Expression::Traversal(tr) = &i.expr else {
                    return None;
                };
                let Expression::Variable(root) = &tr.expr else {
                    return None;
                };
                let name = match tr.operators.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(n)) if root.as_str() == "var" => n.as_str(),
                    _ => return None,
                };
                text.push_str(defaults.get(name)?);
            }
            Element::Directive(_) => return None,
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_module_is_checked_through_the_roots_that_call_it() {
        let top = std::env::temp_dir().join(format!("preflight-roots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let write = |path: &str, text: &str| {
            let path = top.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        };
        // A module repository: the module at the top, examples that call it, a submodule.
        write(
            "main.tf",
            "module \"disk\" {\n  source = \"./modules/disk\"\n}\n",
        );
        write("modules/disk/main.tf", "resource \"x\" \"y\" {}\n");
        write(
            "examples/basic/main.tf",
            "module \"ecs\" {\n  source = \"../..\"\n}\n",
        );
        write(
            "examples/full/main.tf",
            "module \"ecs\" {\n  source = \"../../\"\n}\n",
        );
        write("standalone/main.tf", "resource \"x\" \"y\" {}\n");
        let roots = root_modules(&[top.join("modules/disk/main.tf")], &top, Reader::DISK);
        assert_eq!(
            roots,
            [top.join("examples/basic"), top.join("examples/full")]
        );
        let roots = root_modules(&[top.join("standalone/main.tf")], &top, Reader::DISK);
        assert_eq!(roots, [top.join("standalone")]);
        let _ = std::fs::remove_dir_all(&top);
    }

    #[test]
    fn terragrunt_units_call_their_sources() {
        let top = std::env::temp_dir().join(format!("preflight-units-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let write = |path: &str, text: &str| {
            let path = top.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        };
        let unit = "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../../modules//app\"\n}\n";
        write("live/dev/app/terragrunt.hcl", unit);
        write("live/prod/app/terragrunt.hcl", unit);
        // A parent configuration only: not a unit.
        write(
            "terragrunt.hcl",
            "remote_state {\n  backend = \"local\"\n}\n",
        );
        write("modules/app/main.tf", "resource \"x\" \"y\" {}\n");
        write(
            "modules/app/.terragrunt-cache/a/b/app/main.tf",
            "resource \"x\" \"y\" {}\n",
        );
        write("plain/main.tf", "resource \"x\" \"y\" {}\n");
        let below = roots_below(&top, Reader::DISK);
        assert_eq!(below.roots, [top.join("plain")]);
        assert_eq!(
            below.units,
            [top.join("live/dev/app"), top.join("live/prod/app")]
        );
        let roots = root_modules(&[top.join("modules/app/main.tf")], &top, Reader::DISK);
        assert_eq!(roots, [top.join("live/dev/app"), top.join("live/prod/app")]);
        let _ = std::fs::remove_dir_all(&top);
    }
}
