//! Credentials as users already have them, end to end: every source of Alibaba's chain (the
//! environment under the SDK's and Terraform's names, OIDC, the CLI's profiles by mode, the
//! SDK's ini file, the ECS instance role, a credentials URI), their precedence, Zenlayer's
//! Terraform endpoint variables, and `preflight credentials`. STS and the metadata service are
//! the fake's: it checks AssumeRole's signature, accepts only the OIDC tokens it was given,
//! and accepts the temporary keys it issued only with their tokens.

use std::path::Path;

use crate::support::fake_cloud::{ALI_AK, ALI_SK, FakeCloud};
use crate::support::run::{Limits, Run, run_in, scratch};

const PLAN: &str = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n  - {name: vm, image: m-ok, instance_type: ecs.g7.large}\n";
const ROLE: &str = "acs:ram::1234567890:role/ci";
const PROVIDER: &str = "acs:ram::1234567890:oidc-provider/github";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.fake-oidc-token.signature";

/// A world where the plan's pairing is fine, STS knows the role and the OIDC token.
async fn world() -> FakeCloud {
    let fake = FakeCloud::start().await;
    fake.ali_image(
        "cn-hangzhou",
        "m-ok",
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large"],
    );
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.sts_role(ROLE, "1234567890");
    fake.oidc_token(TOKEN);
    fake
}

/// The fake's endpoints (clouds, STS, metadata), and no key: each test adds its source.
fn base(fake: &FakeCloud) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = fake
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ALIBABA_CLOUD_ACCESS_KEY"))
        .collect();
    env.extend(fake.credential_services());
    env
}

fn with(mut env: Vec<(String, String)>, more: &[(&str, &str)]) -> Vec<(String, String)> {
    env.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// A directory with the plan (and `files`), the run in it, and the directory.
async fn run(
    env: Vec<(String, String)>,
    files: &[(&str, &str)],
    args: &[&str],
) -> (Run, std::path::PathBuf) {
    let dir = scratch("credentials");
    std::fs::write(dir.join("plan.yaml"), PLAN).expect("plan");
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("file");
    }
    let env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| (k, v.replace("{dir}", dir.to_str().expect("utf-8"))))
        .collect();
    let r = run_in(&dir, env, args, Limits::default()).await;
    (r, dir)
}

async fn validate(env: Vec<(String, String)>, files: &[(&str, &str)]) -> Run {
    let (r, dir) = run(env, files, &["validate", "plan.yaml", "--format", "json"]).await;
    assert_no_secret(&r, &dir);
    let _ = std::fs::remove_dir_all(dir);
    r
}

/// Neither what was printed nor any file the run wrote (the cache, a facts file) holds a
/// secret; the token file and the credential files the test wrote are the test's own.
fn assert_no_secret(r: &Run, dir: &Path) {
    let secrets = [ALI_SK, TOKEN, "STS-SECRET-", "STS-TOKEN-", "meta-token"];
    for s in secrets {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{s} printed:\n{}{}",
            r.stdout,
            r.stderr
        );
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if ["token", ".aliyun", ".alibabacloud"].contains(&name.as_str()) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                for s in secrets {
                    assert!(!text.contains(s), "{s} in {}", path.display());
                }
            }
        }
    }
}

fn ops(fake: &FakeCloud, prefix: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.starts_with(prefix))
        .count()
}

/// Requests of exactly this operation (`sts.AssumeRole` is not `sts.AssumeRoleWithOIDC`).
fn exact(fake: &FakeCloud, op: &str) -> usize {
    fake.requests().iter().filter(|r| *r == op).count()
}

