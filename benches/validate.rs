//! Parse + check throughput: generates plans of 1k, 10k and 100k instances over three clouds
//! and ~300 images, with a facts file that covers them (and a few findings), then times the
//! whole `validate` (read, parse, load facts, check, sort), the plan parse alone, serde-saphyr
//! alone on the same text (for comparison: ordinary plans take the fast reader), and the pure
//! check alone. Medians of several runs.
//! Then the same for Terraform: a minified plan JSON of about 5 MB (`terraform show -json`
//! shape, instances of the three clouds among many resources preflight does not read).
//! Run with `cargo bench --bench validate`; it prints a table, it asserts nothing.

use std::time::Duration;

mod support;

use preflight::ValidateOptions;
use preflight::cloud::Api;
use support::{CLOUDS, IMAGES_PER_CLOUD, TYPES, facts, plan_text, time};

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB; sizes run in
/// increasing order, so each reading is that size's peak.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("preflight-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let facts_path = dir.join("facts.json");
    std::fs::write(&facts_path, facts().to_json()).expect("write facts");
    println!(
        "{:>9}  {:>8}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}",
        "instances", "plan KiB", "validate", "parse", "saphyr", "check", "findings"
    );
    let mut peaks = Vec::new();
    let mut formats = Vec::new();
    for n in [1_000, 10_000, 100_000] {
        let plan_path = dir.join(format!("bench-{n}.plan.yaml"));
        let text = plan_text(n);
        std::fs::write(&plan_path, &text).expect("write plan");
        let options = ValidateOptions {
            paths: vec![plan_path.clone()],
            facts: Some(facts_path.clone()),
            ..Default::default()
        };
        let runs = if n >= 100_000 { 3 } else { 7 };
        let (full, mut report) = time(runs, || preflight::validate(&options));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        // As the binary sets it: paths relative to the repository root for SARIF and the rest.
        report.root = Some(preflight::report::Root::discover(std::path::Path::new(".")));
        let plans = [preflight::plan::parse(
            preflight::files::Reader::DISK
                .read_source(&plan_path, preflight::error::Kind::Plan)
                .expect("read"),
        )
        .expect("parse")];
        let policy =
            preflight::pipeline::load_policy(&[] as &[&str], preflight::files::Reader::DISK)
                .expect("packs");
        let facts = facts();
        let (check, _) = time(runs, || {
            preflight::check(&plans, &facts, &policy, &|_| true, "2026-01-01")
        });
        let source = preflight::files::Reader::DISK
            .read_source(&plan_path, preflight::error::Kind::Plan)
            .expect("read");
        let (parse, _) = time(runs, || {
            preflight::plan::parse(source.clone()).expect("parse")
        });
        let (yaml, _) = time(runs, || {
            serde_saphyr::from_str_with_options::<preflight::plan::RawPlan>(
                source.text(),
                preflight::plan::yaml_options(),
            )
            .expect("yaml")
        });

        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "{n:>9}  {:>8}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}",
            text.len() / 1024,
            ms(full),
            ms(parse),
            ms(yaml),
            ms(check),
            report.diagnostics.len()
        );
        peaks.push((n, peak_mib()));
        if n >= 10_000 {
            formats.push((
                n,
                report.diagnostics.len(),
                full,
                render_every_format(&report),
            ));
        }
    }
    println!();
    println!("validate + render, by format (render alone in brackets; ratio to json):");
    for (n, findings, validate, times) in &formats {
        let json = times
            .iter()
            .find(|(name, _)| *name == "json")
            .map_or(Duration::ZERO, |(_, d)| *d)
            + *validate;
        let line: Vec<String> = times
            .iter()
            .map(|(name, d)| {
                let total = *validate + *d;
                format!(
                    "{name} {:.0} ms ({:.1}) {:.2}×",
                    total.as_secs_f64() * 1e3,
                    d.as_secs_f64() * 1e3,
                    total.as_secs_f64() / json.as_secs_f64()
                )
            })
            .collect();
        println!("{n:>9} instances, {findings} findings: {}", line.join(", "));
    }
    for (n, peak) in peaks {
        if let Some(mib) = peak {
            println!("peak memory after {n} instances: {mib:.0} MiB");
        }
    }
    terraform(&dir, &facts_path);
    if std::env::var_os("PREFLIGHT_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// How long each output format takes to render `report` (median of 3).
fn render_every_format(report: &preflight::report::Report) -> Vec<(&'static str, Duration)> {
    use preflight::report::{Format, HumanStyle};
    let style = HumanStyle {
        color: false,
        width: 100,
    };
    [
        ("human", Format::Human),
        ("json", Format::Json),
        ("compact", Format::Compact),
        ("sarif", Format::Sarif),
        ("junit", Format::Junit),
        ("github", Format::Github),
        ("markdown", Format::Markdown),
    ]
    .into_iter()
    .map(|(name, format)| {
        let (took, _) = time(3, || {
            let mut out = Vec::new();
            report.write(format, &style, &mut out).expect("renders");
            out.len()
        });
        (name, took)
    })
    .collect()
}

/// One resource change as `terraform show -json` writes it.
fn resource_change(
    ty: &str,
    name: &str,
    index: usize,
    after: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "address": format!("{ty}.{name}[{index}]"),
        "mode": "managed",
        "type": ty,
        "name": name,
        "index": index,
        "provider_name": "registry.terraform.io/example/provider",
        "change": {
            "actions": ["create"],
            "before": null,
            "after": after,
            "after_unknown": {"id": true, "private_ip": true, "tags": {}},
            "before_sensitive": false,
            "after_sensitive": {"password": true}
        }
    })
}

