//! The machine formats are read by other tools; these tests read them the way those tools do.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::xsd::Schema;

fn example(format: &str) -> String {
    run(
        &["examples/plan.yaml", "--facts", "examples/facts.json"],
        format,
    )
}

fn run(args: &[&str], format: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .arg("validate")
        .args(args)
        .args(["--format", format])
        .current_dir(root)
        .env_clear()
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// serde-sarif models SARIF 2.1.0 from its JSON Schema: reading our output into that model and
/// writing it back must lose nothing, so every property we emit exists in the schema with the
/// right type.
#[test]
fn sarif_round_trips_through_the_2_1_0_model() {
    let text = example("sarif");
    let ours: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let model: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("SARIF 2.1.0");
    let again = serde_json::to_value(&model).expect("serializes");
    assert_eq!(
        again, ours,
        "a property was dropped: not in the SARIF 2.1.0 model"
    );
    let run = &model.runs[0];
    assert_eq!(run.results.as_ref().map(Vec::len), Some(5));
    let rules = run.tool.driver.rules.as_ref().expect("rules");
    assert!(rules.iter().any(|r| r.id == "instance-type-excluded"));
}

/// Terraform findings carry where a variable was set as a related location, in the model too.
#[test]
fn sarif_related_locations_round_trip() {
    let text = run(
        &[
            "testdata/cases/tf-aliyun/tfplan.json",
            "--facts",
            "testdata/cases/tf-aliyun/facts.json",
        ],
        "sarif",
    );
    let ours: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let model: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("SARIF 2.1.0");
    assert_eq!(serde_json::to_value(&model).expect("serializes"), ours);
    let related: Vec<String> = model.runs[0]
        .results
        .iter()
        .flatten()
        .flat_map(|r| r.related_locations.iter().flatten())
        .filter_map(|l| {
            l.physical_location
                .as_ref()?
                .artifact_location
                .as_ref()?
                .uri
                .clone()
        })
        .collect();
    assert_eq!(
        related,
        // Per finding: where the module sets `var.image_id`, where the tfvars set it, and
        // the module call.
        [
            "testdata/cases/tf-aliyun/main.tf",
            "testdata/cases/tf-aliyun/terraform.tfvars",
            "testdata/cases/tf-aliyun/main.tf",
        ]
        .repeat(2)
    );
}

#[test]
fn junit_counts_a_case_per_pairing() {
    let text = example("junit");
    // 7 instance entries and 1 image entry; 5 fail, the suppressed one passes.
    assert!(text.contains(r#"tests="8""#), "{text}");
    assert!(text.contains(r#"failures="5""#), "{text}");
    assert!(
        text.contains("<testsuite name=\"examples/plan.yaml\""),
        "{text}"
    );
}

/// The instances of one Terraform block share its lines; each JUnit case carries its own
/// findings only, not its siblings'.
#[test]
fn junit_cases_of_one_block_keep_their_own_findings() {
    let dir = "testdata/cases/tf-module-repo";
    let text = run(
        &[
            &format!("{dir}/examples/basic"),
            "--facts",
            &format!("{dir}/facts.json"),
        ],
        "junit",
    );
    let cases: Vec<&str> = text.split("<testcase ").skip(1).collect();
    assert_eq!(cases.len(), 2, "{text}");
    for (i, case) in cases.iter().enumerate() {
        let own = format!("this[{i}]");
        let other = format!("this[{}]", 1 - i);
        assert!(case.contains(&own), "{case}");
        assert!(
            !case.contains(&other),
            "case {i} has its sibling's findings: {case}"
        );
        // Its image finding and its unverified type, nothing more.
        assert_eq!(case.matches("\n  help:").count(), 2, "{case}");
    }
}

/// Runs `validate ARGS --format FORMAT` in `dir` with no environment; (exit code, stdout).
fn run_in(dir: &Path, args: &[&str], format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .arg("validate")
        .args(args)
        .args(["--format", format])
        .current_dir(dir)
        .env_clear()
        .env("HOME", "/nonexistent-preflight-home")
        .output()
        .expect("binary runs");
    let code = out.status.code().expect("exit code");
    (code, String::from_utf8(out.stdout).expect("utf-8"))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn junit_schema() -> Schema {
    let xsd = std::fs::read_to_string(root().join("testdata/schemas/junit-10.xsd")).expect("xsd");
    Schema::read(&xsd)
}

/// The report is valid against junit-10.xsd (GitLab's `file` and `line` on cases aside), and
/// has failure or error elements exactly when the run failed for findings (exit 1 or 3).
fn check_junit(code: i32, xml: &str) {
    let problems = junit_schema().problems(xml, &[("testcase", "file"), ("testcase", "line")]);
    assert!(problems.is_empty(), "{problems:#?}\n{xml}");
    let failing = xml.contains("<failure ") || xml.contains("<error ");
    assert_eq!(
        failing,
        code == 1 || code == 3 || code == 2,
        "exit {code}:\n{xml}"
    );
}

/// A scratch directory that is removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("preflight-formats-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_junit_checker_refuses_what_junit_10_refuses() {
    let schema = junit_schema();
    let bad = r#"<testsuites skipped="0"><testsuite name="a" tests="1" failures="0"><testcase/></testsuite></testsuites>"#;
    let problems = schema.problems(bad, &[]);
    assert!(
        problems.iter().any(|p| p.contains("no attribute skipped")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("lacks required errors")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("lacks required name")),
        "{problems:?}"
    );
    let time = r#"<testsuites time="1,5"/>"#;
    assert!(
        !schema.problems(time, &[]).is_empty(),
        "SUREFIRE_TIME is checked"
    );
}

#[test]
fn junit_is_valid_and_mirrors_the_exit_code() {
    let cases = root().join("testdata/cases");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("examples", vec!["plan.yaml", "--facts", "facts.json"]),
        (
            "testdata/cases/tf-module-calls",
            vec!["stack", "--facts", "facts.json"],
        ),
        (
            "testdata/cases/tf-direct-dir",
            vec!["infra", "--facts", "facts.json"],
        ),
        (
            "testdata/cases/tf-region-missing",
            vec!["tfplan.json", "--facts", "facts.json"],
        ),
        (
            "testdata/cases/tf-region-missing",
            vec!["tfplan.json", "--facts", "facts.json", "--allow-unverified"],
        ),
        (
            "testdata/cases/warning-passes",
            vec!["plan.yaml", "--facts", "facts.json", "--rules", "policies"],
        ),
        (
            "testdata/cases/plan-many-errors",
            vec!["plan.yaml", "--facts", "facts.json"],
        ),
    ];
    assert!(cases.is_dir());
    let mut codes = Vec::new();
    for (dir, args) in runs {
        let (code, xml) = run_in(&root().join(dir), &args, "junit");
        check_junit(code, &xml);
        codes.push(code);
    }
    // The runs cover every exit code the gate has.
    for code in [0, 1, 2, 3] {
        assert!(codes.contains(&code), "no run exits {code}: {codes:?}");
    }
}

#[test]
fn junit_puts_each_finding_where_the_gate_puts_it() {
    let dir = root().join("testdata/cases/tf-region-missing");
    let (code, xml) = run_in(&dir, &["tfplan.json", "--facts", "facts.json"], "junit");
    assert_eq!(code, 3);
    // Every unverified resource is a case with an error, named by its address.
    assert!(
        xml.contains(r#"name="alicloud_instance.worker[&quot;b&quot;] "#),
        "{xml}"
    );
    assert_eq!(xml.matches("<error ").count(), 5, "{xml}");
    let (code, xml) = run_in(
        &dir,
        &["tfplan.json", "--facts", "facts.json", "--allow-unverified"],
        "junit",
    );
    assert_eq!(code, 0);
    assert_eq!(xml.matches("<skipped ").count(), 5, "{xml}");
    assert!(!xml.contains("<error "), "{xml}");
    // A warning below --fail-on is told, not failed.
    let dir = root().join("testdata/cases/warning-passes");
    let (code, xml) = run_in(
        &dir,
        &["plan.yaml", "--facts", "facts.json", "--rules", "policies"],
        "junit",
    );
    assert_eq!(code, 0);
    assert!(
        xml.contains("<system-out>") && !xml.contains("<failure "),
        "{xml}"
    );
}

#[test]
fn junit_input_errors_are_cases_named_by_file_and_line() {
    let dir = root().join("testdata/cases/plan-many-errors");
    let (code, xml) = run_in(&dir, &["plan.yaml", "--facts", "facts.json"], "junit");
    assert_eq!(code, 2);
    check_junit(code, &xml);
    let names: Vec<&str> = xml
        .split("<testcase name=\"")
        .skip(1)
        .map(|c| &c[..c.find('"').expect("name ends")])
        .collect();
    assert!(names.len() >= 2, "{xml}");
    assert!(
        names.iter().all(|n| n.starts_with("plan.yaml:")),
        "{names:?}"
    );
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "each error its own name: {names:?}"
    );
}

/// A repository whose path has a space and a `%`, run from a directory below its root.
fn awkward_repository() -> (Scratch, PathBuf) {
    let scratch = Scratch::new("repo");
    let repo = scratch.0.join("my repo");
    let sub = repo.join("infra 100%");
    std::fs::create_dir_all(repo.join(".git")).expect("git dir");
    std::fs::create_dir_all(&sub).expect("sub dir");
    std::fs::copy(root().join("examples/plan.yaml"), sub.join("plan.yaml")).expect("plan");
    std::fs::copy(root().join("examples/facts.json"), sub.join("facts.json")).expect("facts");
    (scratch, sub)
}

#[test]
fn junit_files_are_relative_to_the_repository_root() {
    let (_scratch, sub) = awkward_repository();
    let (code, xml) = run_in(&sub, &["plan.yaml", "--facts", "facts.json"], "junit");
    assert_eq!(code, 1);
    check_junit(code, &xml);
    assert!(xml.contains(r#"file="infra 100%/plan.yaml""#), "{xml}");
}

/// A plan with `n` pairings whose image is gone: `n` image-not-found findings.
fn many_findings(n: usize) -> (Scratch, PathBuf) {
    let scratch = Scratch::new(&format!("many-{n}"));
    let mut plan = String::from("defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n");
    for i in 0..n {
        plan.push_str(&format!(
            "  - {{name: vm{i}, image: img-gone, instance_type: g.n4.xlarge}}\n"
        ));
    }
    std::fs::write(scratch.0.join("plan.yaml"), plan).expect("plan");
    let facts = r#"{"version": 2, "clouds": {"jdcloud": {"cn-north-1": {
        "images": {"img-gone": {"state": "not_found"}},
        "instance_types": {"complete": true, "offered": {"g.n4.xlarge": {"architecture": "x86_64"}}},
        "availability": {"postpaid": {"types": {"g.n4.xlarge": null}}},
        "quota": {"used": 0, "limit": 10}}}}}"#;
    std::fs::write(scratch.0.join("facts.json"), facts).expect("facts");
    let dir = scratch.0.clone();
    (scratch, dir)
}

#[test]
fn junit_holds_thirty_thousand_findings() {
    let (_scratch, dir) = many_findings(30_000);
    let (code, xml) = run_in(&dir, &["plan.yaml", "--facts", "facts.json"], "junit");
    assert_eq!(code, 1);
    check_junit(code, &xml);
    assert_eq!(xml.matches("<failure ").count(), 30_000);
}
