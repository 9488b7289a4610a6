//! Nothing but the clouds' signed answers may change a verdict, and load never starves it:
//! redirects are not followed, throttling is paced and waited out, the cache is the user's
//! alone and deletes only its own files, inputs are read through a cap, and report files are
//! written whole or not at all. The real binary, against the fake cloud on loopback.

use std::path::Path;

use crate::support::fake_cloud::{FakeCloud, Fault};
use crate::support::run::{Limits, Run, run_in, run_with, scratch};

/// One pairing of each cloud that passes, one that fails, and a custom image for quota.
const PLAN: &str = "\
instances:
  - {name: jd-ok, cloud: jdcloud, region: cn-north-1, image: img-jd, instance_type: g.n4.xlarge}
  - {name: jd-typo, cloud: jdcloud, region: cn-north-1, image: img-jd, instance_type: g.n4.xlarg}
  - {name: ali-ok, cloud: aliyun, region: cn-hangzhou, image: img-ali, instance_type: ecs.g7.large}
  - {name: ali-old, cloud: aliyun, region: cn-hangzhou, image: img-ali-old, instance_type: ecs.g7.large}
  - {name: zl-ok, cloud: zenlayer, region: FRA-A, image: img-zl, instance_type: z2a.cpu.1}
  - {name: zl-gone, cloud: zenlayer, region: FRA-A, image: img-zl-gone, instance_type: z2a.cpu.1}
";

/// The findings PLAN has when every cloud answers.
const FINDINGS: &[(&str, &str)] = &[
    ("ali-old", "image-unavailable"),
    ("jd-typo", "instance-type-unknown"),
    ("zl-gone", "image-not-found"),
];

async fn world() -> FakeCloud {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-jd", "ready", "x86_64", 20, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    let types: &[&str] = &["ecs.g7.large"];
    fake.ali_image("cn-hangzhou", "img-ali", "Available", "x86_64", 20, types);
    fake.ali_image(
        "cn-hangzhou",
        "img-ali-old",
        "Deprecated",
        "x86_64",
        20,
        types,
    );
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.zl_image("FRA-A", "img-zl", "AVAILABLE");
    fake.zl_type("FRA-A", "z2a.cpu.1");
    fake
}

fn expected(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

fn unverified(run: &Run) -> Vec<String> {
    run.findings()
        .into_iter()
        .filter(|(_, rule)| rule == "unverified")
        .map(|(entry, _)| entry)
        .collect()
}

const JSON: &[&str] = &["validate", "plan.yaml", "--format", "json"];

// --- redirects ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_sends_nothing_to_the_other_host() {
    let elsewhere = FakeCloud::start().await;
    for (op, entries) in [
        ("jdcloud.describeImages", &["jd-ok"][..]),
        ("aliyun.DescribeImages", &["ali-ok", "ali-old"][..]),
        ("zenlayer.DescribeImages", &["zl-ok", "zl-gone"][..]),
    ] {
        for status in [301, 302, 307, 308] {
            let fake = world().await;
            let location = format!("http://{}/forged?all=fine", elsewhere.addr);
            fake.fail_always(
                op,
                Fault::Status(status, String::new(), vec![("location".into(), location)]),
            );
            let mut env = fake.env();
            // An STS token must not go anywhere but the cloud either.
            env.push((
                "ALIBABA_CLOUD_SECURITY_TOKEN".into(),
                "STS-TOKEN-secret-42".into(),
            ));
            let r = run_with(&[("plan.yaml", PLAN)], env, &[JSON, &["-v"]].concat()).await;
            assert_eq!(
                r.code, 1,
                "{op} {status}: the other findings still fail the run"
            );
            for entry in entries {
                let why = r.reason(entry);
                assert!(
                    why.contains(&format!("HTTP {status}"))
                        && why.contains(&format!("`http://{}`", elsewhere.addr))
                        && why.contains("no redirects"),
                    "{op} {status}: {why}"
                );
            }
            assert!(
                r.stderr.contains(&format!(
                    "HTTP {status} redirecting to `http://{}`",
                    elsewhere.addr
                )) && r.stderr.contains("not followed"),
                "-v says so: {}",
                r.stderr
            );
            assert!(!r.stdout.contains("STS-TOKEN") && !r.stderr.contains("STS-TOKEN"));
        }
    }
    assert_eq!(
        elsewhere.requests(),
        Vec::<String>::new(),
        "nothing reached the other host"
    );
}