fn terraform_plan(target_bytes: usize) -> (String, usize) {
    let mut changes = Vec::new();
    let mut size = 0;
    let mut instances = 0;
    let mut i = 0;
    while size < target_bytes {
        let change = if i % 3 == 0 {
            instances += 1;
            let (cloud, region) = CLOUDS[i % CLOUDS.len()];
            let image = format!("img-{}", i % IMAGES_PER_CLOUD);
            let ty = TYPES[i % TYPES.len()];
            match cloud {
                Api::Jdcloud => resource_change(
                    "jdcloud_instance",
                    "vm",
                    i,
                    serde_json::json!({
                        "az": format!("{region}a"), "image_id": image, "instance_type": ty,
                        "instance_name": format!("vm-{i}"), "password": "x", "subnet_id": "subnet-1",
                        "system_disk": [{"disk_category": "local", "disk_size_gb": 40}], "data_disk": []
                    }),
                ),
                Api::Aliyun => resource_change(
                    "alicloud_instance",
                    "vm",
                    i,
                    serde_json::json!({
                        "image_id": image, "instance_type": ty, "instance_name": format!("vm-{i}"),
                        "system_disk_size": 40, "system_disk_category": "cloud_essd",
                        "vswitch_id": "vsw-1", "security_groups": ["sg-1"], "tags": {"team": "platform"}
                    }),
                ),
                _ => resource_change(
                    "zenlayercloud_instance",
                    "vm",
                    i,
                    serde_json::json!({
                        "availability_zone": region, "image_id": image, "instance_type": ty,
                        "instance_name": format!("vm-{i}"), "system_disk_size": 40,
                        "instance_charge_type": "POSTPAID"
                    }),
                ),
            }
        } else {
            // Resources preflight skips, with the bulk real plans have.
            let rules: Vec<serde_json::Value> = (0..8)
                .map(|r| serde_json::json!({"port_range": format!("{r}/{r}"), "cidr_ip": "10.0.0.0/8", "policy": "accept", "priority": r}))
                .collect();
            resource_change(
                "alicloud_security_group_rule",
                "rule",
                i,
                serde_json::json!({"rules": rules, "description": "generated"}),
            )
        };
        size += change.to_string().len();
        changes.push(change);
        i += 1;
    }
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "alicloud": {"name": "alicloud", "expressions": {"region": {"constant_value": "cn-hangzhou"}}},
                "jdcloud": {"name": "jdcloud", "expressions": {"region": {"constant_value": "cn-north-1"}}},
                "zenlayercloud": {"name": "zenlayercloud"}
            },
            "root_module": {}
        },
        "complete": true
    });
    (plan.to_string(), instances)
}

/// The 5 MB Terraform plan, validated end to end with the facts file.
fn terraform(dir: &std::path::Path, facts_path: &std::path::Path) {
    let (text, instances) = terraform_plan(5 * 1024 * 1024);
    let plan_path = dir.join("tfplan.json");
    std::fs::write(&plan_path, &text).expect("write plan");
    let options = ValidateOptions {
        paths: vec![plan_path],
        facts: Some(facts_path.to_path_buf()),
        ..Default::default()
    };
    let (full, report) = time(7, || preflight::validate(&options));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.pairings, instances);
    println!(
        "terraform plan JSON: {:.1} MB minified, {instances} instances: validate {:.1} ms ({} findings)",
        text.len() as f64 / 1e6,
        full.as_secs_f64() * 1e3,
        report.diagnostics.len()
    );
}
