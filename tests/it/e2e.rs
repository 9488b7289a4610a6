//! End to end: the real binary, signed requests, against the fake cloud on loopback.

use crate::support::fake_cloud::{ALI_SK, FakeCloud, Fault, JD_SK, ZL_SK};
use crate::support::run::{Run, pairs, run_with};

/// A plan that trips every rule across the three clouds.
const PLAN: &str = "\
instances:
  - {name: jd-ok, cloud: jdcloud, region: cn-north-1, image: img-m5s0****29, instance_type: g.n4.xlarge}
  - {name: jd-excluded, cloud: jdcloud, region: cn-north-1, image: img-m5s0****29, instance_type: p.c1p40g.3large}
  - {name: jd-arm, cloud: jdcloud, region: cn-north-1, image: img-arm, instance_type: g.n4.xlarge}
  - {name: jd-typo, cloud: jdcloud, region: cn-north-1, image: img-m5s0****29, instance_type: g.n4.xlarg}
  - {name: jd-disk, cloud: jdcloud, region: cn-north-1, image: img-m5s0****29, instance_type: g.n4.xlarge, system_disk_gb: 20}
  - {name: ali-not-included, cloud: aliyun, region: cn-hangzhou, image: ubuntu_16_0402_64_20G_alibase_20180409.vhd, instance_type: ecs.g7.large}
  - {name: ali-deprecated, cloud: aliyun, region: cn-hangzhou, image: centos_7_04_64_20G_alibase_201701015.vhd, instance_type: ecs.t1.small}
  - {name: zl-missing, cloud: zenlayer, region: FRA-A, image: img-gone, instance_type: z2a.cpu.1}
  - {name: zl-ok, cloud: zenlayer, region: FRA-A, image: img-zl-ubuntu, instance_type: z2a.cpu.1, system_disk_category: Standard NVMe SSD}
  - {name: zec-ok, cloud: zenlayer, service: zec, region: asia-east-1a, image: img-zec, instance_type: z2a.cpu.4}
  - {name: zec-disk, cloud: zenlayer, service: zec, region: asia-east-1a, image: img-zec, instance_type: z2a.cpu.4, system_disk_category: Basic NVMe SSD}
images:
  - {name: golden, cloud: zenlayer, region: sa-jeddah-1a, count: 6}
  - {name: jd-golden, cloud: jdcloud, region: cn-north-1, count: 1}
";

/// The fewest requests PLAN needs: JD 4 (images, constraints, types, quota), Alibaba 5
/// (images, one support list per image, the catalogue, what the region sells postpaid),
/// Zenlayer VM 4 (images, postpaid types and disk categories in FRA-A, one quota call), ZEC 5
/// (images, the zone's three type lists, its disk categories).
const MINIMUM: &[&str] = &[
    "aliyun.DescribeAccountAttributes",
    "aliyun.DescribeAvailableResource",
    "aliyun.DescribeImageSupportInstanceTypes",
    "aliyun.DescribeImageSupportInstanceTypes",
    "aliyun.DescribeImages",
    "aliyun.DescribeInstanceTypes",
    "jdcloud.describeImageConstraintsBatch",
    "jdcloud.describeImages",
    "jdcloud.describeInstanceTypes",
    "jdcloud.describeQuotas",
    "zenlayer-zec.DescribeDiskCategory",
    "zenlayer-zec.DescribeImages",
    "zenlayer-zec.DescribeZoneAcceleratorConfigInfos",
    "zenlayer-zec.DescribeZoneGpuInstanceConfigInfos",
    "zenlayer-zec.DescribeZoneInstanceConfigInfos",
    "zenlayer.DescribeDiskCategory",
    "zenlayer.DescribeImageQuota",
    "zenlayer.DescribeImages",
    "zenlayer.DescribeZoneInstanceConfigInfos",
];

