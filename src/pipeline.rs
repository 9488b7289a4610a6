//! The library's verbs, as cargo's `ops`: `validate` runs the whole pipeline (discover, parse,
//! facts, checks, report), `fetch_facts` stops after the facts, `places_of` after the plans,
//! `check` is the pure middle, and `exit_code` reads a finished report. The binary's commands
//! and the language server call these; nothing here prints.

use std::path::{Path, PathBuf};

use crate::error::{self, InputError};
use crate::facts::Facts;
use crate::files::{Overlay, Reader};
use crate::plan::{self, Plan};
use crate::policy::Policy;
use crate::report::{self, Report};
use crate::{checks, cloud, clouds, config, discover, exit, files, terraform};

/// What `validate` needs to know, independent of how it was asked (flags, config, tests).
#[derive(Clone, Default)]
pub struct ValidateOptions {
    pub paths: Vec<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Where the .tf files of Terraform plan JSON are (default: beside the plan).
    pub tf_dir: Option<PathBuf>,
    /// `--var` and `--var-file`, in the order given.
    pub tf_vars: Vec<terraform::VarFlag>,
    /// The paths are changed Terraform files: check the root modules that include them.
    pub tf_roots: bool,
    pub rule_dirs: Vec<PathBuf>,
    /// Check against this facts file instead of asking the clouds.
    pub facts: Option<PathBuf>,
    pub disable: Vec<String>,
    /// How to ask the clouds; `None` means offline.
    pub fetch: Option<clouds::FetchConfig>,
    /// The config file: its rule ids are checked, its severity overrides applied.
    pub config: config::Config,
    /// Facts already at hand (the language server keeps what it fetched between keystrokes):
    /// used instead of a facts file or the clouds.
    pub preloaded: Option<std::sync::Arc<Facts>>,
    /// The editor's open buffers, read in place of the files they name.
    pub buffers: Option<std::sync::Arc<Overlay>>,
}

impl ValidateOptions {
    /// Where this run reads its inputs: the disk, and the buffers when there are some.
    pub fn reader(&self) -> Reader<'_> {
        self.buffers
            .as_deref()
            .map_or(Reader::DISK, Reader::with_buffers)
    }
}

/// A finished run with what it was made from, for callers that look further (the language
/// server's hovers and completions).
pub struct Validated {
    pub report: Report,
    pub plans: Vec<Plan>,
    pub facts: std::sync::Arc<Facts>,
}

/// Runs the whole pipeline. Input problems end up in `Report::errors`; nothing is checked then.
pub fn validate(options: &ValidateOptions) -> Report {
    validate_all(options).report
}

/// [`validate`], keeping the plans and facts.
pub fn validate_all(options: &ValidateOptions) -> Validated {
    let mut errors = Vec::new();
    let reader = options.reader();
    let policy = load_policy(&options.rule_dirs, reader).unwrap_or_else(|mut e| {
        errors.append(&mut e);
        Policy::default()
    });
    let catalog = checks::catalog::Catalog::new(&policy);
    errors.extend(catalog.check_config(&options.config));
    errors.extend(catalog.check_disabled(&options.disable));

    let (plans, mut plan_errors) = read_plans(options);
    errors.append(&mut plan_errors);
    for plan in &plans {
        for (file, suppressions) in plan.files() {
            errors.extend(catalog.check_suppressions(file, suppressions));
        }
    }

    let facts = match &options.facts {
        _ if options.preloaded.is_some() => Facts::new(),
        Some(path) => reader
            .read_source(path, error::Kind::Facts)
            .and_then(|file| Facts::from_json(&file))
            .unwrap_or_else(|e| {
                errors.push(e);
                Facts::new()
            }),
        None => Facts::new(),
    };

    if !errors.is_empty() {
        return Validated {
            report: Report {
                plans: plans.len(),
                errors,
                ..Report::default()
            },
            plans,
            facts: std::sync::Arc::new(facts),
        };
    }
    let (mut requests, mut cache_hits, mut warnings) = (0, 0, Vec::new());
    let facts = match (&options.preloaded, &options.facts, &options.fetch) {
        (Some(given), _, _) => std::sync::Arc::clone(given),
        (None, Some(_), _) => std::sync::Arc::new(facts),
        (None, None, Some(config)) => {
            let fetched = clouds::fetch(&clouds::Needs::from_plans(&plans), config);
            requests = fetched.requests;
            cache_hits = fetched.cache_hits;
            warnings = fetched.warnings;
            std::sync::Arc::new(fetched.facts)
        }
        (None, None, None) => {
            std::sync::Arc::new(Facts::absent("no facts file and no way to ask the clouds"))
        }
    };
    let disabled = |id: &str| {
        options.disable.iter().any(|d| d == id) || options.config.disable.iter().any(|d| d == id)
    };
    let mut report = check(&plans, &facts, &policy, &|id| !disabled(id), &today());
    report.override_severities(&options.config.severity);
    report.requests = requests;
    report.cache_hits = cache_hits;
    report.warnings = warnings;
    Validated {
        report,
        plans,
        facts,
    }
}

