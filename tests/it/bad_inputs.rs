//! The bad-input corpus: every file in `testdata/bad/` is a broken plan, rule file, config or
//! Terraform input (`*.plan.yaml`, `*.rules.yaml`, `*.config.yaml`, `*.tfplan.json`, `*.tf`),
//! and `expect.txt` names the line its
//! first diagnostic must point at (`-` for a problem with the whole file). Each must exit 2
//! with that diagnostic and never panic. Files too large to commit are made here.

use std::path::{Path, PathBuf};

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad")
}

const GOOD_PLAN: &str = "defaults: {cloud: jdcloud, region: r}\ninstances:\n  - {name: a, image: i, instance_type: t}\n";

/// Runs the binary on one bad file and returns (exit code, first error's line, its message
/// and the stderr).
fn check(file: &Path, scratch: &Path) -> (Option<i32>, Option<u64>, String) {
    let name = file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let facts = scratch.join("facts.json");
    std::fs::write(&facts, r#"{"version":5}"#).expect("facts");
    let mut cmd = crate::support::run::command(scratch, Vec::new(), &[], Default::default());
    let common = ["--facts", "facts.json", "--format", "json"];
    if name.ends_with(".plan.yaml") {
        cmd.arg("validate").arg(file).args(common);
    } else if name.ends_with(".tf") || name.ends_with(".tfplan.json") {
        // Terraform input is read with the .tf files beside it: each gets a folder alone.
        let dir = scratch.join("terraform");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("terraform dir");
        let copy = if name.ends_with(".tf") {
            "main.tf"
        } else {
            "tfplan.json"
        };
        std::fs::copy(file, dir.join(copy)).expect("copy");
        cmd.args(["validate", &format!("terraform/{copy}")])
            .args(common);
    } else {
        std::fs::write(scratch.join("ok.plan.yaml"), GOOD_PLAN).expect("plan");
        if name.ends_with(".rules.yaml") {
            let rules = scratch.join("rules");
            let _ = std::fs::remove_dir_all(&rules);
            std::fs::create_dir_all(&rules).expect("rules dir");
            std::fs::copy(file, rules.join("bad.yaml")).expect("copy");
            cmd.args(["validate", "ok.plan.yaml", "--rules", "rules"])
                .args(common);
        } else {
            cmd.args(["validate", "ok.plan.yaml", "--config"])
                .arg(file)
                .args(common);
        }
    }
    let out = cmd.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let line = json["errors"][0]["line"].as_u64();
    let message = json["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (out.status.code(), line, format!("{message}\n{stderr}"))
}

#[test]
fn every_bad_input_exits_2_pointing_at_the_right_line() {
    let scratch = std::env::temp_dir().join(format!("preflight-bad-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let manifest = std::fs::read_to_string(bad_dir().join("expect.txt")).expect("expect.txt");
    let mut count = 0;
    let mut listed = Vec::new();
    let mut wrong = Vec::new();
    for row in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (file, line) = row.split_once(' ').expect("file line");
        listed.push(file.to_string());
        let (code, got, said) = check(&bad_dir().join(file), &scratch);
        let want = (line != "-").then(|| line.parse::<u64>().expect("line number"));
        if code != Some(2) || said.contains("panicked") || got != want {
            wrong.push(format!(
                "{file}: exit {code:?}, line {got:?} (want {want:?}): {said}"
            ));
        }
        count += 1;
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(count >= 40, "only {count} bad inputs");
    // Every file in the folder is in the manifest, so none is silently skipped.
    let mut on_disk: Vec<String> = std::fs::read_dir(bad_dir())
        .expect("testdata/bad")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expect.txt")
        .collect();
    on_disk.sort();
    listed.sort();
    assert_eq!(on_disk, listed);
    let _ = std::fs::remove_dir_all(scratch);
}

#[test]
fn a_100_mb_plan_is_refused_without_reading_it() {
    let scratch = std::env::temp_dir().join(format!("preflight-huge-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let huge = scratch.join("huge.plan.yaml");
    // Sparse: costs no disk.
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(100 * 1024 * 1024))
        .expect("huge file");
    let (code, line, stderr) = check(&huge, &scratch);
    assert_eq!((code, line), (Some(2), None), "{stderr}");
    assert!(
        stderr.contains("preflight reads files up to 64 MiB"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(scratch);
}