async fn world() -> FakeCloud {
    let fake = FakeCloud::start().await;
    let excludes: &[&str] = &["p.c1p40g.3large", "g.n4.large"];
    fake.jd_image(
        "cn-north-1",
        "img-m5s0****29",
        "ready",
        "x86_64",
        40,
        Some(("excludes", excludes)),
    );
    fake.jd_image("cn-north-1", "img-arm", "ready", "arm64", 20, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.jd_type("cn-north-1", "p.c1p40g.3large", "x86_64");
    fake.quota("jdcloud", "cn-north-1", 3, 10);
    let t1: &[&str] = &["ecs.t1.small", "ecs.t1.xsmall"];
    fake.ali_image(
        "cn-hangzhou",
        "ubuntu_16_0402_64_20G_alibase_20180409.vhd",
        "Available",
        "x86_64",
        20,
        t1,
    );
    fake.ali_image(
        "cn-hangzhou",
        "centos_7_04_64_20G_alibase_201701015.vhd",
        "Deprecated",
        "x86_64",
        20,
        t1,
    );
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.ali_type("cn-hangzhou", "ecs.t1.small", "X86");
    fake.zl_image("FRA-A", "img-zl-ubuntu", "AVAILABLE");
    fake.zl_type("FRA-A", "z2a.cpu.1");
    fake.quota("zenlayer", "sa-jeddah-1a", 0, 5);
    fake.zec_image("asia-east-1a", "img-zec", "AVAILABLE", 20);
    fake.zec_type("asia-east-1a", "z2a.cpu.4", "cpu", true);
    fake.zl_disk_categories("zec", "asia-east-1a", "", &["Standard NVMe SSD"]);
    fake
}

/// Runs the binary in a fresh directory holding `plan.yaml`, with `env` only.
async fn run(plan: &str, env: Vec<(String, String)>, args: &[&str]) -> Run {
    run_with(&[("plan.yaml", plan)], env, args).await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const EVERY_RULE: &[(&str, &str)] = &[
    ("ali-deprecated", "image-unavailable"),
    ("ali-not-included", "instance-type-not-included"),
    ("golden", "image-quota-exceeded"),
    ("jd-arm", "architecture-mismatch"),
    ("jd-disk", "system-disk-too-small"),
    ("jd-excluded", "instance-type-excluded"),
    ("jd-typo", "instance-type-unknown"),
    ("zec-disk", "system-disk-unsupported"),
    ("zl-missing", "image-not-found"),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_through_the_network_in_the_fewest_requests() {
    let fake = world().await;
    let r = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.findings(), pairs(EVERY_RULE));
    assert_eq!(fake.bad_signatures(), 0, "every request was signed right");
    assert_eq!(sorted(fake.requests()), MINIMUM);
    // `preflight permissions` names exactly the operations the clients called.
    let mut called: Vec<String> = fake.requests();
    called.sort();
    called.dedup();
    let mut listed: Vec<String> = preflight::cloud::Api::ALL
        .iter()
        .flat_map(|api| {
            preflight::clouds::permissions::operations(*api)
                .iter()
                .map(move |op| format!("{api}.{op}"))
        })
        .collect();
    listed.sort();
    assert_eq!(called, listed, "permissions drifted from the clients");
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_are_retried_and_leave_no_trace() {
    let fake = world().await;
    fake.fail_next("jdcloud.describeImages", &[Fault::Status(503, r#"{"requestId":"x","error":{"code":503,"status":"UNAVAILABLE","message":"try later"}}"#.into(), vec![])]);
    fake.fail_next(
        "aliyun.DescribeInstanceTypes",
        &[Fault::Status(
            400,
            r#"{"RequestId":"x","Code":"Throttling.User","Message":"slow down"}"#.into(),
            vec![("x-acs-retry-after".into(), "50".into())],
        )],
    );
    fake.fail_next(
        "zenlayer.DescribeImages",
        &[Fault::Status(
            429,
            r#"{"requestId":"x","code":"REQUEST_LIMIT_EXCEEDED","message":"slow"}"#.into(),
            vec![("retry-after".into(), "0".into())],
        )],
    );
    fake.fail_next("jdcloud.describeQuotas", &[Fault::Reset]);
    let r = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(
        r.findings(),
        pairs(EVERY_RULE),
        "{}",
        r.reason("ali-deprecated")
    );
    assert_eq!(
        fake.requests().len(),
        MINIMUM.len() + 4,
        "one retry per fault"
    );
    assert_eq!(fake.bad_signatures(), 0, "retries are signed afresh");
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_faults_make_only_the_affected_pairings_unverified() {
    let cases: Vec<(&str, Fault, &str)> = vec![
        ("jdcloud.describeImageConstraintsBatch", Fault::Status(500, r#"{"requestId":"x","error":{"code":500,"status":"INTERNAL","message":"boom"}}"#.into(), vec![]), "gave up after 4 tries"),
        ("jdcloud.describeImageConstraintsBatch", Fault::Garbage, "not valid JSON"),
        ("jdcloud.describeImageConstraintsBatch", Fault::WrongShape, "unexpected shape"),
        ("jdcloud.describeImageConstraintsBatch", Fault::Status(403, r#"{"requestId":"x","error":{"code":403,"status":"HTTP_FORBIDDEN","message":"no permission"}}"#.into(), vec![]), "refused the credentials"),
    ];
    for (op, fault, says) in cases {
        let fake = world().await;
        fake.fail_always(op, fault.clone());
        let r = run(
            PLAN,
            fake.env(),
            &["validate", "plan.yaml", "--format", "json"],
        )
        .await;
        assert_eq!(r.code, 1, "{fault:?}: other findings still fail the run");
        let found = r.findings();
        // JD pairings whose image exists are unverified; every other cloud's findings stand.
        for entry in ["jd-ok", "jd-excluded", "jd-arm", "jd-typo", "jd-disk"] {
            assert!(
                found.contains(&(entry.into(), "unverified".into())),
                "{fault:?}: {entry} {found:?}"
            );
            assert!(
                r.reason(entry).contains(says),
                "{fault:?}: {}",
                r.reason(entry)
            );
        }
        for kept in [
            "image-unavailable",
            "instance-type-not-included",
            "image-quota-exceeded",
            "image-not-found",
            "architecture-mismatch",
            "instance-type-unknown",
            "system-disk-too-small",
        ] {
            assert!(
                found.iter().any(|(_, rule)| rule == kept),
                "{fault:?}: lost {kept}"
            );
        }
        assert!(
            !found
                .iter()
                .any(|(_, rule)| rule == "instance-type-excluded"),
            "not decided without facts"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_unverified_exits_3() {
    let fake = world().await;
    fake.fail_always(
        "aliyun.DescribeImages",
        Fault::Status(
            503,
            r#"{"RequestId":"x","Code":"ServiceUnavailable","Message":"down"}"#.into(),
            vec![],
        ),
    );
    let plan = "instances:\n  - {name: a, cloud: aliyun, region: cn-hangzhou, image: ubuntu_16_0402_64_20G_alibase_20180409.vhd, instance_type: ecs.t1.small}\n";
    let r = run(
        plan,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(
        r.reason("a").contains("ServiceUnavailable"),
        "{}",
        r.reason("a")
    );
    let allowed = run(
        plan,
        fake.env(),
        &["validate", "plan.yaml", "--allow-unverified"],
    )
    .await;
    assert_eq!(allowed.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secrets_are_auth_errors_and_never_printed() {
    let fake = world().await;
    let mut env = fake.env();
    for (k, v) in env.iter_mut() {
        if k.ends_with("SECRET") || k.ends_with("SECRET_KEY") {
            *v = format!("{v}-wrong");
        }
    }
    let r = run(
        PLAN,
        env,
        &["validate", "plan.yaml", "--format", "json", "-v"],
    )
    .await;
    assert_eq!(
        fake.bad_signatures(),
        fake.requests().len(),
        "the fake checked them all"
    );
    assert!(
        r.reason("jd-ok")
            .contains("JD Cloud refused the credentials"),
        "{}",
        r.reason("jd-ok")
    );
    assert!(
        r.reason("ali-deprecated").contains("SignatureDoesNotMatch"),
        "{}",
        r.reason("ali-deprecated")
    );
    assert!(
        r.reason("zl-ok")
            .contains("Zenlayer refused the credentials"),
        "{}",
        r.reason("zl-ok")
    );
    for secret in [JD_SK, ALI_SK, ZL_SK] {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "{secret} leaked"
        );
    }
    assert!(
        r.stderr.contains(&format!(
            "jdcloud describeImages (GET {}): HTTP 401 in",
            fake.addr
        )),
        "-v logs method, host, operation, status, latency: {}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_for_one_cloud_leave_the_others_checked() {
    let fake = world().await;
    let env: Vec<(String, String)> = fake
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ZENLAYER"))
        .collect();
    let r = run(PLAN, env, &["validate", "plan.yaml", "--format", "json"]).await;
    assert!(
        r.reason("zl-ok").contains("ZENLAYER_ACCESS_KEY_ID"),
        "{}",
        r.reason("zl-ok")
    );
    let found = r.findings();
    assert!(found.contains(&("jd-excluded".into(), "instance-type-excluded".into())));
    assert!(
        found.contains(&("golden".into(), "unverified".into())),
        "quota unverified too"
    );
    assert!(
        !fake.requests().iter().any(|op| op.starts_with("zenlayer.")),
        "no unsigned requests"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deadline_turns_a_hang_into_unverified() {
    let fake = world().await;
    fake.fail_always("zenlayer.DescribeZoneInstanceConfigInfos", Fault::Hang);
    let r = run(
        PLAN,
        fake.env(),
        &[
            "validate",
            "plan.yaml",
            "--format",
            "json",
            "--timeout",
            "2",
        ],
    )
    .await;
    assert!(
        r.reason("zl-ok").contains("--timeout"),
        "{}",
        r.reason("zl-ok")
    );
    assert!(
        r.findings()
            .contains(&("jd-excluded".into(), "instance-type-excluded".into()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_then_validate_with_the_facts_file_gives_the_same_findings() {
    let fake = world().await;
    let direct = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    let dir = std::env::temp_dir().join(format!("preflight-e2e-facts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let facts = dir.join("facts.json");
    let facts_arg = facts.to_str().expect("utf-8").to_string();
    let fetched = run(
        PLAN,
        fake.env(),
        &["fetch", "plan.yaml", "--output", &facts_arg],
    )
    .await;
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    let requests_before = fake.requests().len();
    let offline = run(
        PLAN,
        vec![],
        &[
            "validate",
            "plan.yaml",
            "--format",
            "json",
            "--facts",
            &facts_arg,
        ],
    )
    .await;
    assert_eq!(
        fake.requests().len(),
        requests_before,
        "--facts makes no requests"
    );
    assert_eq!(offline.findings(), direct.findings());
    assert_eq!(offline.code, direct.code);
    let written = std::fs::read_to_string(&facts).expect("facts written");
    assert!(
        !written.contains(JD_SK) && !written.contains("JDAKfake0001"),
        "no credentials in facts files"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_a_remote_host_is_refused() {
    let r = run(
        PLAN,
        vec![(
            "PREFLIGHT_JDCLOUD_ENDPOINT".into(),
            "http://192.0.2.1:8080".into(),
        )],
        &["validate", "plan.yaml"],
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("plain http is allowed only for loopback"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_within_the_ttl_asks_nothing() {
    let fake = world().await;
    let cache = std::env::temp_dir().join(format!("preflight-e2e-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let mut env = fake.env();
    env.push((
        "PREFLIGHT_CACHE_DIR".into(),
        cache.to_str().expect("utf-8").into(),
    ));
    let args = ["validate", "plan.yaml", "--format", "json"];

    let first = run(PLAN, env.clone(), &args).await;
    assert_eq!(fake.requests().len(), MINIMUM.len());
    let second = run(PLAN, env.clone(), &args).await;
    assert_eq!(
        fake.requests().len(),
        MINIMUM.len(),
        "the second run made requests"
    );
    assert_eq!(second.findings(), first.findings());

    let offline = run(
        PLAN,
        env.clone(),
        &["validate", "plan.yaml", "--format", "json", "--offline"],
    )
    .await;
    assert_eq!(
        fake.requests().len(),
        MINIMUM.len(),
        "--offline made requests"
    );
    assert_eq!(offline.findings(), first.findings());

    run(PLAN, env.clone(), &["validate", "plan.yaml", "--refresh"]).await;
    assert_eq!(
        fake.requests().len(),
        2 * MINIMUM.len(),
        "--refresh asks again"
    );
    run(PLAN, env.clone(), &["validate", "plan.yaml", "--no-cache"]).await;
    assert_eq!(
        fake.requests().len(),
        3 * MINIMUM.len(),
        "--no-cache asks again"
    );

    // Nothing in the cache holds a secret or the access key id.
    for entry in std::fs::read_dir(&cache).expect("cache dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("cache file");
        for secret in [
            JD_SK,
            ALI_SK,
            ZL_SK,
            "JDAKfake0001",
            "LTAIfake0001",
            "ZLAKfake0001",
        ] {
            assert!(!text.contains(secret), "{secret} in the cache");
        }
    }

    let _ = std::fs::remove_dir_all(&cache);
    let empty = run(
        PLAN,
        env,
        &["validate", "plan.yaml", "--format", "json", "--offline"],
    )
    .await;
    assert_eq!(fake.requests().len(), 3 * MINIMUM.len());
    assert!(
        empty.reason("jd-ok").contains("the cache has no answer to"),
        "{}",
        empty.reason("jd-ok")
    );
    assert_eq!(empty.code, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn transport_faults_are_unverified_with_a_reason() {
    let fake = world().await;
    fake.fail_always("jdcloud.describeImages", Fault::Huge(9));
    let r = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert!(
        r.reason("jd-ok").contains("larger than 8 MiB"),
        "{}",
        r.reason("jd-ok")
    );
    assert!(
        r.findings()
            .contains(&("zl-missing".into(), "image-not-found".into()))
    );

    // Nothing listens on a closed port; https to a plain-http server fails the handshake.
    let (_refusing, closed_addr) = crate::support::run::refusing_address();
    for (endpoint, says) in [
        (format!("http://{closed_addr}"), "could not connect"),
        (
            format!("https://{}", fake.addr),
            "the TLS connection failed",
        ),
    ] {
        let mut env = fake.env();
        env.retain(|(k, _)| k != "PREFLIGHT_JDCLOUD_ENDPOINT");
        env.push(("PREFLIGHT_JDCLOUD_ENDPOINT".into(), endpoint.clone()));
        let r = run(
            PLAN,
            env,
            &[
                "validate",
                "plan.yaml",
                "--format",
                "json",
                "--timeout",
                "10",
            ],
        )
        .await;
        assert!(
            r.reason("jd-ok").contains(says),
            "{endpoint}: {}",
            r.reason("jd-ok")
        );
        assert!(
            r.findings()
                .contains(&("ali-deprecated".into(), "image-unavailable".into())),
            "{endpoint}"
        );
        assert_eq!(r.code, 1, "{endpoint}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_smaller_than_asked_for_are_followed() {
    let fake = world().await;
    fake.set_max_page(1);
    let r = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(r.findings(), pairs(EVERY_RULE), "{}", r.stderr);
    let asked = fake.requests();
    let count = |op: &str| asked.iter().filter(|o| *o == op).count();
    assert_eq!(
        count("jdcloud.describeImages"),
        2,
        "two images, one per page"
    );
    assert_eq!(count("aliyun.DescribeImages"), 2);
    assert_eq!(
        count("aliyun.DescribeInstanceTypes"),
        2,
        "two types, NextToken followed"
    );
    assert_eq!(
        count("zenlayer.DescribeImages"),
        1,
        "one of the zone's images exists"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_host_is_unverified_not_fatal() {
    let fake = world().await;
    let mut env = fake.env();
    env.retain(|(k, _)| k != "PREFLIGHT_ZENLAYER_ENDPOINT");
    env.push((
        "PREFLIGHT_ZENLAYER_ENDPOINT".into(),
        "https://zenlayer.preflight-test.invalid".into(),
    ));
    let r = run(
        PLAN,
        env,
        &[
            "validate",
            "plan.yaml",
            "--format",
            "json",
            "--timeout",
            "5",
        ],
    )
    .await;
    let why = r.reason("zl-ok");
    // Without a resolver the lookup fails at once; with a slow one, the deadline ends it.
    assert!(
        why.contains("could not be resolved") || why.contains("--timeout"),
        "{why}"
    );
    assert!(
        r.findings()
            .contains(&("jd-excluded".into(), "instance-type-excluded".into()))
    );
    assert_eq!(r.code, 1);
}

/// No secret reaches stdout, stderr, an output file or the cache, in any format, with `-v`,
/// whether the clouds accept the credentials or refuse them; the cache holds no key id either.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_appear_nowhere_in_any_format() {
    let fake = world().await;
    let dir = std::env::temp_dir().join(format!("preflight-e2e-hygiene-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("cache");
    let secrets = [JD_SK, ALI_SK, ZL_SK];
    let key_ids = ["JDAKfake0001", "LTAIfake0001", "ZLAKfake0001"];
    for wrong in [false, true] {
        let mut env = fake.env();
        if wrong {
            for (k, v) in env.iter_mut() {
                if k.ends_with("SECRET") || k.ends_with("SECRET_KEY") {
                    v.push_str("-wrong");
                }
            }
        }
        env.push((
            "PREFLIGHT_CACHE_DIR".into(),
            cache.to_string_lossy().into_owned(),
        ));
        for format in ["human", "json", "compact", "sarif", "junit", "github"] {
            let output = dir.join(format!("report-{format}-{wrong}"));
            let out_arg = output.to_string_lossy().into_owned();
            let r = run(
                PLAN,
                env.clone(),
                &[
                    "validate",
                    "plan.yaml",
                    "-v",
                    "--refresh",
                    "--format",
                    format,
                    "--output",
                    &out_arg,
                ],
            )
            .await;
            let written = std::fs::read_to_string(&output).unwrap_or_default();
            assert!(!written.is_empty(), "{format}: no report written");
            for s in secrets {
                let secret = if wrong {
                    format!("{s}-wrong")
                } else {
                    s.to_string()
                };
                for (place, text) in [
                    ("stdout", &r.stdout),
                    ("stderr", &r.stderr),
                    ("report", &written),
                ] {
                    assert!(
                        !text.contains(&secret),
                        "{format} ({wrong}): secret in {place}"
                    );
                }
            }
        }
    }
    let mut entries = 0;
    for entry in std::fs::read_dir(&cache).expect("cache written") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("cache file");
        entries += 1;
        for s in secrets.iter().chain(&key_ids) {
            assert!(!text.contains(s), "{s} in the cache");
        }
    }
    assert!(entries > 0, "the successful runs cached answers");
    let _ = std::fs::remove_dir_all(dir);
}

/// How a fault row should end for the faulted cloud's pairings.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// Retried, and every finding is as without the fault.
    Recovered,
    /// The faulted cloud's pairings are unverified, with a reason containing this.
    Unverified(&'static str),
}

/// The fault matrix: for each cloud, each fault on its image lookup, end to end. Each row
/// checks the exit code, the unverified reasons, and that every unaffected finding is still
/// reported. Rows run at once; a row that does not end on its own within a minute (its
/// --timeout is 3 s) has hung, and fails.
#[tokio::test(flavor = "multi_thread")]
async fn fault_matrix_for_every_cloud() {
    // (cloud, faulted operation, its pairings, findings that need no image facts and so
    // survive an image fault, the cloud's other entries that a whole-endpoint fault also hits)
    type Case = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
    );
    let cases: [Case; 3] = [
        (
            "jdcloud",
            "jdcloud.describeImages",
            &["jd-ok", "jd-excluded", "jd-arm", "jd-typo", "jd-disk"],
            &[("jd-typo", "instance-type-unknown")],
            &["jd-golden"],
        ),
        (
            "aliyun",
            "aliyun.DescribeImages",
            &["ali-not-included", "ali-deprecated"],
            &[],
            &[],
        ),
        (
            "zenlayer",
            "zenlayer.DescribeImages",
            &["zl-missing", "zl-ok"],
            &[],
            &["golden", "zec-ok", "zec-disk"],
        ),
    ];
    let mut rows = Vec::new();
    for (cloud, op, entries, survivors, quota_entry) in cases {
        let busy = match cloud {
            "jdcloud" => {
                r#"{"requestId":"x","error":{"code":503,"status":"UNAVAILABLE","message":"busy"}}"#
            }
            "aliyun" => r#"{"RequestId":"x","Code":"ServiceUnavailable","Message":"busy"}"#,
            _ => r#"{"requestId":"x","code":"SERVICE_TEMPORARY_UNAVAILABLE","message":"busy"}"#,
        };
        let throttled: (u16, &str) = match cloud {
            "jdcloud" => (
                200,
                r#"{"requestId":"x","error":{"code":429,"status":"RATE_LIMIT","message":"slow"}}"#,
            ),
            "aliyun" => (
                400,
                r#"{"RequestId":"x","Code":"Throttling.User","Message":"slow"}"#,
            ),
            _ => (
                200,
                r#"{"requestId":"x","code":"REQUEST_LIMIT_EXCEEDED","message":"slow"}"#,
            ),
        };
        let denied: (u16, &str) = match cloud {
            "jdcloud" => (
                401,
                r#"{"requestId":"x","error":{"code":401,"status":"UNAUTHENTICATED","message":"bad key"}}"#,
            ),
            "aliyun" => (
                404,
                r#"{"RequestId":"x","Code":"InvalidAccessKeyId.NotFound","Message":"no key"}"#,
            ),
            _ => (
                403,
                r#"{"requestId":"x","code":"AUTH_FAILED","message":"bad key"}"#,
            ),
        };
        let status = |s: u16, body: &str, headers: &[(&str, &str)]| {
            Fault::Status(
                s,
                body.to_string(),
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        // (name, faults once, fault always, endpoint override, outcome)
        // (name, faults once, fault always, endpoint override, outcome)
        type Row = (
            &'static str,
            Vec<Fault>,
            Option<Fault>,
            Option<String>,
            Outcome,
        );
        let table: Vec<Row> = vec![
            (
                "transient 5xx",
                vec![status(503, busy, &[])],
                None,
                None,
                Outcome::Recovered,
            ),
            (
                "persistent 5xx",
                vec![],
                Some(status(503, busy, &[])),
                None,
                Outcome::Unverified("gave up after 4 tries"),
            ),
            (
                "429 with Retry-After",
                vec![status(429, busy, &[("retry-after", "1")])],
                None,
                None,
                Outcome::Recovered,
            ),
            (
                "throttling code in the body",
                vec![status(throttled.0, throttled.1, &[])],
                None,
                None,
                Outcome::Recovered,
            ),
            (
                "throttled until the deadline",
                vec![],
                Some(status(throttled.0, throttled.1, &[])),
                None,
                Outcome::Unverified("throttled all"),
            ),
            (
                "redirect elsewhere",
                vec![],
                Some(status(
                    302,
                    "",
                    &[("location", "http://127.0.0.1:9/elsewhere")],
                )),
                None,
                Outcome::Unverified("redirect to `http://127.0.0.1:9`"),
            ),
            (
                "never answers",
                vec![],
                Some(Fault::Hang),
                None,
                Outcome::Unverified("--timeout"),
            ),
            (
                "reset, then answers",
                vec![Fault::Reset],
                None,
                None,
                Outcome::Recovered,
            ),
            (
                "truncated body",
                vec![],
                Some(Fault::Truncated),
                None,
                Outcome::Unverified("gave up after 4 tries"),
            ),
            (
                "invalid JSON",
                vec![],
                Some(Fault::Garbage),
                None,
                Outcome::Unverified("not valid JSON"),
            ),
            (
                "JSON of the wrong shape",
                vec![],
                Some(Fault::WrongShape),
                None,
                Outcome::Unverified("unexpected shape"),
            ),
            (
                "50 MB body",
                vec![],
                Some(Fault::Huge(50)),
                None,
                Outcome::Unverified("larger than 8 MiB"),
            ),
            (
                "auth error",
                vec![],
                Some(status(denied.0, denied.1, &[])),
                None,
                Outcome::Unverified("refused the credentials"),
            ),
            (
                "unknown host",
                vec![],
                None,
                Some(format!("https://{cloud}.preflight-test.invalid")),
                Outcome::Unverified(""),
            ),
            (
                "certificate error",
                vec![],
                None,
                Some(format!(
                    "https://{}",
                    crate::support::fake_cloud::untrusted_tls_server()
                )),
                Outcome::Unverified("invalid peer certificate"),
            ),
        ];
        for (name, once, always, endpoint, outcome) in table {
            let whole_cloud = endpoint.is_some();
            rows.push(tokio::spawn(async move {
                let fake = world().await;
                fake.fail_next(op, &once);
                if let Some(f) = always {
                    fake.fail_always(op, f);
                }
                let mut env = fake.env();
                if let Some(url) = endpoint {
                    let var = format!("PREFLIGHT_{}_ENDPOINT", cloud.to_ascii_uppercase());
                    env.retain(|(k, _)| *k != var);
                    env.push((var, url.replace("FAKE", &fake.addr)));
                }
                // Rows that wait out the deadline on purpose get a short one; the rest a long
                // one they never reach, so the retries they count never race the clock.
                let waits_out_the_deadline =
                    matches!(outcome, Outcome::Unverified("--timeout" | "throttled all"));
                let timeout = if waits_out_the_deadline { "3" } else { "30" };
                let run = tokio::time::timeout(
                    std::time::Duration::from_secs(60),
                    run(
                        PLAN,
                        env,
                        &[
                            "validate",
                            "plan.yaml",
                            "--format",
                            "json",
                            "--timeout",
                            timeout,
                        ],
                    ),
                )
                .await;
                let Ok(r) = run else {
                    return Err(format!("{cloud} / {name}: did not end on its own"));
                };
                let found = r.findings();
                let expected: Vec<(String, String)> = match outcome {
                    Outcome::Recovered => pairs(EVERY_RULE),
                    Outcome::Unverified(_) => {
                        let mut affected: Vec<&str> = entries.to_vec();
                        if whole_cloud {
                            affected.extend(quota_entry.iter().copied());
                        }
                        let mut v: Vec<(String, String)> = pairs(EVERY_RULE)
                            .into_iter()
                            .filter(|(e, r)| {
                                !affected.contains(&e.as_str())
                                    || (!whole_cloud
                                        && survivors.contains(&(e.as_str(), r.as_str())))
                            })
                            .collect();
                        v.extend(
                            affected
                                .iter()
                                .map(|e| (e.to_string(), "unverified".to_string())),
                        );
                        v.sort();
                        v
                    }
                };
                if found != expected {
                    return Err(format!(
                        "{cloud} / {name}: findings {found:?}\n  expected {expected:?}"
                    ));
                }
                if let Outcome::Unverified(says) = outcome {
                    let why = r.reason(entries[0]);
                    let resolved = says.is_empty()
                        && (why.contains("could not be resolved") || why.contains("--timeout"));
                    if !(resolved || (!says.is_empty() && why.contains(says))) {
                        return Err(format!("{cloud} / {name}: reason {why:?} lacks {says:?}"));
                    }
                }
                if r.code != 1 {
                    return Err(format!(
                        "{cloud} / {name}: exit {} (other findings fail the run)",
                        r.code
                    ));
                }
                Ok(())
            }));
        }
    }
    let mut failures = Vec::new();
    let total = rows.len();
    for row in rows {
        if let Err(e) = row.await.expect("row ran") {
            failures.push(e);
        }
    }
    assert_eq!(total, 45);
    assert!(
        failures.is_empty(),
        "{} of {total} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A JD batch answered 404 (an unknown id in it) is asked again one image at a time, so the
/// known images are still checked and the unknown one is `image-not-found`.
#[tokio::test(flavor = "multi_thread")]
async fn a_404_batch_falls_back_to_one_image_at_a_time() {
    let fake = world().await;
    fake.fail_next(
        "jdcloud.describeImages",
        &[Fault::Status(404, r#"{"requestId":"x","error":{"code":404,"status":"NOT_FOUND","message":"Image 'img-x' not found"}}"#.into(), vec![])],
    );
    let r = run(
        PLAN,
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(r.findings(), pairs(EVERY_RULE), "{}", r.stderr);
    let singles = fake
        .requests()
        .iter()
        .filter(|o| *o == "jdcloud.describeImages")
        .count();
    assert_eq!(
        singles,
        1 + 2,
        "the batch, then one call per image (two images)"
    );
}

/// With an STS token, Alibaba requests carry `x-acs-security-token`, and it is signed (the
/// fake recomputes the signature over the headers the request says it signed).
#[tokio::test(flavor = "multi_thread")]
async fn sts_tokens_are_sent_and_signed() {
    let fake = world().await;
    let mut env = fake.env();
    env.push((
        "ALIBABA_CLOUD_SECURITY_TOKEN".into(),
        "sts-token-value".into(),
    ));
    let r = run(PLAN, env, &["validate", "plan.yaml", "--format", "json"]).await;
    assert_eq!(r.findings(), pairs(EVERY_RULE));
    assert_eq!(fake.bad_signatures(), 0);
    assert_eq!(
        fake.signed_token_requests(),
        6,
        "every Alibaba request signed the token"
    );
}

/// Endpoints from `.preflight.yaml` are used; `PREFLIGHT_*_ENDPOINT` wins over them.
#[tokio::test(flavor = "multi_thread")]
async fn config_endpoints_are_used_and_the_environment_wins() {
    let fake = world().await;
    let url = format!("http://{}", fake.addr);
    let env_without_endpoints: Vec<(String, String)> = fake
        .env()
        .into_iter()
        .filter(|(k, _)| !k.ends_with("_ENDPOINT"))
        .collect();
    let dir = std::env::temp_dir().join(format!("preflight-e2e-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("preflight.yaml");
    std::fs::write(
        &config,
        format!("endpoints:\n  jdcloud: {url}\n  aliyun: {url}\n  zenlayer: {url}\n"),
    )
    .expect("config");
    let config_arg = config.to_string_lossy().into_owned();
    let args = [
        "validate",
        "plan.yaml",
        "--format",
        "json",
        "--config",
        &config_arg,
    ];
    let from_file = run(PLAN, env_without_endpoints.clone(), &args).await;
    assert_eq!(
        from_file.findings(),
        pairs(EVERY_RULE),
        "{}",
        from_file.stderr
    );
    assert_eq!(fake.requests().len(), MINIMUM.len());
    // The environment points JD at a closed port: it wins, so JD's pairings are unverified.
    let (_refusing, closed_addr) = crate::support::run::refusing_address();
    let mut env = env_without_endpoints;
    env.push((
        "PREFLIGHT_JDCLOUD_ENDPOINT".into(),
        format!("http://{closed_addr}"),
    ));
    let overridden = run(PLAN, env, &args).await;
    assert!(
        overridden.reason("jd-ok").contains("could not connect"),
        "{}",
        overridden.reason("jd-ok")
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A Terraform plan through the network: the pairings come from `resource_changes`, the
/// region from the provider configuration and a JD zone, and only JD Cloud is asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_terraform_plan_is_checked_through_the_network() {
    let fake = world().await;
    let zones: &[(&str, bool)] = &[("cn-north-1a", true), ("cn-north-1b", true)];
    for t in ["g.n4.large", "m.n4.xlarge", "m.n4.2xlarge"] {
        fake.jd_type_with("cn-north-1", t, "x86_64", zones, false, true);
    }
    let plan = include_str!("../../testdata/cases/tf-jdcloud/tfplan.json");
    let r = run_with(
        &[("tfplan.json", plan)],
        fake.env(),
        &["validate", "tfplan.json", "--format", "json"],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.findings(),
        pairs(&[
            ("jdcloud_instance.api[0]", "instance-type-excluded"),
            ("jdcloud_instance.api[1]", "instance-type-excluded"),
            (
                "module.db[\"primary\"].jdcloud_instance.db",
                "image-not-found"
            ),
            (
                "module.db[\"replica\"].jdcloud_instance.db",
                "image-not-found"
            ),
        ])
    );
    assert_eq!(fake.bad_signatures(), 0);
    assert!(
        fake.requests().iter().all(|r| r.starts_with("jdcloud.")),
        "{:?}",
        fake.requests()
    );
    // The plan's no-op resource (`legacy`, image `img-retired01`) was not asked about.
    assert!(!r.stdout.contains("img-retired01"), "{}", r.stdout);
}

/// `preflight fetch tfplan.json` asks for what the Terraform plan knows, and validating the
/// plan against that facts file finds what asking the clouds directly finds.
#[tokio::test(flavor = "multi_thread")]
async fn fetch_reads_terraform_plan_json() {
    let fake = FakeCloud::start().await;
    fake.ali_image(
        "cn-hangzhou",
        "aliyun_3_x64_40G_alibase_20240819.vhd",
        "Available",
        "x86_64",
        40,
        &["ecs.g7.large", "ecs.c7.large", "ecs.g8y.large"],
    );
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.ali_type("cn-hangzhou", "ecs.c7.large", "X86");
    fake.ali_type("cn-hangzhou", "ecs.g8y.large", "ARM");
    let plan = include_str!("../../testdata/cases/tf-aliyun/tfplan.json");
    let dir = crate::support::run::scratch("e2e-tf-fetch");
    std::fs::write(dir.join("tfplan.json"), plan).expect("plan");
    let limits = crate::support::run::Limits::default();
    let direct = crate::support::run::run_in(
        &dir,
        fake.env(),
        &["validate", "tfplan.json", "--format", "json"],
        limits,
    )
    .await;
    let fetched = crate::support::run::run_in(
        &dir,
        fake.env(),
        &["fetch", "tfplan.json", "--output", "facts.json"],
        limits,
    )
    .await;
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    let facts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("facts.json")).expect("facts written"),
    )
    .expect("facts JSON");
    let region = &facts["clouds"]["aliyun"]["cn-hangzhou"];
    let mut images: Vec<&String> = region["images"]
        .as_object()
        .expect("images")
        .keys()
        .collect();
    images.sort();
    // The workers' image is known only after apply: nothing is asked about it.
    assert_eq!(
        images,
        [
            "aliyun_3_x64_40G_alibase_20240819.vhd",
            "m-bp1retired0000web"
        ]
    );
    let offline = crate::support::run::run_in(
        &dir,
        vec![],
        &[
            "validate",
            "tfplan.json",
            "--facts",
            "facts.json",
            "--format",
            "json",
        ],
        limits,
    )
    .await;
    assert_eq!(offline.findings(), direct.findings());
    assert_eq!(offline.code, direct.code);
    assert!(
        direct.findings().contains(&(
            "module.web.alicloud_instance.app[0]".to_string(),
            "image-not-found".to_string()
        )),
        "{}",
        direct.stdout
    );
    let _ = std::fs::remove_dir_all(dir);
}
