//! Command-line behaviour the golden transcripts cannot show: writing to files, flag errors,
//! help.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::run::{Project, Run};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/cases")
        .join(name)
}

fn preflight(dir: &Path, args: &[&str]) -> Output {
    Project::at(dir)
        .command(Vec::new(), args)
        .output()
        .expect("the binary runs")
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("preflight-cli-{}-{name}", std::process::id()))
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let dir = case("instance-type-excluded");
    let args = [
        "validate",
        "plan.yaml",
        "--facts",
        "facts.json",
        "--format",
        "json",
    ];
    let to_stdout = preflight(&dir, &args);
    let path = temp_path("report.json");
    let to_file = preflight(
        &dir,
        &[&args[..], &["--output", path.to_str().expect("utf-8")]].concat(),
    );
    assert_eq!(
        to_file.status.code(),
        Some(1),
        "same exit code as without --output"
    );
    assert!(to_file.stdout.is_empty());
    let written = std::fs::read(&path).expect("report written");
    assert_eq!(written, to_stdout.stdout);
    let _ = std::fs::remove_file(path);
}

#[test]
fn unwritable_output_is_a_run_failure() {
    let dir = case("all-pass");
    let out = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--output",
            "/nonexistent-dir/x.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write `/nonexistent-dir/x.json`"),
        "{stderr}"
    );
}