// --- throttling --------------------------------------------------------------------------

/// A plan with `n` Alibaba images (one support-list call each), a JD and a Zenlayer pairing,
/// and one Alibaba pairing with a misspelt type.
fn many_images(fake: &FakeCloud, n: usize) -> String {
    let mut plan = String::from("instances:\n");
    let types: &[&str] = &["ecs.g7.large"];
    for i in 0..n {
        let id = format!("img-{i:04}");
        fake.ali_image("cn-hangzhou", &id, "Available", "x86_64", 20, types);
        plan.push_str(&format!(
            "  - {{name: vm-{i}, cloud: aliyun, region: cn-hangzhou, image: {id}, instance_type: ecs.g7.large}}\n"
        ));
    }
    plan.push_str("  - {name: typo, cloud: aliyun, region: cn-hangzhou, image: img-0000, instance_type: ecs.g7.larg}\n");
    plan
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_at_20_requests_a_second_is_paced_and_finishes_clean() {
    let fake = world().await;
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    let plan = many_images(&fake, 80);
    for cloud in ["jdcloud", "aliyun", "zenlayer"] {
        fake.rate_limit(cloud, 20.0);
    }
    let r = run_with(&[("plan.yaml", &plan)], fake.env(), JSON).await;
    assert_eq!(unverified(&r), Vec::<String>::new(), "{}", r.stdout);
    assert_eq!(r.findings(), expected(&[("typo", "instance-type-unknown")]));
    assert_eq!(r.code, 1);
    assert!(
        fake.throttled() > 0,
        "the cloud did throttle: the test tests something"
    );
    let asked = fake
        .requests()
        .iter()
        .filter(|op| *op == "aliyun.DescribeImageSupportInstanceTypes")
        .count();
    assert_eq!(
        asked - fake.throttled_of("aliyun.DescribeImageSupportInstanceTypes"),
        80
    );
    assert_eq!(fake.bad_signatures(), 0, "every retry signed afresh");
}

#[tokio::test(flavor = "multi_thread")]
async fn work_the_deadline_cannot_fit_says_the_rate_and_the_timeout_that_would() {
    let fake = world().await;
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    let plan = many_images(&fake, 40);
    fake.rate_limit("aliyun", 4.0);
    let r = run_with(
        &[("plan.yaml", &plan)],
        fake.env(),
        &[JSON, &["--timeout", "3"]].concat(),
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let late = unverified(&r);
    assert!(!late.is_empty(), "40 calls at 4/s do not fit in 3 s");
    let why = r.reason(&late[0]);
    assert!(
        why.contains("throttled") && why.contains("requests/s") && why.contains("would fit"),
        "{why}"
    );
    // The catalogue every pairing needs went first, so the misspelt type is still found.
    assert!(
        r.findings()
            .contains(&("typo".to_string(), "instance-type-unknown".to_string())),
        "{:?}",
        r.findings()
    );
}

// --- the cache ---------------------------------------------------------------------------

fn cache_env(fake: &FakeCloud, dir: &Path) -> Vec<(String, String)> {
    let mut env = fake.env();
    env.push((
        "PREFLIGHT_CACHE_DIR".into(),
        dir.to_string_lossy().into_owned(),
    ));
    env
}

fn age(path: &Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(old))
        .expect("set mtime");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_files_beside_a_misconfigured_cache_survive() {
    let fake = world().await;
    let project = scratch("project");
    std::fs::write(project.join("plan.yaml"), PLAN).expect("plan");
    for name in ["tfplan.json", "package.json"] {
        std::fs::write(project.join(name), "{\"mine\": true}").expect("file");
        age(&project.join(name));
    }
    let r = run_in(
        &project,
        cache_env(&fake, Path::new(".")),
        JSON,
        Limits::default(),
    )
    .await;
    assert_eq!(r.findings(), expected(FINDINGS));
    assert!(
        r.stderr.contains("warning: not using the cache") && r.stderr.contains("not preflight's"),
        "{}",
        r.stderr
    );
    let mut left: Vec<String> = std::fs::read_dir(&project)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["package.json", "plan.yaml", "tfplan.json"],
        "nothing added or removed"
    );
    let _ = std::fs::remove_dir_all(project);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_new_cache_is_private_tagged_and_prunes_only_its_own_entries() {
    let fake = world().await;
    let home = scratch("cache-home");
    let cache = home.join("nested").join("preflight");
    let r = run_in(
        &home,
        cache_env(&fake, &cache),
        &["validate", "--format", "json", "x.yaml"],
        Limits::default(),
    )
    .await;
    assert_eq!(r.code, 2, "no such plan: nothing asked");
    std::fs::write(home.join("plan.yaml"), PLAN).expect("plan");
    let r = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
    assert_eq!(r.findings(), expected(FINDINGS));
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(mode(&cache), 0o700);
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache")
        .flatten()
        .map(|e| e.path())
        .collect();
    let tag = cache.join("CACHEDIR.TAG");
    assert!(
        std::fs::read_to_string(&tag)
            .expect("tagged")
            .starts_with("Signature: 8a477f597d28d172789f06886806bc55")
    );
    for entry in entries.iter().filter(|p| **p != tag) {
        assert_eq!(mode(entry), 0o600, "{}", entry.display());
    }
    // Old files of the user's in the tagged directory stay; old entries go.
    std::fs::write(cache.join("notes.json"), "mine").expect("file");
    for path in entries.iter().chain([&cache.join("notes.json")]) {
        age(path);
    }
    let r = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
    assert_eq!(r.findings(), expected(FINDINGS));
    assert!(
        cache.join("notes.json").exists(),
        "not an entry: never pruned"
    );
    assert!(tag.exists());
    let _ = std::fs::remove_dir_all(home);
}

/// Fills a private cache, forges its Alibaba answer ("Deprecated" → "Available"), then shows
/// the forgery believed only while the directory is private.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_cache_others_can_write_is_refused_so_a_planted_answer_changes_nothing() {
    let fake = world().await;
    let home = scratch("forged");
    std::fs::write(home.join("plan.yaml"), PLAN).expect("plan");
    let cache = home.join("cache-dir");
    let r = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
    assert_eq!(r.findings(), expected(FINDINGS));
    let mut forged = 0;
    for entry in std::fs::read_dir(&cache).expect("cache").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if text.contains("\"Deprecated\"") {
            std::fs::write(
                entry.path(),
                text.replace("\"Deprecated\"", "\"Available\""),
            )
            .expect("forge");
            forged += 1;
        }
    }
    assert_eq!(forged, 1, "the DescribeImages answer");
    let asked = fake.requests().len();
    let believed = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
    assert_eq!(
        fake.requests().len(),
        asked,
        "a private cache answers: nothing asked"
    );
    assert!(
        !believed
            .findings()
            .contains(&("ali-old".into(), "image-unavailable".into()))
    );

    chmod(&cache, 0o777);
    let r = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
    assert!(
        r.stderr.contains("not using the cache")
            && r.stderr.contains("can be written by group and others"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.findings(),
        expected(FINDINGS),
        "the clouds' answer, not the planted one"
    );
    assert!(fake.requests().len() > asked, "asked the clouds again");

    // A symlink to such a directory is judged by where it leads.
    let link = home.join("link");
    std::os::unix::fs::symlink(&cache, &link).expect("symlink");
    let r = run_in(&home, cache_env(&fake, &link), JSON, Limits::default()).await;
    assert!(r.stderr.contains("not using the cache"), "{}", r.stderr);
    assert_eq!(r.findings(), expected(FINDINGS));

    // Another user's directory, private or not (only root can make one here).
    chmod(&cache, 0o700);
    // SAFETY: plain system calls on a path this test owns.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let c = std::ffi::CString::new(cache.to_string_lossy().as_bytes()).expect("path");
        // SAFETY: a valid C string; 65534 is `nobody`.
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
        let r = run_in(&home, cache_env(&fake, &cache), JSON, Limits::default()).await;
        assert!(r.stderr.contains("belongs to user 65534"), "{}", r.stderr);
        assert_eq!(r.findings(), expected(FINDINGS));
    } else {
        eprintln!("not root: another user's cache directory is left to the unit test");
    }
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_that_cannot_be_written_says_so_once_and_leaves_no_temporary_files() {
    let fake = world().await;
    let home = scratch("full-cache");
    std::fs::write(home.join("plan.yaml"), PLAN).expect("plan");
    let cache = home.join("cache");
    std::fs::create_dir(&cache).expect("cache dir");
    std::fs::write(
        cache.join("CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    )
    .expect("tag");
    #[cfg(unix)]
    chmod(&cache, 0o700);
    // Every entry is larger than this: each write fails as on a full disk.
    let limits = Limits {
        file_size: Some(40),
        ..Limits::default()
    };
    let r = run_in(&home, cache_env(&fake, &cache), JSON, limits).await;
    assert_eq!(r.findings(), expected(FINDINGS));
    let warnings = r.stderr.matches("cannot write to the cache").count();
    assert_eq!(warnings, 1, "said once: {}", r.stderr);
    let temps: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".json"))
        .collect();
    assert_eq!(temps, Vec::<String>::new(), "no half-written entry");
    let _ = std::fs::remove_dir_all(home);
}

// --- inputs and outputs ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn endless_inputs_are_refused_at_the_size_limit() {
    for args in [
        &["validate", "plan.yaml", "--facts", "/dev/zero"][..],
        &["validate", "/dev/zero"][..],
        &["validate", "plan.yaml", "--config", "/dev/zero"][..],
    ] {
        let r = run_with(&[("plan.yaml", PLAN)], vec![], args).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("goes on past 64 MiB"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_cannot_be_written_leaves_the_old_file_and_no_partial_one() {
    let fake = world().await;
    let home = scratch("output");
    std::fs::write(home.join("plan.yaml"), PLAN).expect("plan");
    let limits = Limits {
        file_size: Some(1000),
        ..Limits::default()
    };
    for args in [
        &[
            "validate",
            "plan.yaml",
            "--format",
            "sarif",
            "--output",
            "report.sarif",
        ][..],
        &[
            "fetch",
            "plan.yaml",
            "--output",
            "report.sarif",
            "--no-cache",
        ][..],
    ] {
        std::fs::write(home.join("report.sarif"), "the old report").expect("old");
        let r = run_in(&home, fake.env(), args, limits).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("cannot write `report.sarif`"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(
            std::fs::read_to_string(home.join("report.sarif")).expect("old"),
            "the old report"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&home)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("preflight-"))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "{args:?}");
    }
    // A device is written in place: a full one is exit 2 with the reason.
    let r = run_in(
        &home,
        fake.env(),
        &["validate", "plan.yaml", "--output", "/dev/full"],
        Limits::default(),
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("No space left on device"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_endpoint_is_an_input_error_and_asks_nothing() {
    let fake = world().await;
    for bad in [
        "https://exa mple.com",
        "https://host:notaport",
        "https://[::1",
    ] {
        let mut env = fake.env();
        env.retain(|(k, _)| k != "PREFLIGHT_JDCLOUD_ENDPOINT");
        env.push(("PREFLIGHT_JDCLOUD_ENDPOINT".into(), bad.into()));
        let r = run_with(&[("plan.yaml", PLAN)], env, &["validate", "plan.yaml"]).await;
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains("PREFLIGHT_JDCLOUD_ENDPOINT"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(fake.requests(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn fixes_that_cannot_be_written_leave_the_plan_as_it_was() {
    let home = scratch("fix-full-disk");
    let facts =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/facts.json"))
            .expect("facts");
    // The fixed plan is larger than the file-size limit: its write fails as on a full disk.
    let plan = format!(
        "instances:\n  - name: web\n    cloud: jdcloud\n    region: cn-north-1\n    image: img-m5s0****30\n    instance_type: g.n4.xlarge\n    system_disk_gb: 20\n{}",
        "# padding\n".repeat(20)
    );
    std::fs::write(home.join("plan.yaml"), &plan).expect("plan");
    std::fs::write(home.join("facts.json"), &facts).expect("facts");
    let limits = Limits {
        file_size: Some(100),
        ..Limits::default()
    };
    let args = ["validate", "plan.yaml", "--facts", "facts.json", "--fix"];
    let r = run_in(&home, vec![], &args, limits).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write the fixes to `plan.yaml`"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.join("plan.yaml")).unwrap(),
        plan
    );
    let mut names: Vec<String> = std::fs::read_dir(&home)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "cache")
        .collect();
    names.sort();
    assert_eq!(names, ["facts.json", "plan.yaml"], "no temporary file left");
    let _ = std::fs::remove_dir_all(home);
}
