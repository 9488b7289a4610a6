//! Hostile input: each case of the adversarial run (issue 21) against the real binary. Bad
//! input is a diagnostic and exit 2; memory stays bounded (the worst evaluator cases run
//! under an address-space limit); nothing the user owns is lost or changed unasked; a run
//! ends by its deadline; nothing is passed in silence.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::support::fake_cloud::{FakeCloud, Fault};
use crate::support::lsp_client::Client;
use crate::support::run::{Limits, Run, command, is_root, run_sync, scratch};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The address space the evaluator cases run in: a fraction of what they took before.
const BOUNDED: Limits = Limits {
    file_size: None,
    memory: Some(1536 * 1024 * 1024),
    unprivileged: false,
};

fn facts() -> String {
    Path::new(ROOT)
        .join("examples/facts.json")
        .display()
        .to_string()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        fs::write(path, text).expect("write");
    }
}

/// `validate ARGS --facts <example facts> --format json` in `dir`.
fn validate(dir: &Path, args: &[&str], limits: Limits) -> Run {
    let facts = facts();
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--facts", &facts, "--format", "json"]);
    run_sync(dir, Vec::new(), &all, limits)
}

/// (code, file, line) of each input error of a JSON report.
fn errors(run: &Run) -> Vec<(String, String, u64)> {
    run.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap_or("").to_string(),
                e["file"].as_str().unwrap_or("").to_string(),
                e["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn input_error(run: &Run) -> (String, String, u64) {
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    errors(run).into_iter().next().expect("an input error")
}

// --- the .tf evaluator --------------------------------------------------------------------

const INSTANCE: &str = "resource \"alicloud_instance\" \"x\" {\n  image_id      = \"img\"\n  instance_type = \"ecs.g7.large\"\n";

#[test]
fn a_module_that_includes_itself_is_an_input_error_at_its_source() {
    let dir = scratch("hostile-recursion");
    let body = "module \"a\" {\n  source = \"./\"\n}\nmodule \"b\" {\n  source = \"../m\"\n}\n";
    write(
        &dir,
        &[
            ("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"),
            ("m/main.tf", &format!("{body}{INSTANCE}}}\n")),
        ],
    );
    let run = validate(&dir, &["."], BOUNDED);
    let all = errors(&run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        all,
        [
            (
                "terraform::bad-module".to_string(),
                "m/main.tf".to_string(),
                2
            ),
            (
                "terraform::bad-module".to_string(),
                "m/main.tf".to_string(),
                5
            ),
        ],
        "one error per call, not one per copy"
    );
    assert!(
        run.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("includes itself")
    );
}

#[test]
fn a_tree_of_module_calls_that_doubles_at_every_level_stops_at_the_call_limit() {
    let dir = scratch("hostile-fanout-modules");
    let mut files = vec![(
        "main.tf".to_string(),
        "module \"a\" {\n  source = \"./l0\"\n}\n".to_string(),
    )];
    for level in 0..14 {
        let next = format!("../l{}", level + 1);
        files.push((
            format!("l{level}/main.tf"),
            format!(
                "module \"a\" {{\n  source = \"{next}\"\n}}\nmodule \"b\" {{\n  source = \"{next}\"\n}}\n"
            ),
        ));
    }
    files.push(("l14/main.tf".to_string(), format!("{INSTANCE}}}\n")));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write(&dir, &refs);
    let run = validate(&dir, &["."], BOUNDED);
    let (code, _, _) = input_error(&run);
    assert_eq!(code, "terraform::bad-module");
    assert!(
        run.stdout.contains("more than 1000 times"),
        "{}",
        run.stdout
    );
}

#[test]
fn counts_past_the_instance_budget_are_input_errors_at_the_count() {
    for count in ["1e9", "1e18", "50001"] {
        let dir = scratch("hostile-count");
        let tf = format!(
            "resource \"alicloud_instance\" \"x\" {{\n  count         = {count}\n  image_id      = \"img\"\n  instance_type = \"ecs.g7.large\"\n}}\n"
        );
        write(&dir, &[("main.tf", &tf)]);
        let run = validate(&dir, &["."], BOUNDED);
        assert_eq!(
            input_error(&run),
            (
                "terraform::too-much-work".to_string(),
                "main.tf".to_string(),
                2
            ),
            "count = {count}"
        );
    }
}

#[test]
fn locals_that_fan_out_or_double_a_string_end_in_an_input_error() {
    let mut fan = String::from("locals {\n  a0 = \"x\"\n");
    // Doubling a 4 KiB string: a few levels, well within how deep references may go.
    let mut strings = format!("locals {{\n  s0 = \"{}\"\n", "x".repeat(4096));
    for i in 1..=40 {
        fan.push_str(&format!("  a{i} = [local.a{}, local.a{}]\n", i - 1, i - 1));
    }
    for i in 1..=12 {
        strings.push_str(&format!(
            "  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n",
            i - 1,
            i - 1
        ));
    }
    fan.push_str("  self = [local.self, local.self]\n}\n");
    strings.push_str("}\n");
    let cases = [
        (
            fan.clone(),
            "length(local.a40) > 0 ? \"ecs.g7.large\" : \"b\"",
        ),
        (fan, "length(local.self) > 0 ? \"ecs.g7.large\" : \"b\""),
        (strings, "length(local.s12) > 0 ? \"ecs.g7.large\" : \"b\""),
    ];
    for (locals, expr) in cases {
        let dir = scratch("hostile-locals");
        let tf = format!(
            "{locals}resource \"alicloud_instance\" \"x\" {{\n  image_id      = \"img\"\n  instance_type = {expr}\n}}\n"
        );
        write(&dir, &[("main.tf", &tf)]);
        let run = validate(&dir, &["."], BOUNDED);
        let (code, file, _) = input_error(&run);
        assert_eq!(
            (code.as_str(), file.as_str()),
            ("terraform::too-much-work", "main.tf"),
            "{expr}"
        );
    }
}

#[test]
fn the_language_server_survives_the_evaluator_cases_and_shows_the_error() {
    let dir = scratch("hostile-lsp-eval");
    let mut fan = String::from("locals {\n  a0 = \"x\"\n");
    for i in 1..=40 {
        fan.push_str(&format!("  a{i} = [local.a{}, local.a{}]\n", i - 1, i - 1));
    }
    fan.push_str("}\nresource \"alicloud_instance\" \"x\" {\n  count         = 1e18\n  image_id      = \"img\"\n  instance_type = length(local.a40) > 0 ? \"a\" : \"b\"\n}\n");
    write(&dir, &[("main.tf", &fan)]);
    let facts = facts();
    let mut client = Client::start(&["--facts", &facts], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&dir.join("main.tf"), &fan);
    let d = client.diagnostics(&uri);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "terraform::too-much-work");
    assert!(client.shutdown().success(), "the server ends as asked");
}

