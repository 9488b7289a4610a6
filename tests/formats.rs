//! The machine formats are read by other tools; these tests read them the way those tools do.

use std::path::Path;
use std::process::Command;

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