/// `preflight fetch`: every fact the plans need, from the clouds, as a facts file's data,
/// with the number of requests it took and any warnings.
pub fn fetch_facts(options: &ValidateOptions) -> Result<clouds::Fetched, Vec<InputError>> {
    let (plans, errors) = read_plans(options);
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(config) = &options.fetch else {
        return Err(vec![InputError::new(
            "input::bad-flag",
            "`fetch` asks the clouds, so it cannot run offline",
        )]);
    };
    Ok(clouds::fetch(&clouds::Needs::from_plans(&plans), config))
}

/// The built-in packs and the rule files in `dirs`, compiled; a rule file may not take a
/// built-in rule's id.
pub fn load_policy(
    dirs: &[impl AsRef<std::path::Path>],
    reader: Reader,
) -> Result<Policy, Vec<InputError>> {
    Policy::load(dirs, &checks::ids(), reader)
}

/// The clouds the plans name, in order of first use, each with the first region (for
/// Zenlayer, zone) it is named with.
pub fn places_of(
    options: &ValidateOptions,
) -> Result<Vec<(cloud::Cloud, String)>, Vec<InputError>> {
    let (plans, errors) = read_plans(options);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut places: Vec<(cloud::Cloud, String)> = Vec::new();
    let mut add = |c: cloud::Cloud, region: &str| {
        if !places.iter().any(|(known, _)| *known == c) {
            places.push((c, region.to_string()));
        }
    };
    for plan in &plans {
        for i in &plan.instances {
            add(i.cloud.value, &i.region.value);
        }
        for image in &plan.images {
            add(image.cloud.value, &image.region.value);
        }
        for u in &plan.unchecked {
            if let (Some(c), Some(r)) = (u.cloud, &u.region) {
                add(c, r);
            }
        }
    }
    Ok(places)
}

