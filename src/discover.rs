//! Finds plan files: paths given on the command line are used as they are; directories are
//! searched with the include and exclude globs. Hidden directories (`.git`, `.terraform`) are
//! skipped. The result is sorted, so every run reads plans in the same order.

use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::error::InputError;
use crate::files::Reader;

/// What `validate` looks for in a directory when no `--include` is given.
pub const DEFAULT_INCLUDE: &[&str] = &[
    "**/*.plan.yaml",
    "**/*.plan.yml",
    "**/plan.yaml",
    "**/plan.yml",
];

/// Every plan file under `paths`.
pub fn plan_files(
    paths: &[PathBuf],
    include: &[String],
    exclude: &[String],
    reader: Reader,
) -> Result<Vec<PathBuf>, Vec<InputError>> {
    let include_patterns: Vec<String> = if include.is_empty() {
        DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect()
    } else {
        include.to_vec()
    };
    let mut errors = Vec::new();
    let include_set = glob_set(&include_patterns, "--include", &mut errors);
    let exclude_set = glob_set(exclude, "--exclude", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = found.len();
            let mut w = Walk {
                root: path,
                include: &include_set,
                exclude: &exclude_set,
                plan_json: include.is_empty(),
                found: Vec::new(),
                errors: Vec::new(),
            };
            walk(&mut w, path);
            found.append(&mut w.found);
            if !w.errors.is_empty() {
                errors.append(&mut w.errors);
                continue;
            }
            // Plans and Terraform in one tree are both checked: every root module below.
            for input in terraform_inputs(path, &found, reader) {
                let relative = input.strip_prefix(path).unwrap_or(&input);
                if !exclude_set.is_match(relative) && !found.contains(&input) {
                    found.push(input);
                }
            }
            if found.len() == before {
                errors.push(
                    InputError::new(
                        "input::no-plans",
                        format!("no plan files in `{}`", path.display()),
                    )
                    .with_help(format!(
                        "preflight looks for {}, then tfplan.json or .tf files; name a file directly or pass --include",
                        include_patterns.join(", ")
                    )),
                );
            }
        } else if path.exists() || reader.is_file(path) {
            found.push(path.clone());
        } else {
            errors.push(
                InputError::new(
                    "input::not-found",
                    format!("`{}` does not exist", path.display()),
                )
                .with_help("pass plan files or directories that contain them"),
            );
        }
    }
    if errors.is_empty() {
        // One file named twice (`a.plan.yaml ./a.plan.yaml`, or a file and its directory) is
        // one plan: read twice, its findings and its planned images would count double.
        found.sort();
        let mut seen = std::collections::HashSet::new();
        found.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
        Ok(found)
    } else {
        Err(errors)
    }
}

/// The Terraform below a directory: each root module's saved plan JSON (`tfplan.json`,
/// `*.tfplan.json`) if it has one, else the root module itself; the directory's own plan JSON
/// files; and each Terragrunt unit that none of the plans `found` was written for (read, it
/// says that it was not checked).
fn terraform_inputs(dir: &Path, found: &[PathBuf], reader: Reader) -> Vec<PathBuf> {
    let plan_json = |d: &Path| crate::terraform::files_in(d, reader, is_plan_json_name);
    let mut inputs = plan_json(dir);
    let below = crate::terraform::roots_below(dir, reader);
    for root in below.roots {
        let saved = plan_json(&root);
        if saved.is_empty() {
            inputs.push(root);
        }
        for p in saved {
            if !inputs.contains(&p) {
                inputs.push(p);
            }
        }
    }
    let same = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let planned: std::collections::HashSet<PathBuf> = found
        .iter()
        .chain(&inputs)
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_plan_json_name)
        })
        .filter_map(|p| crate::terraform::terragrunt_unit(p, reader))
        .map(|u| same(&u))
        .collect();
    for unit in below.units {
        let saved = plan_json(&unit);
        if saved.is_empty() && !planned.contains(&same(&unit)) {
            inputs.push(unit);
        }
        for p in saved {
            if !inputs.contains(&p) && !found.contains(&p) {
                inputs.push(p);
            }
        }
    }
    inputs
}

