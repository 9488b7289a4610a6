//! Golden cases: every folder in `testdata/cases/` holds an `args` file (the command line,
//! split on white space), the inputs it names, and the exact expected transcripts. A `validate`
//! case runs once per format (`human.out`, `json.out`, `compact.out`, or the formats its
//! `formats` file lists); any other command runs once (`out`). An `env` file sets variables; an
//! `inside` file runs the case again from a directory below it (see `check_inside`). Re-bless with `SNAPSHOTS=overwrite cargo test --test it golden` and review the diff.

use std::path::{Path, PathBuf};

use snapbox::Data;

use crate::support::run::Project;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("testdata/cases exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The case's `env` file: `NAME=value` lines set for its runs (a Terraform region, say).
fn case_env(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("env"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Runs the binary in `dir` with the case's environment (`env` of the case `case`).
fn output(case: &Path, dir: &Path, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Project::at(dir)
        .command(case_env(case), &args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary in `dir` and returns a transcript: exit code, stdout, stderr.
fn transcript(case: &Path, dir: &Path, args: &[String]) -> String {
    let output = output(case, dir, args);
    let mut text = format!(
        "$ preflight {}\nexit: {}\n--- stdout\n{}",
        args.join(" "),
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout)
    );
    if !output.stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    // SARIF names the repository root by its absolute URI, which differs per checkout.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = preflight::report::Root::new(here, here).uri();
    text.replace(&root, "file:///[REPOSITORY]/")
}

#[test]
fn golden_cases() {
    let dirs = case_dirs();
    assert!(
        dirs.len() >= 20,
        "expected the golden cases, found {}",
        dirs.len()
    );
    for dir in dirs {
        let args_text = std::fs::read_to_string(dir.join("args"))
            .unwrap_or_else(|_| panic!("{} has no args file", dir.display()));
        let args: Vec<String> = args_text.split_whitespace().map(str::to_string).collect();
        if args.first().map(String::as_str) == Some("validate") {
            let formats = std::fs::read_to_string(dir.join("formats"))
                .unwrap_or_else(|_| "human json compact".to_string());
            for format in formats.split_whitespace() {
                let mut with_format = args.clone();
                with_format.extend(["--format".to_string(), format.to_string()]);
                let expected = dir.join(format!("{format}.out"));
                snapbox::assert_data_eq!(
                    transcript(&dir, &dir, &with_format),
                    Data::read_from(&expected, None).raw()
                );
            }
            if dir.join("inside").exists() {
                check_inside(&dir, &args);
            }
        } else {
            snapbox::assert_data_eq!(
                transcript(&dir, &dir, &args),
                Data::read_from(&dir.join("out"), None).raw()
            );
        }
    }
}

/// A case's `inside` file names a directory below the case and the same command as run from
/// there (`examples/basic validate . --facts ../../facts.json`). Run from inside, it must print
/// `inside.out` and give the same findings at the same files and lines as from the case's root.
fn check_inside(case: &Path, args: &[String]) {
    let text = std::fs::read_to_string(case.join("inside")).expect("readable inside file");
    let mut words = text.split_whitespace().map(str::to_string);
    let sub = case.join(words.next().expect("inside names a directory"));
    let inside_args: Vec<String> = words.collect();
    let mut compact = inside_args.clone();
    compact.extend(["--format".to_string(), "compact".to_string()]);
    snapbox::assert_data_eq!(
        transcript(case, &sub, &compact),
        Data::read_from(&case.join("inside.out"), None).raw()
    );
    let root = findings(case, case, args);
    let inside = findings(case, &sub, &inside_args);
    assert_eq!(root, inside, "{}: run from inside differs", case.display());
}

/// Each input error and finding, and their related locations, as (code, rule or label,
/// absolute file, line, column), and the exit code, from `--format json` run in `dir`.
fn findings(case: &Path, dir: &Path, args: &[String]) -> Vec<String> {
    let mut with_json = args.to_vec();
    with_json.extend(["--format".to_string(), "json".to_string()]);
    let out = output(case, dir, &with_json);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let place = |what: &serde_json::Value, l: &serde_json::Value| {
        let file = dir.join(l["file"].as_str().expect("a file"));
        let file = file.canonicalize().unwrap_or(file);
        format!("{what} {}:{}:{}", file.display(), l["line"], l["column"])
    };
    let mut got = vec![format!(
        "exit {:?} {}",
        out.status.code(),
        report["summary"]
    )];
    let errors = report["errors"].as_array().into_iter().flatten();
    for e in errors.filter(|e| e["file"].is_string()) {
        got.push(place(&e["code"], e));
        for r in e["related"].as_array().into_iter().flatten() {
            got.push(place(&r["message"], r));
        }
    }
    for d in report["diagnostics"].as_array().expect("diagnostics") {
        got.push(place(&d["rule"], d));
        for r in d["related"].as_array().into_iter().flatten() {
            got.push(place(&r["message"], r));
        }
    }
    got
}

/// Each built-in rule's documentation shows a plan and the exact finding; both must be what
/// the rule's golden case really holds, so the docs cannot drift from the tool.
#[test]
fn rule_docs_show_their_golden_case() {
    // A verdict only the network gives (never in a facts file): its example is run against
    // the fake cloud instead (`launch::the_dry_run_rules_doc_example_is_what_it_prints`).
    const NETWORK_ONLY: &[&str] = &["dry-run-refused"];
    for rule in preflight::checks::BUILTIN {
        if NETWORK_ONLY.contains(&rule.id) {
            continue;
        }
        let dir = cases_dir().join(rule.id);
        let doc = rule.doc();
        // A YAML plan, or for what only Terraform can say, a `.tf` file.
        let (plan, lang) = match std::fs::read_to_string(dir.join("plan.yaml")) {
            Ok(plan) => (plan, "yaml"),
            Err(_) => (
                std::fs::read_to_string(dir.join("main.tf"))
                    .unwrap_or_else(|_| panic!("rule {} has no golden case", rule.id)),
                "hcl",
            ),
        };
        let example =
            fenced(&doc, lang).unwrap_or_else(|| panic!("{}: no {lang} example", rule.id));
        assert_eq!(
            example, plan,
            "{}: the doc's example plan differs from the case",
            rule.id
        );
        let compact = std::fs::read_to_string(dir.join("compact.out")).expect("compact.out");
        let line = fenced(&doc, "text").unwrap_or_else(|| panic!("{}: no text example", rule.id));
        assert!(
            compact.lines().any(|l| format!("{l}\n") == line),
            "{}: the doc's example output\n{line}is not in compact.out:\n{compact}",
            rule.id
        );
    }
}

/// The body of the first fenced block tagged `lang`.
pub fn fenced(doc: &str, lang: &str) -> Option<String> {
    let start = doc.find(&format!("```{lang}\n"))? + lang.len() + 4;
    let end = doc[start..].find("```")? + start;
    Some(doc[start..end].to_string())
}