fn passed(r: &Run) {
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn terraform_key_names_are_read() {
    let fake = world().await;
    let env = with(
        base(&fake),
        &[
            ("ALICLOUD_ACCESS_KEY", ALI_AK),
            ("ALICLOUD_SECRET_KEY", ALI_SK),
        ],
    );
    passed(&validate(env, &[]).await);
    assert_eq!(fake.bad_signatures(), 0);
}

fn oidc_env(fake: &FakeCloud) -> Vec<(String, String)> {
    with(
        base(fake),
        &[
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "{dir}/token"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_exchanges_the_token_and_signs_with_the_temporary_key() {
    let fake = world().await;
    let r = validate(oidc_env(&fake), &[("token", TOKEN)]).await;
    passed(&r);
    assert_eq!(ops(&fake, "sts.AssumeRoleWithOIDC"), 1);
    assert_eq!(fake.issued(), 1);
    // Every ECS call was signed with the issued key and carried its token.
    assert_eq!(fake.bad_signatures(), 0);
    assert!(ops(&fake, "aliyun.") > 0);
    // A facts file fetched this way holds facts, not keys.
    let (r, dir) = run(
        oidc_env(&fake),
        &[("token", TOKEN)],
        &["fetch", "plan.yaml", "--output", "facts.json"],
    )
    .await;
    passed(&r);
    assert!(dir.join("facts.json").is_file());
    assert_no_secret(&r, &dir);
    let _ = std::fs::remove_dir_all(dir);
    // The log names the exchange, never its query (the token) or the answer (the key).
    let (r, dir) = run(
        oidc_env(&fake),
        &[("token", TOKEN)],
        &["validate", "plan.yaml", "-vv"],
    )
    .await;
    passed(&r);
    assert!(
        r.stderr
            .contains("credentials: STS AssumeRoleWithOIDC (GET 127.0.0.1"),
        "{}",
        r.stderr
    );
    assert_no_secret(&r, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_oidc_token_is_unverified_and_never_printed() {
    let fake = world().await;
    let other = "eyJhbGciOiJSUzI1NiJ9.another-token.sig";
    let r = validate(oidc_env(&fake), &[("token", other)]).await;
    assert_eq!(r.code, 3, "{}", r.stdout);
    let why = r.reason("vm");
    assert!(
        why.contains("AuthenticationFail.OIDCToken.Invalid"),
        "{why}"
    );
    assert!(
        why.contains("Illegal OIDC token: ***") && !r.stdout.contains(other),
        "{why}"
    );
    let (r, dir) = run(
        oidc_env(&fake),
        &[],
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
    assert!(r.reason("vm").contains("token file"), "{}", r.stdout);
    let _ = std::fs::remove_dir_all(dir);
}

fn cli_config(profiles: &str, current: &str) -> String {
    format!(r#"{{"current": "{current}", "profiles": [{profiles}]}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ram_role_arn_profile_assumes_the_role_first() {
    let fake = world().await;
    let config = cli_config(
        &format!(
            r#"{{"name": "ci", "mode": "RamRoleArn", "access_key_id": "{ALI_AK}", "access_key_secret": "{ALI_SK}", "ram_role_arn": "{ROLE}"}}"#
        ),
        "ci",
    );
    let env = with(base(&fake), &[("HOME", "{dir}")]);
    let r = validate(env, &[(".aliyun/config.json", &config)]).await;
    passed(&r);
    assert_eq!(exact(&fake, "sts.AssumeRole"), 1, "{:?}", fake.requests());
    assert_eq!(
        fake.bad_signatures(),
        0,
        "AssumeRole was signed with the profile's key"
    );
    // A role that does not exist: STS says so, and nothing is checked as if it had worked.
    let config = config.replace(ROLE, "acs:ram::1:role/nope");
    let env = with(base(&fake), &[("HOME", "{dir}")]);
    let r = validate(env, &[(".aliyun/config.json", &config)]).await;
    assert_eq!(r.code, 3);
    assert!(
        r.reason("vm").contains("EntityNotExist.Role"),
        "{}",
        r.reason("vm")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_mode_preflight_cannot_use_is_named() {
    let fake = world().await;
    let config = cli_config(
        r#"{"name": "sso", "mode": "CloudSSO", "access_key_id": "LTAIwrong0001", "access_key_secret": "x"}"#,
        "sso",
    );
    let env = with(base(&fake), &[("HOME", "{dir}")]);
    let r = validate(env, &[(".aliyun/config.json", &config)]).await;
    assert_eq!(r.code, 3);
    let why = r.reason("vm");
    assert!(
        why.contains("`CloudSSO` mode, which preflight does not support"),
        "{why}"
    );
    assert_eq!(
        ops(&fake, "aliyun."),
        0,
        "its key was not used as if the mode were AK"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_ini_file_is_read() {
    let fake = world().await;
    let ini = format!(
        "[default]\ntype = access_key\naccess_key_id = {ALI_AK}\naccess_key_secret = {ALI_SK}\n"
    );
    let env = with(base(&fake), &[("HOME", "{dir}")]);
    passed(&validate(env, &[(".alibabacloud/credentials.ini", &ini)]).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ecs_instance_role_with_and_without_a_session_token() {
    for hardened in [true, false] {
        let fake = world().await;
        fake.ecs_role("preflight-reader", hardened);
        let r = validate(base(&fake), &[]).await;
        passed(&r);
        assert_eq!(ops(&fake, "metadata.token"), 1);
        assert_eq!(ops(&fake, "metadata.role"), 1);
        assert_eq!(ops(&fake, "metadata.credentials"), 1);
        assert_eq!(fake.bad_signatures(), 0);
    }
    // Turned off: the metadata service is not asked.
    let fake = world().await;
    fake.ecs_role("preflight-reader", false);
    let r = validate(
        with(
            base(&fake),
            &[("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")],
        ),
        &[],
    )
    .await;
    assert_eq!(r.code, 3);
    assert_eq!(ops(&fake, "metadata."), 0);
    assert!(
        r.reason("vm")
            .starts_with("could not check `vm`: no Alibaba Cloud ECS credentials"),
        "{}",
        r.reason("vm")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credentials_uri_answers_after_the_metadata_service() {
    let fake = world().await;
    fake.credentials_uri();
    let uri = format!("http://{}/credentials-uri", fake.addr);
    // No instance role here: the metadata service says nothing, so the URI is asked.
    let r = validate(
        with(base(&fake), &[("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)]),
        &[],
    )
    .await;
    passed(&r);
    assert_eq!(ops(&fake, "credentials-uri."), 1);
    // Plain http is for loopback only.
    let r = validate(
        with(
            base(&fake),
            &[
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
                ("ALIBABA_CLOUD_CREDENTIALS_URI", "http://192.0.2.1/creds"),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(r.code, 3);
    assert!(
        r.reason("vm")
            .contains("plain http only to a loopback host"),
        "{}",
        r.reason("vm")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_takes_the_first_configured_source() {
    let fake = world().await;
    fake.ecs_role("preflight-reader", false);
    let profile = cli_config(
        &format!(
            r#"{{"name": "ci", "mode": "RamRoleArn", "access_key_id": "{ALI_AK}", "access_key_secret": "{ALI_SK}", "ram_role_arn": "{ROLE}"}}"#
        ),
        "ci",
    );
    let ini = format!(
        "[default]\ntype = access_key\naccess_key_id = {ALI_AK}\naccess_key_secret = {ALI_SK}\n"
    );
    let files = [
        ("token", TOKEN),
        (".aliyun/config.json", profile.as_str()),
        (".alibabacloud/credentials.ini", ini.as_str()),
    ];
    let home = [("HOME", "{dir}")];
    // A key in the environment beats everything: nothing is exchanged.
    let env = with(
        with(oidc_env(&fake), &home),
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SK),
        ],
    );
    passed(&validate(env, &files).await);
    assert_eq!((ops(&fake, "sts."), ops(&fake, "metadata.")), (0, 0));
    // OIDC beats the CLI's profile.
    passed(&validate(with(oidc_env(&fake), &home), &files).await);
    assert_eq!(exact(&fake, "sts.AssumeRoleWithOIDC"), 1);
    assert_eq!(exact(&fake, "sts.AssumeRole"), 0);
    // The profile beats the ini file and the instance role.
    passed(&validate(with(base(&fake), &home), &files).await);
    assert_eq!(exact(&fake, "sts.AssumeRole"), 1);
    assert_eq!(ops(&fake, "metadata."), 0);
    // The ini file beats the instance role.
    passed(&validate(with(base(&fake), &home), &files[2..]).await);
    assert_eq!(ops(&fake, "metadata."), 0);
    assert_eq!(exact(&fake, "sts.AssumeRole"), 1);
    // With nothing else, the instance role.
    passed(&validate(with(base(&fake), &home), &[]).await);
    assert_eq!(exact(&fake, "metadata.credentials"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_runs_find_the_answers_of_an_assumed_role() {
    let fake = world().await;
    let dir = scratch("credentials-offline");
    std::fs::write(dir.join("plan.yaml"), PLAN).expect("plan");
    std::fs::write(dir.join("token"), TOKEN).expect("token");
    let env: Vec<(String, String)> = oidc_env(&fake)
        .into_iter()
        .map(|(k, v)| (k, v.replace("{dir}", dir.to_str().expect("utf-8"))))
        .collect();
    let args = ["validate", "plan.yaml", "--format", "json"];
    let online = run_in(&dir, env.clone(), &args, Limits::default()).await;
    passed(&online);
    let before = fake.requests().len();
    let offline = run_in(
        &dir,
        env,
        &["validate", "plan.yaml", "--format", "json", "--offline"],
        Limits::default(),
    )
    .await;
    passed(&offline);
    // The temporary key differs each run; the cache is the role's, and offline asks no one,
    // STS included.
    assert_eq!(fake.requests().len(), before);
    assert_no_secret(&offline, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_the_metadata_service_only_at_its_address() {
    let fake = world().await;
    let env = with(
        base(&fake),
        &[("PREFLIGHT_ALIYUN_METADATA_ENDPOINT", "http://192.0.2.1")],
    );
    let r = validate(env, &[]).await;
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.contains("plain http is allowed only for loopback"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let env = with(
        base(&fake),
        &[(
            "PREFLIGHT_ALIYUN_METADATA_ENDPOINT",
            "http://100.100.100.200",
        )],
    );
    let r = validate(
        with(
            env,
            &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", ALI_AK),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ALI_SK),
            ],
        ),
        &[],
    )
    .await;
    passed(&r);
}

#[tokio::test(flavor = "multi_thread")]
async fn zenlayer_endpoint_from_terraforms_variables() {
    let fake = FakeCloud::start().await;
    fake.zl_image("FRA-A", "img-zl", "AVAILABLE");
    fake.zl_type("FRA-A", "z2a.cpu.1");
    let plan = "instances:\n  - {name: edge, cloud: zenlayer, region: FRA-A, image: img-zl, instance_type: z2a.cpu.1}\n";
    let mut env: Vec<(String, String)> = fake
        .env()
        .into_iter()
        .filter(|(k, _)| k != "PREFLIGHT_ZENLAYER_ENDPOINT")
        .collect();
    env.extend([
        ("ZENLAYERCLOUD_DOMAIN".to_string(), fake.addr.clone()),
        ("ZENLAYERCLOUD_SCHEME".to_string(), "HTTP".to_string()),
    ]);
    let dir = scratch("credentials-zl");
    std::fs::write(dir.join("plan.yaml"), plan).expect("plan");
    let r = run_in(
        &dir,
        env.clone(),
        &["validate", "plan.yaml", "--format", "json"],
        Limits::default(),
    )
    .await;
    passed(&r);
    assert!(fake.requests().iter().any(|r| r.starts_with("zenlayer.")));
    env.retain(|(k, _)| k != "ZENLAYERCLOUD_DOMAIN");
    env.push(("ZENLAYERCLOUD_DOMAIN".into(), "console.example.com".into()));
    let r = run_in(&dir, env, &["validate", "plan.yaml"], Limits::default()).await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ZENLAYERCLOUD_DOMAIN") && r.stderr.contains("plain http"),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_credentials_says_where_and_checks() {
    let fake = world().await;
    let (r, dir) = run(
        oidc_env(&fake),
        &[("token", TOKEN)],
        &["credentials", "plan.yaml"],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("aliyun    OIDC") && r.stdout.contains(ROLE),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().count(),
        1,
        "only the clouds the plan names: {}",
        r.stdout
    );
    assert_eq!(ops(&fake, "sts."), 0, "without --check nothing is asked");
    assert_no_secret(&r, &dir);
    let (r, dir2) = run(
        oidc_env(&fake),
        &[("token", TOKEN)],
        &["credentials", "plan.yaml", "--check"],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("works: STS GetCallerIdentity: account 1234567890"),
        "{}",
        r.stdout
    );
    assert_no_secret(&r, &dir2);
    // A key the cloud does not know: refused, exit 1, and the key id only masked.
    let env = with(
        base(&fake),
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIunknown0042"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
        ],
    );
    let (r, dir3) = run(env, &[], &["credentials", "--cloud", "aliyun", "--check"]).await;
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("(key LTAI…42)") && !r.stdout.contains("LTAIunknown0042"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("refused:"), "{}", r.stdout);
    // JD and Zenlayer: their quota call, signed.
    let (r, dir4) = run(
        fake.env(),
        &[],
        &[
            "credentials",
            "--cloud",
            "jdcloud",
            "--cloud",
            "zenlayer",
            "--check",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.matches("works: ").count(), 2, "{}", r.stdout);
    // An account without the zone the check names: the signed answer still proves the key.
    fake.zl_account_zones(&["FRA-A"]);
    let (r, dir5) = run(
        fake.env(),
        &[],
        &["credentials", "--cloud", "zenlayer", "--check"],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("works: DescribeImageQuota answered"),
        "{}",
        r.stdout
    );
    for d in [dir, dir2, dir3, dir4, dir5] {
        let _ = std::fs::remove_dir_all(d);
    }
}