fn glob_set(patterns: &[String], flag: &str, errors: &mut Vec<InputError>) -> GlobSet {
    crate::globs::set(patterns).unwrap_or_else(|bad| {
        for (i, why) in bad {
            errors.push(
                InputError::new(
                    "input::bad-glob",
                    format!("invalid {flag} glob `{}`: {why}", patterns[i]),
                )
                .with_help(
                    "patterns use globset syntax: `*`, `?`, `[abc]`, `{a,b}`, `**` in paths",
                ),
            );
        }
        GlobSet::empty()
    })
}

/// A saved Terraform plan's name: `tfplan.json` or `*.tfplan.json`.
fn is_plan_json_name(name: &str) -> bool {
    name == "tfplan.json" || name.ends_with(".tfplan.json")
}

/// Where the walk looks, and what it found or could not read.
struct Walk<'a> {
    root: &'a Path,
    include: &'a GlobSet,
    exclude: &'a GlobSet,
    /// Saved plan JSON at any depth too: unless `--include` says what to read.
    plan_json: bool,
    found: Vec<PathBuf>,
    errors: Vec<InputError>,
}

/// A directory the walk cannot read may hold plans: an input error, never a silent pass.
fn unreadable(dir: &Path, e: &std::io::Error) -> InputError {
    InputError::new(
        "input::unreadable",
        format!(
            "cannot read the directory `{}`: {}",
            dir.display(),
            crate::files::io_reason(e)
        ),
    )
    .with_help("fix its permissions, or leave it out with --exclude")
}

fn walk(w: &mut Walk, dir: &Path) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            w.errors.push(unreadable(dir, &e));
            return;
        }
    };
    let mut entries: Vec<_> = match entries.collect::<Result<_, _>>() {
        Ok(entries) => entries,
        Err(e) => {
            w.errors.push(unreadable(dir, &e));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let relative = path.strip_prefix(w.root).unwrap_or(&path);
        if w.exclude.is_match(relative) {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = name.to_string_lossy();
        if kind.is_dir() {
            if !crate::files::skipped_dir(&name) {
                walk(w, &path);
            }
        } else if w.include.is_match(relative) || (w.plan_json && is_plan_json_name(&name)) {
            // Saved Terraform plans anywhere below, as Terragrunt's `--json-out-dir` writes
            // them (a tree of `tfplan.json`, one per unit).
            w.found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plans_by_the_default_globs() {
        let dir = std::env::temp_dir().join(format!("preflight-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in [
            "a/web.plan.yaml",
            "b/plan.yml",
            "c/other.yaml",
            ".git/x.plan.yaml",
        ] {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "instances: []\n").expect("write");
        }
        let got =
            plan_files(std::slice::from_ref(&dir), &[], &[], Reader::DISK).expect("finds plans");
        let names: Vec<_> = got
            .iter()
            .map(|p| {
                p.strip_prefix(&dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a/web.plan.yaml", "b/plan.yml"]);
        let excluded = plan_files(
            std::slice::from_ref(&dir),
            &[],
            &["a/**".into()],
            Reader::DISK,
        )
        .expect("ok");
        assert_eq!(excluded.len(), 1);
        let none = plan_files(
            std::slice::from_ref(&dir),
            &["**/*.json".into()],
            &[],
            Reader::DISK,
        );
        assert!(none.is_err());
        // Saved plans at any depth (a Terragrunt --json-out-dir tree), unless --include says
        // what to read.
        let deep = dir.join("plans/dev/app/tfplan.json");
        std::fs::create_dir_all(deep.parent().expect("parent")).expect("mkdir");
        std::fs::write(&deep, "{}").expect("write");
        let got = plan_files(std::slice::from_ref(&dir), &[], &[], Reader::DISK).expect("ok");
        assert!(got.contains(&deep), "{got:?}");
        let only = ["**/*.plan.yaml".to_string()];
        let got = plan_files(std::slice::from_ref(&dir), &only, &[], Reader::DISK).expect("ok");
        assert!(!got.contains(&deep), "{got:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
