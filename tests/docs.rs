//! Generated documents in the repository must match what the binary produces, so a change to
//! the plan format cannot leave them stale. Re-generate with `cargo run -- schema > docs/plan.schema.json`.

#[test]
fn plan_schema_file_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/plan.schema.json");
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("docs/plan.schema.json exists"))
            .expect("valid JSON");
    assert_eq!(
        on_disk,
        preflight::plan::json_schema(),
        "docs/plan.schema.json is stale: run `cargo run -- schema > docs/plan.schema.json`"
    );
}

#[test]
fn bundled_example_facts_and_plan_are_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let options = preflight::ValidateOptions {
        paths: vec![format!("{root}/examples/plan.yaml").into()],
        include: vec![],
        exclude: vec![],
        rule_dirs: vec![],
        facts: Some(format!("{root}/examples/facts.json").into()),
        disable: vec![],
        fetch: None,
        config: Default::default(),
    };
    let report = preflight::validate(&options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The example shows a finding of each kind it was written for.
    let mut rules: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.as_str()).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "image-quota-exceeded",
            "image-unavailable",
            "instance-type-excluded",
            "instance-type-not-included",
            "instance-type-unknown"
        ]
    );
    assert_eq!(report.suppressed, 1);
}