/// Discovers and parses every plan; all problems are collected.
fn read_plans(options: &ValidateOptions) -> (Vec<Plan>, Vec<InputError>) {
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let env = |name: &str| std::env::var(name).ok();
    let reader = options.reader();
    let tf = terraform::Options {
        reader,
        tf_dir: options.tf_dir.clone(),
        env: &env,
        vars: &options.tf_vars,
    };
    let paths = if options.tf_roots {
        tf_roots(&paths, reader)
    } else {
        paths
    };
    match discover::plan_files(&paths, &options.include, &options.exclude, reader) {
        Ok(files) => {
            for path in files {
                match read_plan(&path, &tf) {
                    Ok(plan) => plans.push(plan),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
        Err(mut e) => errors.append(&mut e),
    }
    (plans, errors)
}

/// For the pre-commit hook: changed `.tf` / `.tfvars` files become the root modules that
/// include them (found under the repository root); other paths stay as they are.
fn tf_roots(paths: &[PathBuf], reader: Reader) -> Vec<PathBuf> {
    let is_tf = |p: &PathBuf| {
        let name = p.to_string_lossy();
        name.ends_with(".tf")
            || name.ends_with(".tofu")
            || name.ends_with(".tfvars")
            || name.ends_with(".tfvars.json")
    };
    let (changed, others): (Vec<PathBuf>, Vec<PathBuf>) = paths.iter().cloned().partition(is_tf);
    let top = hook_root(Path::new("."));
    let mut out = others;
    out.extend(terraform::root_modules(&changed, &top, reader));
    out
}

/// Where pre-commit runs: the nearest directory from `start` up with its config or `.git` (as
/// a path relative to the working directory where it can be); `start` itself when none has.
fn hook_root(start: &Path) -> PathBuf {
    nearest_with(start, &[".pre-commit-config.yaml", ".git"])
}

fn nearest_with(start: &Path, markers: &[&str]) -> PathBuf {
    let Ok(absolute) = std::fs::canonicalize(start) else {
        return start.to_path_buf();
    };
    match files::nearest_with(&absolute, markers) {
        Some(dir) => files::relative_to_cwd(&dir).unwrap_or(dir),
        None => start.to_path_buf(),
    }
}

/// One plan: preflight YAML, Terraform plan JSON (told by its content), or `.tf`
/// configuration (a `.tf` file or a directory of them).
fn read_plan(path: &Path, tf: &terraform::Options) -> Result<Plan, Vec<InputError>> {
    if terraform::is_tf_path(path) {
        return terraform::read_config(path, tf);
    }
    let source = tf
        .reader
        .read_source(path, error::Kind::Plan)
        .map_err(|e| vec![e])?;
    if terraform::is_plan_json(source.text()) {
        terraform::read_plan_json(source, tf)
    } else {
        plan::parse(source)
    }
}

/// Today (UTC) as suppressions' expiries write it, `YYYY-MM-DD`: read once per run, by the
/// caller, so `check` stays a function of its arguments.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The pure part: plans, facts and policy in, a report out; `today` decides which expiring
/// suppressions still hold.
pub fn check(
    plans: &[Plan],
    facts: &Facts,
    policy: &Policy,
    enabled: &dyn Fn(&str) -> bool,
    today: &str,
) -> Report {
    let outcome = checks::run(plans, facts, policy, enabled);
    let mut report = Report {
        plans: plans.len(),
        inputs: plans
            .iter()
            .map(|p| report::Input {
                path: p.path().to_string(),
                written_by: p.written_by.clone(),
                files: p
                    .files()
                    .skip(1)
                    .map(|(f, _)| f.name().to_string())
                    .collect(),
            })
            .collect(),
        pairings: outcome.pairings,
        notices: outcome.notices,
        rules: rule_infos(&checks::catalog::Catalog::new(policy), enabled),
        cases: cases(plans),
        ..Report::default()
    };
    // A suppression with an expiry holds through its day (UTC); after it, what it covered is
    // reported again, with a note.
    let mut expired: Vec<String> = Vec::new();
    for d in outcome.diagnostics {
        let mut suppressed = false;
        for s in plans.iter().flat_map(|p| p.suppressions_in(d.file.name())) {
            if !s.covers(&d.rule, d.line(), Some(d.entry_line)) {
                continue;
            }
            if s.expired(today) {
                let note = format!(
                    "the suppression of `{}` at {}:{} expired on {}, so what it silenced is reported again",
                    d.rule,
                    d.file.name(),
                    s.line,
                    s.until.as_deref().unwrap_or_default()
                );
                if !expired.contains(&note) {
                    expired.push(note);
                }
            } else {
                suppressed = true;
            }
        }
        if suppressed {
            report.suppressed += 1;
        } else {
            report.diagnostics.push(d);
        }
    }
    report.notices.extend(expired);
    report.sort();
    report
}

/// Every enabled rule, as reports describe it.
fn rule_infos(
    catalog: &checks::catalog::Catalog,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<report::RuleInfo> {
    catalog
        .entries()
        .iter()
        .filter(|e| enabled(&e.id))
        .map(|e| report::RuleInfo {
            id: e.id.clone(),
            summary: e.summary.clone(),
            doc: e.doc(),
            severity: e.severity,
        })
        .collect()
}

/// Every entry checked or that could not be, in plan order, for reports that list passes too.
fn cases(plans: &[Plan]) -> Vec<report::Case> {
    let mut cases = Vec::new();
    for plan in plans {
        let start = cases.len();
        for i in &plan.instances {
            cases.push(report::Case {
                plan: String::new(),
                file: i.file.name().to_string(),
                entry: i.name.value.clone(),
                line: i.line,
                title: format!(
                    "{} on {} in {} {}",
                    known_or(i, plan::Side::Image, &i.image.value),
                    known_or(i, plan::Side::InstanceType, &i.instance_type.value),
                    i.api(),
                    i.region.value
                ),
            });
        }
        for u in &plan.unchecked {
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(known later)".into());
            let mut title = match (u.pairing, u.cloud) {
                (true, _) => format!("{} on {}", side(&u.image), side(&u.instance_type)),
                (false, Some(_)) => "custom image".to_string(),
                (false, None) => "the whole plan".to_string(),
            };
            if let Some(cloud) = u.cloud {
                title.push_str(&format!(" in {cloud}"));
                if let Some(region) = &u.region {
                    title.push_str(&format!(" {region}"));
                }
            }
            cases.push(report::Case {
                plan: String::new(),
                file: u.file.name().to_string(),
                entry: u.name.value.clone(),
                line: u.line,
                title,
            });
        }
        for image in &plan.images {
            cases.push(report::Case {
                plan: String::new(),
                file: image.file.name().to_string(),
                entry: image.name.value.clone(),
                line: image.line,
                title: format!(
                    "{} in {} {}",
                    report::plural(image.count as usize, "custom image", "custom images"),
                    image.api(),
                    image.region.value
                )
                .trim_end()
                .to_string(),
            });
        }
        // Stable: the instances of one block keep their order.
        cases[start..].sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        for case in &mut cases[start..] {
            case.plan = plan.source.name().to_string();
        }
    }
    cases
}

/// A side of a pairing, or `(known later)` when Terraform decides it only at plan or apply time.
fn known_or<'a>(i: &plan::Instance, side: plan::Side, value: &'a str) -> &'a str {
    if i.knows(side) {
        value
    } else {
        "(known later)"
    }
}

/// The process exit code for a finished report (product contract §5), by its gate.
pub fn exit_code(report: &Report) -> exit::Exit {
    let gate = report.gate;
    if !report.errors.is_empty() {
        exit::Exit::BadInput
    } else if report.diagnostics.iter().any(|d| gate.fails(d)) {
        exit::Exit::Failed
    } else if report.diagnostics.iter().any(|d| gate.blocks(d)) {
        exit::Exit::Unverified
    } else {
        exit::Exit::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// An expiring suppression holds through its day and not after: `check` decides by the
    /// `today` it is given, so the same run reads the same way on any day.
    #[test]
    fn an_expiring_suppression_holds_through_its_day() {
        let plan = plan::parse(SourceFile::new(
            "p.plan.yaml",
            "defaults: {cloud: jdcloud, region: r}\ninstances:\n  # preflight-ignore: image-not-found -- ticket (until 2027-03-31)\n  - {name: a, image: gone, instance_type: t}\n",
        ))
        .expect("parses");
        let facts = Facts::from_json(&SourceFile::new(
            "f.json",
            r#"{"version":5,"clouds":{"jdcloud":{"r":{"images":{"gone":{"state":"not_found"}}}}}}"#,
        ))
        .expect("facts");
        let run = |today: &str| {
            check(
                std::slice::from_ref(&plan),
                &facts,
                &Policy::default(),
                &|id| id == "image-not-found",
                today,
            )
        };
        let held = run("2027-03-31");
        assert_eq!((held.diagnostics.len(), held.suppressed), (0, 1));
        let after = run("2027-04-01");
        assert_eq!((after.diagnostics.len(), after.suppressed), (1, 0));
        assert!(
            after
                .notices
                .iter()
                .any(|n| n.contains("expired on 2027-03-31"))
        );
    }
}