#[test]
fn bad_flag_values_exit_2_and_name_the_choices() {
    let dir = case("all-pass");
    let out = preflight(&dir, &["validate", "plan.yaml", "--fail-on", "fatal"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error, warning, note"), "{stderr}");
    let out = preflight(&dir, &["validate", "plan.yaml", "--facts"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unverified_cannot_be_disabled() {
    let dir = case("missing-credentials");
    let out = preflight(&dir, &["validate", "plan.yaml", "--disable", "unverified"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-unverified"));
}

#[test]
fn verbose_says_what_was_read_on_stderr_only() {
    let dir = case("all-pass");
    let quiet = preflight(&dir, &["validate", "plan.yaml", "--facts", "facts.json"]);
    let loud = preflight(
        &dir,
        &["validate", "plan.yaml", "--facts", "facts.json", "-v"],
    );
    assert_eq!(quiet.stdout, loud.stdout);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("facts from facts.json"));
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let out = preflight(Path::new("."), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["validate", "explain", "rules", "schema", "Exit codes"] {
        assert!(text.contains(word), "--help lacks {word}");
    }
}

#[test]
fn github_format_appends_a_job_summary_when_asked() {
    let dir = case("all-formats");
    let path = temp_path("step-summary.md");
    std::fs::write(&path, "earlier step\n").expect("write");
    let summary = vec![(
        "GITHUB_STEP_SUMMARY".to_string(),
        path.display().to_string(),
    )];
    let args = [
        "validate",
        "plan.yaml",
        "--facts",
        "facts.json",
        "--format",
        "github",
    ];
    let out = Project::at(&dir)
        .command(summary, &args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&path).expect("summary");
    assert!(
        summary.starts_with("earlier step\n<!-- preflight-report -->\n### preflight"),
        "appends: {summary}"
    );
    assert!(
        summary.contains(
            "| error | `instance-type-excluded` | `testdata/cases/all-formats/plan.yaml:15` |"
        ),
        "{summary}"
    );
    assert!(summary.contains("❌ 5 errors, 0 warnings"), "{summary}");
    let _ = std::fs::remove_file(path);
}

/// A directory with the `warning-passes` inputs and, optionally, a config file.
fn project(name: &str, config: Option<&str>) -> PathBuf {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).expect("mkdir");
    // A repository root, so discovery stops here.
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    let src = case("warning-passes");
    for f in ["plan.yaml", "facts.json", "policies/org.yaml"] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    if let Some(text) = config {
        std::fs::write(dir.join(".preflight.yaml"), text).expect("config");
    }
    dir
}

#[test]
fn config_precedence_is_flag_then_file_then_default() {
    let base = [
        "validate",
        "plan.yaml",
        "--facts",
        "facts.json",
        "--rules",
        "policies",
    ];
    // Default: a warning does not fail the run.
    let none = project("prec-none", None);
    assert_eq!(preflight(&none, &base).status.code(), Some(0));
    // The file says warnings fail.
    let file = project("prec-file", Some("fail_on: warning\n"));
    assert_eq!(preflight(&file, &base).status.code(), Some(1));
    // The flag wins over the file.
    let flag = preflight(&file, &[&base[..], &["--fail-on", "error"]].concat());
    assert_eq!(flag.status.code(), Some(0));
    // Found from a subdirectory too, up to the repository root.
    std::fs::create_dir_all(file.join("sub")).expect("mkdir");
    let from_sub = preflight(
        &file.join("sub"),
        &[
            "validate",
            "../plan.yaml",
            "--facts",
            "../facts.json",
            "--rules",
            "../policies",
        ],
    );
    assert_eq!(from_sub.status.code(), Some(1));
    for d in [none, file] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn config_lists_add_to_flags_and_severities_override() {
    let dir = project(
        "prec-lists",
        Some("rules: [policies]\nseverity: {arm-only-in-batch: error}\n"),
    );
    let out = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the override made the warning an error"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["diagnostics"][0]["severity"], "error");
    let disabled = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--disable",
            "arm-only-in-batch",
        ],
    );
    assert_eq!(disabled.status.code(), Some(0));
    let explicit = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--config",
            "missing.yaml",
        ],
    );
    assert_eq!(explicit.status.code(), Some(2), "a named config must exist");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn completions_cover_every_shell_and_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = preflight(Path::new("."), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["validate", "fetch", "permissions", "--facts"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // `explain <TAB>` and `--disable <TAB>` offer the built-in rule ids (clap_complete's
        // PowerShell and Elvish scripts complete no values at all).
        if ["bash", "zsh", "fish"].contains(&shell) {
            for rule in preflight::checks::BUILTIN {
                assert!(
                    script.contains(rule.id),
                    "{shell} completion lacks {}",
                    rule.id
                );
            }
        }
    }
    assert_eq!(
        preflight(Path::new("."), &["completions", "tcsh"])
            .status
            .code(),
        Some(2)
    );
}

/// A scratch directory holding `files`.
fn scratch_with(label: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("preflight-cli-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[test]
fn fix_applies_the_safe_fixes_and_keeps_every_other_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let facts =
        std::fs::read_to_string(root.join("testdata/cases/all-formats/facts.json")).expect("facts");
    let plan = "# keep me\r\ndefaults: {cloud: jdcloud, region: cn-north-1}\r\ninstances:\r\n  - name: web\r\n    image: img-m5s0****29\r\n    instance_type: 'g.n4.xlarg'   # typo\r\n    system_disk_gb: 20\r\n  - name: gpu\r\n    image: img-m5s0****29\r\n    instance_type: \"p.c1p40g.3large\"\r\n";
    let dir = scratch_with("fix", &[("plan.yaml", plan), ("facts.json", &facts)]);
    let out = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--fix",
            "--format",
            "compact",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fixed 2 findings in 1 file"), "{stderr}");
    // What is left is reported from the fixed file: the type only a person should change.
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[instance-type-excluded]") && !stdout.contains("[instance-type-unknown]"),
        "{stdout}"
    );
    let fixed = std::fs::read_to_string(dir.join("plan.yaml")).expect("plan");
    assert_eq!(
        fixed,
        plan.replace("'g.n4.xlarg'", "'g.n4.xlarge'")
            .replace("system_disk_gb: 20", "system_disk_gb: 40")
    );
    let out = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--fix",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let fixed = std::fs::read_to_string(dir.join("plan.yaml")).expect("plan");
    assert!(
        fixed.contains("instance_type: \"p.c1p40g.6large\"\r\n"),
        "{fixed}"
    );
    // --unsafe-fixes alone is a flag mistake.
    let out = preflight(
        &dir,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fix_edits_terraform_literals_and_never_a_value_from_a_variable() {
    let facts = r#"{"version": 5, "clouds": {"aliyun": {"cn-hangzhou": {
        "images": {"m-1": {"state": "found", "status": "Available", "usable": true, "architecture": "x86_64",
                   "constraint": {"includes": ["ecs.g7.large"]}}},
        "instance_types": {"offered": {"ecs.g7.large": {"architecture": "x86_64"}}, "not_offered": ["ecs.g7.larg"]},
        "availability": {"postpaid": {"types": {"ecs.g7.large": null}}}}}}}"#;
    let main = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\nvariable \"size\" {\n  default = \"ecs.g7.larg\"\n}\n\nresource \"alicloud_instance\" \"a\" {\n  image_id      = \"m-1\"\n  instance_type = \"ecs.g7.larg\"\n}\n\nresource \"alicloud_instance\" \"b\" {\n  image_id      = \"m-1\"\n  instance_type = var.size\n}\n";
    let dir = scratch_with("fix-tf", &[("infra/main.tf", main), ("facts.json", facts)]);
    let out = preflight(
        &dir,
        &[
            "validate",
            "infra",
            "--facts",
            "facts.json",
            "--fix",
            "--format",
            "compact",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let fixed = std::fs::read_to_string(dir.join("infra/main.tf")).expect("main.tf");
    // `a`'s literal is fixed; `b`'s value comes from the variable, which is left alone.
    assert_eq!(
        fixed,
        main.replacen(
            "instance_type = \"ecs.g7.larg\"",
            "instance_type = \"ecs.g7.large\"",
            1
        )
    );
    assert!(
        stdout.contains("alicloud_instance.b: instance type `ecs.g7.larg`"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `-v` names every plan and root module read, with the files each read.
#[test]
fn verbose_names_every_plan_root_and_file_read() {
    let out = preflight(
        &case("tf-discovery"),
        &["validate", ".", "--facts", "facts.json", "-v"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "preflight: read plans/web.plan.yaml\n",
        "preflight: read the root module envs/dev: envs/dev/main.tf, modules/web/main.tf\n",
        "preflight: read the root module envs/prod: envs/prod/main.tf, modules/web/main.tf\n",
    ] {
        assert!(stderr.contains(line), "{line}in\n{stderr}");
    }
}

/// A Terragrunt hook runs preflight in the unit's `.terragrunt-cache` copy, with the unit's
/// inputs as `TF_VAR_*`: findings point at the module's own files, not the copies; and the
/// pre-commit mode checks a changed module through the units that use it (unplanned, so
/// unverified, never passed).
#[test]
fn terragrunt_copies_are_named_after_their_sources() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/tf-terragrunt");
    let copy = Project::at(case.join("live/prod/app/.terragrunt-cache/Qm9vYmFy/ZmVlZGZhY2U/app"));
    let facts = case.join("facts.json");
    let facts = facts.to_str().expect("utf-8 path");
    let run = Run::of(
        copy.command(
            vec![("TF_VAR_az".to_string(), "cn-north-1a".to_string())],
            &["validate", ".", "--facts", facts, "--format", "json"],
        )
        .output()
        .expect("binary runs"),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let files: std::collections::BTreeSet<PathBuf> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let file = copy.dir.join(d["file"].as_str().expect("a file"));
            file.canonicalize().expect("the file exists")
        })
        .collect();
    let sources: std::collections::BTreeSet<PathBuf> =
        ["modules/app/main.tf", "modules/app/modules/db/main.tf"]
            .iter()
            .map(|f| case.join(f).canonicalize().expect("exists"))
            .collect();
    assert_eq!(files, sources);

    let repo = Project::at(&case);
    let run = repo.run(&[
        "validate",
        "--tf-roots",
        "modules/app/main.tf",
        "--facts",
        "facts.json",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let entries: Vec<(String, String)> = run.findings();
    assert_eq!(
        entries,
        ["live/dev/app", "live/prod/app", "live/stage/app"]
            .map(|u| (u.to_string(), "unverified".to_string()))
    );
}

/// The real terminal: colour as `--color`, `FORCE_COLOR`, `CLICOLOR_FORCE` and `NO_COLOR`
/// say; the width from `COLUMNS` (no terminal here); ids never broken at their hyphens;
/// thousands separators in the summary.
#[test]
fn colour_width_and_counts_follow_the_terminal_conventions() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/instance-type-sold-out");
    let project = Project::at(&case);
    let human = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["validate", "plan.yaml", "--facts", "facts.json"];
        args.extend(extra);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let out = project.command(env, &args).output().expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = |text: &str| text.contains('\u{1b}');
    // The tests' environment sets NO_COLOR=1, and the output is a pipe.
    assert!(!coloured(&human(&[], &[])));
    assert!(coloured(&human(&[], &["--color", "always"])));
    assert!(coloured(&human(&[("FORCE_COLOR", "1")], &[])));
    assert!(coloured(&human(&[("CLICOLOR_FORCE", "1")], &[])));
    assert!(!coloured(&human(&[("FORCE_COLOR", "0")], &[])));
    assert!(!coloured(&human(
        &[("FORCE_COLOR", "1")],
        &["--color", "never"]
    )));
    // Narrow: wrapped at 60, and the region id whole on one line.
    let narrow = human(&[("COLUMNS", "60")], &[]);
    assert!(narrow.contains("`cn-hangzhou`"), "{narrow}");
    assert!(!narrow.contains("`cn-\n"), "{narrow}");
    // The message's own lines (the plan's snippet is shown as written).
    assert!(
        narrow
            .lines()
            .filter(|l| l.starts_with("  × ") || l.starts_with("  │ "))
            .all(|l| l.chars().count() <= 60),
        "{narrow}"
    );

    // 1,200 pairings: the summary says so with a separator, in both text formats.
    let dir = temp_path("thousands");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut plan = String::from("defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n");
    for i in 0..1200 {
        plan.push_str(&format!(
            "  - {{name: vm{i}, image: ubuntu_22_04_x64_20G_alibase_20240130.vhd, instance_type: ecs.g7.large}}\n"
        ));
    }
    std::fs::write(dir.join("plan.yaml"), plan).expect("plan");
    std::fs::copy(case.join("facts.json"), dir.join("facts.json")).expect("facts");
    for format in ["human", "compact"] {
        let out = preflight(
            &dir,
            &[
                "validate",
                "plan.yaml",
                "--facts",
                "facts.json",
                "--format",
                format,
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("1,200 pairings"), "{format}: {text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The `explain` hint of a rule-file rule works as printed: it names the rule directory.
#[test]
fn the_explain_hint_of_a_rule_file_rule_runs_as_printed() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/policy-rules");
    let out = preflight(
        &case,
        &[
            "validate",
            "envs",
            "--facts",
            "facts.json",
            "--rules",
            "policies",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let help = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find_map(|d| {
            d["help"]
                .as_str()
                .filter(|h| h.contains("preflight explain"))
        })
        .expect("a hint")
        .to_string();
    let command = help.split('`').nth(1).expect("a command in backticks");
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let explained = preflight(&case, &words);
    assert_eq!(explained.status.code(), Some(0), "{command}");
    assert!(String::from_utf8_lossy(&explained.stdout).starts_with("# "));
}

/// `--diff` with only unsafe fixes: nothing to show, but the finding still fails the run, and
/// the fixes left out are said.
#[test]
fn diff_with_only_unsafe_fixes_fails_as_the_findings_do() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/system-disk-unsupported");
    let out = preflight(
        &case,
        &["validate", "plan.yaml", "--facts", "facts.json", "--diff"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no safe fix to show");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("(1 more with --unsafe-fixes)"), "{said}");
    let out = preflight(
        &case,
        &[
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--diff",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("+    system_disk_category: cloud_essd"));
}

/// Adopting the gate on a repository with findings: `preflight baseline` records them by
/// identity, not line; `validate --baseline` then reports only what is new, counts the rest,
/// and still fails on the new; a broken baseline file is an input error.
#[test]
fn a_baseline_reports_only_new_findings_wherever_the_old_ones_move() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/suppressed");
    let dir = temp_path("baseline");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy(case.join("facts.json"), dir.join("facts.json")).expect("facts");
    let plan = std::fs::read_to_string(case.join("plan.yaml")).expect("plan");
    std::fs::write(dir.join("plan.yaml"), &plan).expect("plan");
    let written = preflight(&dir, &["baseline", "plan.yaml", "--facts", "facts.json"]);
    assert_eq!(written.status.code(), Some(0));
    let baseline = dir.join(".preflight-baseline.json");
    let text = std::fs::read_to_string(&baseline).expect("a baseline");
    assert!(!text.contains("\"line\""), "identity, not line: {text}");
    // The same findings, moved down by a comment, plus a new entry with a new finding.
    let moved = format!(
        "# moved\n\n{plan}  - name: gpu-new\n    image: img-m5s0****29\n    instance_type: p.c1p40g.3large\n"
    );
    std::fs::write(dir.join("plan.yaml"), moved).expect("plan");
    let args = [
        "validate",
        "plan.yaml",
        "--facts",
        "facts.json",
        "--baseline",
        ".preflight-baseline.json",
        "--format",
        "json",
    ];
    let out = preflight(&dir, &args);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let entries: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["entry"].as_str())
        .collect();
    assert_eq!(entries, ["gpu-new"]);
    assert_eq!(report["summary"]["baselined"], 1);
    // A broken baseline: exit 2, pointing into it.
    std::fs::write(&baseline, "{\"version\": 1, \"findings\": [{\"rule\": 3}]}").expect("write");
    let out = preflight(&dir, &args);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["errors"][0]["code"], "baseline::invalid");
    let _ = std::fs::remove_dir_all(dir);
}
