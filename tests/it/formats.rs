//! The machine formats are read by other tools; these tests read them the way those tools do.

use std::path::{Path, PathBuf};

use crate::support::run::Project;
use crate::support::xsd::Schema;

fn example(format: &str) -> String {
    run(
        &["examples/plan.yaml", "--facts", "examples/facts.json"],
        format,
    )
}

fn run(args: &[&str], format: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", format]);
    let out = Project::at(root)
        .command(Vec::new(), &all)
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
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", format]);
    let out = Project::at(dir)
        .command(Vec::new(), &all)
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
        Scratch(crate::support::run::scratch(label))
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
    let facts = r#"{"version": 5, "clouds": {"jdcloud": {"cn-north-1": {
        "images": {"img-gone": {"state": "not_found"}},
        "instance_types": {"complete": true, "offered": {"g.n4.xlarge": {"architecture": "x86_64", "vcpus": 4, "memory_mb": 16384}}},
        "availability": {"postpaid": {"types": {"g.n4.xlarge": null}}},
        "quota": {"used": 0, "limit": 10},
        "account": {"quotas": {"instance": {"used": 0, "limit": 100000}, "instance_cpu": {"used": 0, "limit": 1000000},
            "instance_memory": {"used": 0, "limit": 4000000}}}}}}}"#;
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

fn sarif_schema() -> crate::support::json_schema::Validator {
    crate::support::json_schema::Validator::read(
        &root().join("testdata/schemas/sarif-schema-2.1.0.json"),
    )
}

/// The report is valid against the OASIS SARIF 2.1.0 schema; its JSON.
fn check_sarif(text: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text).expect("JSON");
    if let Err(e) = sarif_schema().check(&value) {
        panic!("not SARIF 2.1.0: {e}\n{text}");
    }
    value
}

#[test]
fn the_sarif_checker_refuses_what_the_schema_refuses() {
    let schema = sarif_schema();
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]});
    assert!(schema.check(&bad).is_err(), "a driver needs a name");
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"message": {"text": "m"}, "level": "fatal"}]}]});
    assert!(schema.check(&bad).is_err(), "levels are an enum");
}

#[test]
fn sarif_is_valid_for_every_kind_of_run() {
    let runs: Vec<(&str, Vec<&str>, i32)> = vec![
        ("examples", vec!["plan.yaml", "--facts", "facts.json"], 1),
        (
            "testdata/cases/tf-module-calls",
            vec!["stack", "--facts", "facts.json"],
            1,
        ),
        (
            "testdata/cases/tf-direct-dir",
            vec!["infra", "--facts", "facts.json"],
            1,
        ),
        (
            "testdata/cases/tf-region-missing",
            vec!["tfplan.json", "--facts", "facts.json"],
            3,
        ),
        (
            "testdata/cases/plan-many-errors",
            vec!["plan.yaml", "--facts", "facts.json"],
            2,
        ),
    ];
    for (dir, args, expected) in runs {
        let (code, text) = run_in(&root().join(dir), &args, "sarif");
        assert_eq!(code, expected, "{dir}");
        let log = check_sarif(&text);
        let run = &log["runs"][0];
        let results = run["results"].as_array().expect("results");
        match code {
            // A run that fails only for unverified pairings shows them as results.
            3 => assert!(
                !results.is_empty()
                    && results
                        .iter()
                        .all(|r| r["ruleId"] == "unverified" && r["level"] == "warning"),
                "{text}"
            ),
            // Input errors are notifications at their place.
            2 => {
                let notes = run["invocations"][0]["toolExecutionNotifications"]
                    .as_array()
                    .expect("notifications");
                assert!(!notes.is_empty());
                for n in notes.iter().filter(|n| n["level"] == "error") {
                    let at = &n["locations"][0]["physicalLocation"];
                    assert_eq!(at["artifactLocation"]["uriBaseId"], "%SRCROOT%", "{n}");
                    assert!(at["region"]["startLine"].as_u64().is_some(), "{n}");
                }
            }
            _ => assert!(!results.is_empty()),
        }
    }
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root_and_encoded() {
    let (_scratch, sub) = awkward_repository();
    let (code, text) = run_in(&sub, &["plan.yaml", "--facts", "facts.json"], "sarif");
    assert_eq!(code, 1);
    let log = check_sarif(&text);
    let run = &log["runs"][0];
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("base");
    assert!(
        base.starts_with("file:///") && base.ends_with("/my%20repo/"),
        "{base}"
    );
    for r in run["results"].as_array().expect("results") {
        let at = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(at["uri"], "infra%20100%25/plan.yaml", "{r}");
        assert_eq!(at["uriBaseId"], "%SRCROOT%");
    }
    // --root names another root; a file outside it is an absolute URI.
    let (_, text) = run_in(
        &sub,
        &["plan.yaml", "--facts", "facts.json", "--root", "."],
        "sarif",
    );
    let log = check_sarif(&text);
    let at = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(at["uri"], "plan.yaml");
    let outside = sub.join("nested");
    std::fs::create_dir_all(&outside).expect("dir");
    let (_, text) = run_in(
        &sub,
        &["plan.yaml", "--facts", "facts.json", "--root", "nested"],
        "sarif",
    );
    let log = check_sarif(&text);
    let at = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = at["uri"].as_str().expect("uri");
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/my%20repo/infra%20100%25/plan.yaml"),
        "{uri}"
    );
    assert!(at.get("uriBaseId").is_none(), "{at}");
}

