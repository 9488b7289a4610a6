//! Command-line behaviour the golden transcripts cannot show: writing to files, flag errors,
//! help.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/cases")
        .join(name)
}

fn preflight(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .current_dir(dir)
        // Hermetic: no credentials or endpoints from the machine, no CLI config files.
        .env_clear()
        .env("HOME", "/nonexistent-preflight-home")
        .env("PREFLIGHT_CACHE_DIR", "/nonexistent-preflight-home/cache")
        .env("NO_COLOR", "1")
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
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args([
            "validate",
            "plan.yaml",
            "--facts",
            "facts.json",
            "--format",
            "github",
        ])
        .current_dir(&dir)
        .env_clear()
        .env("GITHUB_STEP_SUMMARY", &path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&path).expect("summary");
    assert!(
        summary.starts_with("earlier step\n### preflight"),
        "appends: {summary}"
    );
    assert!(
        summary.contains("| error | `instance-type-excluded` | `plan.yaml:15` |"),
        "{summary}"
    );
    assert!(summary.contains("**5 error(s)**"), "{summary}");
    let _ = std::fs::remove_file(path);
}