// --- --fix ---------------------------------------------------------------------------------

const STYLES: &str = "\
defaults: {cloud: jdcloud, region: cn-north-1}
instances:
  - name: block
    image: img-m5s0****30
    instance_type: |
      m.n4.2xlarg
    system_disk_gb: 40
  - name: folded
    image: img-m5s0****30
    instance_type: >-
      m.n4.2xlarg
  - name: anchored
    image: img-m5s0****30
    instance_type: &t m.n4.2xlarg
  - name: alias
    image: img-m5s0****30
    instance_type: *t
  - {name: flow, image: img-m5s0****30, instance_type: m.n4.2xlarg}
  - name: quoted
    image: img-m5s0****30
    instance_type: \"m.n4.2xlarg\" # why
  - name: tagged
    image: img-m5s0****30
    instance_type: !!str m.n4.2xlarg
";

/// `validate p.plan.yaml --fix --unsafe-fixes` against the example facts.
fn fix_all(dir: &Path) -> Run {
    let facts = facts();
    let args = [
        "validate",
        "p.plan.yaml",
        "--facts",
        &facts,
        "--fix",
        "--unsafe-fixes",
    ];
    run_sync(dir, Vec::new(), &args, Limits::default())
}

#[test]
fn fix_edits_only_the_values_own_bytes_in_every_yaml_style() {
    let dir = scratch("hostile-fix-styles");
    write(&dir, &[("p.plan.yaml", STYLES)]);
    let run = fix_all(&dir);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let after = fs::read_to_string(dir.join("p.plan.yaml")).unwrap();
    // The alias has no bytes of its own: its anchor's fix changes it too.
    assert_eq!(after, STYLES.replace("m.n4.2xlarg", "m.n4.xlarge"));
    // What is left reads: the plan is still a plan.
    let again = validate(&dir, &["p.plan.yaml"], Limits::default());
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn fix_keeps_the_byte_order_mark_the_mode_and_the_owner() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = scratch("hostile-fix-bom");
    let plan = dir.join("p.plan.yaml");
    let text = "\u{feff}defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****30, instance_type: m.n4.2xlarg}\n";
    fs::write(&plan, text).unwrap();
    fs::set_permissions(&plan, fs::Permissions::from_mode(0o640)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&plan, Some(65534), Some(65534)).unwrap();
    }
    let owner = fs::metadata(&plan).unwrap().uid();
    let run = fix_all(&dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&plan).unwrap(),
        text.replace("m.n4.2xlarg", "m.n4.xlarge")
    );
    let meta = fs::metadata(&plan).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(
        meta.uid(),
        owner,
        "a fix run as root leaves the user's file theirs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fix_refuses_when_the_plan_was_saved_while_it_waited_for_facts() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-jd", "ready", "x86_64", 20, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.zl_type("FRA-A", "z2a.cpu.1");
    // Zenlayer never answers: the run waits until --timeout.
    fake.fail_always("zenlayer.DescribeImages", Fault::Hang);
    let dir = scratch("hostile-fix-race");
    let plan = "\
instances:
  - {name: jd, cloud: jdcloud, region: cn-north-1, image: img-jd, instance_type: g.n4.xlarge, system_disk_gb: 10}
  - {name: zl, cloud: zenlayer, region: FRA-A, image: img-zl, instance_type: z2a.cpu.1}
";
    write(&dir, &[("p.plan.yaml", plan)]);
    let child = command(
        &dir,
        fake.env(),
        &[
            "validate",
            "p.plan.yaml",
            "--fix",
            "--unsafe-fixes",
            "--timeout",
            "3",
        ],
        Limits::default(),
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until preflight is waiting on the cloud, then save an edit, as a user would.
    let mut waiting = false;
    for _ in 0..600 {
        waiting = fake
            .requests()
            .iter()
            .any(|r| r.contains("zenlayer.DescribeImages"));
        if waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting, "preflight asked Zenlayer: {:?}", fake.requests());
    let edited = plan.replace("name: zl", "name: zl-edited");
    fs::write(dir.join("p.plan.yaml"), &edited).unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stderr}{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("changed while preflight checked it"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(dir.join("p.plan.yaml")).unwrap(), edited);
}

// --- reports and inputs --------------------------------------------------------------------

#[test]
fn a_report_is_never_written_over_an_input_or_through_a_link_loop() {
    let dir = scratch("hostile-output");
    let plan = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****29, instance_type: g.n4.xlarge}\n";
    write(&dir, &[("p.plan.yaml", plan)]);
    std::os::unix::fs::symlink("loop-b", dir.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", dir.join("loop-b")).unwrap();
    let facts = facts();
    for (target, said) in [
        ("p.plan.yaml", "one of the files this run read"),
        (facts.as_str(), "one of the files this run read"),
        ("loop-a", "too many levels of symbolic links"),
    ] {
        let run = run_sync(
            &dir,
            Vec::new(),
            &[
                "validate",
                "p.plan.yaml",
                "--facts",
                &facts,
                "--output",
                target,
            ],
            Limits::default(),
        );
        assert_eq!(run.code, 2, "{target}: {}", run.stderr);
        assert!(run.stderr.contains(said), "{target}: {}", run.stderr);
    }
    assert_eq!(fs::read_to_string(dir.join("p.plan.yaml")).unwrap(), plan);
    assert!(fs::read_to_string(&facts).unwrap().contains("\"version\""));
}

#[test]
fn deeply_nested_plan_json_values_are_read_without_recursion() {
    let dir = scratch("hostile-deep-json");
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let plan = format!(
        r#"{{"format_version":"1.2","terraform_version":"1.11.0","resource_changes":[{{"address":"alicloud_instance.x","mode":"managed","type":"alicloud_instance","name":"x","provider_name":"registry.terraform.io/aliyun/alicloud","change":{{"actions":["create"],"before":null,"after":{{"image_id":"img","instance_type":{deep}}},"after_unknown":{{}}}}}}]}}"#
    );
    write(&dir, &[("tfplan.json", &plan)]);
    // A small stack, as a thread of the language server has.
    let mut cmd = command(
        &dir,
        vec![("ALICLOUD_REGION".into(), "cn-hangzhou".into())],
        &[
            "validate",
            "tfplan.json",
            "--facts",
            &facts(),
            "--format",
            "json",
        ],
        Limits::default(),
    );
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("overflow"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report");
    // The nested value is no instance type: the pairing is reported as not checkable.
    assert_eq!(out.status.code(), Some(3), "{report}");
    assert_eq!(report["diagnostics"][0]["rule"], "unverified");
}

/// What is unreadable, the files, the path locked, and what is validated.
type Unreadable<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);

#[test]
fn unreadable_directories_and_files_are_input_errors_never_a_pass() {
    use std::os::unix::fs::PermissionsExt;
    let cases: [Unreadable; 3] = [
        (
            "plan subdirectory",
            &[
                ("envs/dev/web.plan.yaml", "instances: []\n"),
                (
                    "envs/ok.plan.yaml",
                    "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****29, instance_type: g.n4.xlarge}\n",
                ),
            ],
            "envs/dev",
            "envs",
        ),
        (
            "module directory",
            &[
                ("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"),
                ("m/main.tf", "resource \"alicloud_instance\" \"x\" {}\n"),
            ],
            "m",
            ".",
        ),
        (
            ".tf.json file",
            &[("main.tf", "variable \"x\" {}\n"), ("extra.tf.json", "{}")],
            "extra.tf.json",
            ".",
        ),
    ];
    for (what, files, locked, target) in cases {
        let dir = scratch("hostile-unreadable");
        write(&dir, files);
        fs::set_permissions(dir.join(locked), fs::Permissions::from_mode(0o000)).unwrap();
        let limits = Limits {
            unprivileged: true,
            ..Limits::default()
        };
        let run = validate(&dir, &[target], limits);
        fs::set_permissions(dir.join(locked), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(run.code, 2, "{what}: {}", run.stdout);
        let message = run.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("permission denied"), "{what}: {message}");
    }
}

#[test]
fn a_modules_manifest_that_cannot_be_read_is_an_input_error() {
    let dir = scratch("hostile-manifest");
    write(
        &dir,
        &[
            (
                "main.tf",
                "module \"m\" {\n  source = \"example/m/alicloud\"\n}\n",
            ),
            (".terraform/modules/modules.json", "{\"Modules\": [oops"),
        ],
    );
    let run = validate(&dir, &["."], Limits::default());
    let (code, file, line) = input_error(&run);
    assert_eq!(
        (code.as_str(), file.as_str(), line),
        (
            "terraform::bad-manifest",
            ".terraform/modules/modules.json",
            1
        )
    );
    assert!(
        !run.stdout.contains("terraform init` has not downloaded"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_tf_json_file_is_read_through_the_size_cap() {
    let dir = scratch("hostile-tf-json");
    write(&dir, &[("main.tf", "variable \"x\" {}\n")]);
    let big = fs::File::create(dir.join("big.tf.json")).unwrap();
    big.set_len(65 * 1024 * 1024).unwrap();
    let run = validate(&dir, &["."], Limits::default());
    let (_, file, _) = input_error(&run);
    assert_eq!(file, "big.tf.json");
    assert!(
        run.stdout.contains("preflight reads files up to 64 MiB"),
        "{}",
        run.stdout
    );
}

// --- pipes and devices ---------------------------------------------------------------------

fn fifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid, NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// Runs `validate` with `--timeout 1` where something blocks; it must end, and say so.
fn ends_by_the_deadline(dir: &Path, env: Vec<(String, String)>, args: &[&str]) -> Run {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--timeout", "1", "--format", "json"]);
    let mut child = command(dir, env, &all, Limits::default())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A watchdog, not a measurement: a run that never ends would hang the suite.
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the run did not end");
}

/// One Alibaba pairing: it needs credentials.
const ALIYUN_PLAN: &str = "instances:\n  - {name: a, cloud: aliyun, region: cn-hangzhou, image: i, instance_type: ecs.g7.large}\n";

#[test]
fn fifos_where_files_are_read_end_at_the_deadline_with_a_diagnostic() {
    let facts = facts();
    let tf = format!("{INSTANCE}}}\n");
    // A FIFO `.tf` beside main.tf, and a FIFO manifest.
    for fifo_at in ["extra.tf", ".terraform/modules/modules.json"] {
        let dir = scratch("hostile-fifo");
        write(&dir, &[("main.tf", &tf)]);
        fs::create_dir_all(dir.join(".terraform/modules")).unwrap();
        fifo(&dir.join(fifo_at));
        let run = ends_by_the_deadline(&dir, Vec::new(), &[".", "--facts", &facts]);
        let (_, file, _) = input_error(&run);
        assert_eq!(file, fifo_at);
        assert!(
            run.stdout.contains("did not end within 1 s"),
            "{}",
            run.stdout
        );
    }
    // The CLI's config.json and the OIDC token file: a pairing that needs them is unverified
    // with the reason, never a pass and never a hang.
    let dir = scratch("hostile-fifo-credentials");
    write(&dir, &[("p.plan.yaml", ALIYUN_PLAN)]);
    fs::create_dir_all(dir.join("home/.aliyun")).unwrap();
    fifo(&dir.join("home/.aliyun/config.json"));
    fifo(&dir.join("token"));
    let home = dir.join("home").display().to_string();
    let token = dir.join("token").display().to_string();
    for env in [
        vec![("HOME".to_string(), home)],
        vec![
            (
                "ALIBABA_CLOUD_ROLE_ARN".to_string(),
                "acs:ram::1:role/ci".to_string(),
            ),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN".to_string(),
                "acs:ram::1:oidc-provider/gh".to_string(),
            ),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE".to_string(), token.clone()),
        ],
    ] {
        unverified_because(&dir, env, "did not end within 1 s");
    }
}

#[test]
fn a_credentials_file_over_the_limit_is_named_not_skipped() {
    let dir = scratch("hostile-big-config");
    write(&dir, &[("p.plan.yaml", ALIYUN_PLAN)]);
    let config = json!({
        "current": "default",
        "profiles": [{"name": "default", "mode": "AK", "access_key_id": "AKID", "access_key_secret": "s"}],
        "padding": "x".repeat(2 * 1024 * 1024),
    });
    write(&dir, &[("home/.aliyun/config.json", &config.to_string())]);
    let home = dir.join("home").display().to_string();
    unverified_because(&dir, vec![("HOME".to_string(), home)], "larger than 1 MiB");
}

/// ALIYUN_PLAN's pairing, run with credentials from `env`, is unverified with `said`.
fn unverified_because(dir: &Path, env: Vec<(String, String)>, said: &str) {
    let run = ends_by_the_deadline(dir, env, &["p.plan.yaml", "--no-cache"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.reason("a").contains(said), "{}", run.stdout);
}

// --- git, globs, output --------------------------------------------------------------------

#[test]
fn a_repositorys_fsmonitor_command_never_runs() {
    let dir = scratch("hostile-fsmonitor");
    write(&dir, &[("envs/dev/main.tf", &format!("{INSTANCE}}}\n"))]);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .map(|s| s.success());
        assert!(matches!(ok, Ok(true)), "git {args:?}");
    };
    git(&["init", "-q", "."]);
    let marker = dir.join("PWNED");
    let hook = format!("touch {}; false", marker.display());
    git(&["config", "core.fsmonitor", &hook]);
    let facts = facts();
    let run = run_sync(
        &dir,
        Vec::new(),
        &[
            "validate",
            "--tf-roots",
            "envs/dev/main.tf",
            "--facts",
            &facts,
        ],
        Limits::default(),
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!marker.exists(), "the repository's fsmonitor command ran");
    // The language server looks for roots the same way.
    let mut client = Client::start(&["--facts", &facts], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let path = dir.join("envs/dev/main.tf");
    let uri = client.open(&path, &fs::read_to_string(&path).unwrap());
    client.diagnostics(&uri);
    assert!(client.shutdown().success());
    assert!(!marker.exists(), "the repository's fsmonitor command ran");
}

fn nested_glob(depth: usize) -> String {
    let mut p = String::from("ecs.g7.*");
    for _ in 0..depth {
        p = format!("{{{p},x}}");
    }
    p
}

#[test]
fn globs_past_the_limits_are_input_errors_at_their_place() {
    let plan = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****29, instance_type: g.n4.xlarge}\n";
    let deep = nested_glob(200);
    for (what, rule) in [
        (
            "when",
            format!(
                "rules:\n  - id: no-x\n    message: m\n    when:\n      instance: \"{deep}\"\n    excludes: [\"x\"]\n"
            ),
        ),
        (
            "excludes",
            format!(
                "rules:\n  - id: no-x\n    message: m\n    excludes:\n      - \"g.*\"\n      - \"{deep}\"\n"
            ),
        ),
    ] {
        let dir = scratch("hostile-globs");
        write(&dir, &[("p.plan.yaml", plan), ("rules/r.yaml", &rule)]);
        let run = validate(
            &dir,
            &["p.plan.yaml", "--rules", "rules"],
            Limits::default(),
        );
        let (code, file, line) = input_error(&run);
        let expected_line = if what == "when" { 5 } else { 6 };
        assert_eq!(
            (code.as_str(), file.as_str(), line),
            ("rules::bad-glob", "rules/r.yaml", expected_line),
            "{what}"
        );
    }
    let dir = scratch("hostile-include");
    write(&dir, &[("envs/p.plan.yaml", plan)]);
    for flag in ["--include", "--exclude"] {
        let run = validate(&dir, &["envs", flag, &deep], Limits::default());
        let (code, _, _) = input_error(&run);
        assert_eq!(code, "input::bad-glob", "{flag}");
        assert!(
            run.stdout.contains(flag),
            "the flag is named: {}",
            run.stdout
        );
    }
}

#[test]
fn control_characters_from_plan_json_never_reach_a_text_report_raw() {
    let dir = scratch("hostile-controls");
    let plan = r#"{"format_version":"1.2","terraform_version":"1.11.0","resource_changes":[{"address":"alicloud_instance.x\u001b[2J\u0007\u0000","mode":"managed","type":"alicloud_instance","name":"x","provider_name":"registry.terraform.io/aliyun/alicloud","change":{"actions":["create"],"before":null,"after":{"image_id":"img","instance_type":"ecs.g7.large"},"after_unknown":{}}}]}"#;
    write(&dir, &[("tfplan.json", plan)]);
    let facts = facts();
    for format in ["human", "compact", "github", "markdown"] {
        let run = run_sync(
            &dir,
            Vec::new(),
            &[
                "validate",
                "tfplan.json",
                "--facts",
                &facts,
                "--format",
                format,
            ],
            Limits::default(),
        );
        assert_eq!(run.code, 3, "{format}: {}", run.stderr);
        let raw = run
            .stdout
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t');
        assert!(!raw, "{format}: {:?}", run.stdout);
        assert!(
            run.stdout.contains("\\u{1b}[2J"),
            "{format}: {}",
            run.stdout
        );
    }
}

#[test]
fn quota_over_a_hundred_thousand_image_entries_is_summed_right() {
    let dir = scratch("hostile-quota");
    let mut plan = String::from("images:\n");
    for i in 0..100_000 {
        plan.push_str(&format!(
            "  - {{name: img-{i}, cloud: zenlayer, region: FRA-A}}\n"
        ));
    }
    write(
        &dir,
        &[
            ("p.plan.yaml", &plan),
            (
                "facts.json",
                r#"{"version":5,"clouds":{"zenlayer":{"FRA-A":{"quota":{"used":3,"limit":5}}}}}"#,
            ),
        ],
    );
    let run = run_sync(
        &dir,
        Vec::new(),
        &[
            "validate",
            "p.plan.yaml",
            "--facts",
            "facts.json",
            "--format",
            "json",
        ],
        Limits::default(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let d = &run.json()["diagnostics"][0];
    assert_eq!(d["rule"], "image-quota-exceeded");
    assert_eq!(
        d["entry"], "img-2",
        "the third image is the one that does not fit"
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("(3 + 100000 = 100003 > 5)"),
        "{d}"
    );
}

// --- the language server's transport ---------------------------------------------------------

fn raw_server(dir: &Path, input: &[u8]) -> std::process::Output {
    let mut child = command(dir, Vec::new(), &["lsp"], Limits::default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn a_content_length_of_ten_gigabytes_is_never_allocated() {
    let dir = scratch("hostile-lsp-length");
    let init =
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
            .to_string();
    let mut input = format!("Content-Length: {}\r\n\r\n{init}", init.len()).into_bytes();
    input.extend_from_slice(b"Content-Length: 10000000000\r\n\r\n{\"jsonrpc\":");
    let out = raw_server(&dir, &input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It answered initialize, then the input ended inside the huge message: the session
    // ends as the protocol asks (1: no shutdown), with the reason, and no abort.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the input ended inside a message"),
        "{stderr}"
    );
    assert!(!stderr.contains("memory allocation"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"capabilities\""));
}

#[test]
fn a_buffer_over_the_input_limit_is_a_diagnostic_not_a_check() {
    let dir = scratch("hostile-lsp-big");
    let mut client = Client::start(&["--facts", &facts()], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let mut text = format!("{INSTANCE}}}\n");
    text.push_str(&"# padding\n".repeat(7 * 1024 * 1024));
    let uri = client.open(&dir.join("main.tf"), &text);
    let d = client.diagnostics(&uri);
    assert_eq!(d.len(), 1, "{:?}", d.first());
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("preflight reads files up to 64 MiB"),
        "{}",
        d[0]
    );
    assert!(client.shutdown().success());
}

#[test]
fn a_burst_of_three_hundred_changes_is_checked_a_few_times_not_three_hundred() {
    let dir = scratch("hostile-lsp-burst");
    let facts = facts();
    let plan = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n  - {name: a, image: img-m5s0****29, instance_type: g.n4.xlarge}\n";
    let path = dir.join("p.plan.yaml");
    fs::write(&path, plan).unwrap();
    let mut client = Client::start(&["--facts", &facts], Vec::new(), &dir);
    client.initialize(json!({}), json!({}));
    let uri = client.open(&path, plan);
    client.diagnostics(&uri);
    let before = client.log.len();
    for version in 2..302 {
        let typo = if version == 301 {
            "g.n4.xlarg"
        } else {
            "g.n4.xlarge"
        };
        client.change(&uri, version, &plan.replace("g.n4.xlarge", typo));
    }
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    let published: Vec<&Value> = client.log[before..]
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    let last = published.last().expect("published");
    assert_eq!(
        last["params"]["diagnostics"][0]["code"],
        "instance-type-unknown"
    );
    assert!(
        published.len() <= 10,
        "{} checks for one burst",
        published.len()
    );
    assert!(client.shutdown().success());
}

#[test]
fn control_characters_in_an_input_error_are_escaped_too() {
    let dir = scratch("hostile-controls-errors");
    let plan = "instances:\n  - {name: a, cloud: jdcloud, region: r, image: i, instance_type: t, \"x\\e[2Jy\": 1}\n";
    write(&dir, &[("p.plan.yaml", plan)]);
    let run = run_sync(
        &dir,
        Vec::new(),
        &["validate", "p.plan.yaml", "--facts", &facts()],
        Limits::default(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown key `x\\u{1b}[2Jy`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

#[test]
fn the_jd_and_zenlayer_credentials_files_are_named_when_unusable_too() {
    let dir = scratch("hostile-other-credentials");
    let plan = "instances:\n  - {name: a, cloud: jdcloud, region: cn-north-1, image: i, instance_type: g.n4.xlarge}\n  - {name: b, cloud: zenlayer, region: FRA-A, image: i, instance_type: z2a.cpu.1}\n";
    write(&dir, &[("p.plan.yaml", plan)]);
    let big = "x".repeat(2 * 1024 * 1024);
    write(
        &dir,
        &[
            ("home/.jdc/config", &big),
            ("home/.zenlayer/credentials.json", &big),
        ],
    );
    let home = dir.join("home").display().to_string();
    let run = ends_by_the_deadline(
        &dir,
        vec![("HOME".to_string(), home)],
        &["p.plan.yaml", "--no-cache"],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    for entry in ["a", "b"] {
        assert!(
            run.reason(entry).contains("larger than 1 MiB"),
            "{entry}: {}",
            run.stdout
        );
    }
}