#[test]
fn sarif_fingerprints_follow_the_pairing_when_lines_move() {
    let (_scratch, sub) = awkward_repository();
    let prints = |dir: &Path| -> Vec<(String, String)> {
        let (_, text) = run_in(dir, &["plan.yaml", "--facts", "facts.json"], "sarif");
        let log = check_sarif(&text);
        let mut v: Vec<(String, String)> = log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().expect("rule").to_string(),
                    r["partialFingerprints"]["preflightEntry/v1"]
                        .as_str()
                        .expect("fingerprint")
                        .to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = prints(&sub);
    let plan = std::fs::read_to_string(sub.join("plan.yaml")).expect("plan");
    std::fs::write(sub.join("plan.yaml"), format!("# moved\n\n\n{plan}")).expect("plan");
    let after = prints(&sub);
    assert_eq!(before, after);
    let unique: std::collections::BTreeSet<&String> = before.iter().map(|(_, f)| f).collect();
    assert_eq!(unique.len(), before.len(), "one fingerprint per finding");
}

#[test]
fn sarif_holds_at_most_what_code_scanning_takes() {
    let (_scratch, dir) = many_findings(30_000);
    let (code, text) = run_in(&dir, &["plan.yaml", "--facts", "facts.json"], "sarif");
    assert_eq!(code, 1);
    let log = check_sarif(&text);
    let run = &log["runs"][0];
    assert_eq!(run["results"].as_array().expect("results").len(), 25_000);
    let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("5000 more results are left out"), "{notes}");
}

/// The job summary appends to `$GITHUB_STEP_SUMMARY` (what earlier steps wrote stays), and
/// nothing from a plan or rule file becomes markup or breaks its table.
#[test]
fn the_job_summary_escapes_what_plans_and_rules_say() {
    let scratch = Scratch::new("summary");
    let summary = scratch.0.join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("summary");
    let env = vec![(
        "GITHUB_STEP_SUMMARY".to_string(),
        summary.display().to_string(),
    )];
    let args = [
        "validate",
        "plans",
        "--facts",
        "facts.json",
        "--rules",
        "policies",
        "--format",
        "github",
    ];
    let out = Project::at(root().join("testdata/cases/markdown-escaping"))
        .command(env, &args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).expect("summary");
    assert!(text.starts_with("earlier step\n"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("no-big-types"))
        .expect("a row for the finding");
    // Four cells: the `|` in the path and in the message are escaped.
    let cells = row.replace("\\|", "").matches('|').count();
    assert_eq!(cells, 5, "{row}");
    assert!(row.contains("\\<b\\>not\\</b\\>"), "{row}");
    assert!(
        row.contains("\\*large\\*") && row.contains("\\[see\\]"),
        "{row}"
    );
}

/// GitHub keeps 10 error annotations per step and drops a job summary over 1 MiB: the github
/// format annotates the first 10 errors, writes the rest as plain log lines and says how many,
/// and keeps its job summary under the limit, counting what it left out.
#[test]
fn the_github_format_keeps_within_what_github_shows() {
    let (_scratch, dir) = many_findings(30_000);
    let summary = dir.join("summary.md");
    let out = Project::at(&dir)
        .command(
            vec![(
                "GITHUB_STEP_SUMMARY".to_string(),
                summary.to_str().expect("utf-8").to_string(),
            )],
            &[
                "validate",
                "plan.yaml",
                "--facts",
                "facts.json",
                "--format",
                "github",
            ],
        )
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        log.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains(": error [image-not-found]"))
            .count(),
        29_990,
        "the rest are still in the log"
    );
    assert!(
        log.contains("preflight: 29,990 more not annotated (GitHub shows at most 10 errors"),
        "{}",
        log.lines().last().unwrap_or_default()
    );
    let written = std::fs::read_to_string(&summary).expect("a summary");
    assert!(written.len() <= 1_048_576, "{} bytes", written.len());
    assert!(written.starts_with("<!-- preflight-report -->\n"));
    assert!(
        written.contains("more left out to fit the job summary (1 MiB)"),
        "{}",
        &written[written.len().saturating_sub(300)..]
    );
}

/// SARIF names its category by what was checked, so one upload per root is one analysis each.
#[test]
fn sarif_runs_are_categorised_by_what_was_checked() {
    let case = root().join("testdata/cases/tf-discovery");
    let category = |args: &[&str]| {
        let (_, text) = run_in(&case, args, "sarif");
        let log: serde_json::Value = serde_json::from_str(&text).expect("sarif");
        log["runs"][0]["automationDetails"]["id"]
            .as_str()
            .expect("an id")
            .to_string()
    };
    let whole = category(&[".", "--facts", "facts.json", "--root", "."]);
    let dev = category(&["envs/dev", "--facts", "facts.json", "--root", "."]);
    assert_eq!(whole, "preflight/");
    assert_eq!(dev, "preflight/envs/dev/");
}
