//! Alibaba Cloud's credential chain, as the official SDK (`alibabacloud_credentials`,
//! `provider/default.py`) walks it, with the names Terraform's alicloud provider and the
//! `aliyun` CLI read as well:
//!
//! 1. a key in the environment: the SDK's `ALIBABA_CLOUD_ACCESS_KEY_ID` / `…_SECRET` /
//!    `…_SECURITY_TOKEN`, then `ALIBABACLOUD_…`, Terraform's `ALICLOUD_ACCESS_KEY` /
//!    `ALICLOUD_SECRET_KEY` / `ALICLOUD_SECURITY_TOKEN`, the CLI's `ALICLOUD_ACCESS_KEY_ID` / …;
//! 2. OIDC, when `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` are all set;
//! 3. the CLI's `~/.aliyun/config.json` (or Terraform's `ALICLOUD_SHARED_CREDENTIALS_FILE`), the
//!    profile from `ALIBABACLOUD_PROFILE` / `ALIBABA_CLOUD_PROFILE` / `ALICLOUD_PROFILE` or the
//!    file's `current`, by its `mode`;
//! 4. `~/.alibabacloud/credentials.ini` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`), by `type`;
//! 5. the ECS instance's RAM role, unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`;
//! 6. `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! `ALIBABA_CLOUD_CREDENTIALS_FILE` is the SDK's INI file, while Terraform reads the CLI's JSON
//! under that name; the file's content decides which it is.

use std::path::{Path, PathBuf};

use super::{
    AssumeRole, Credentials, Found, Oidc, Source, ini_sections, ini_value, masked, pair, read_small,
};

type Var<'a> = &'a dyn Fn(&str) -> Option<String>;

/// (key id, secret, token) variables, in the order they are tried.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ),
    (
        "ALIBABACLOUD_ACCESS_KEY_ID",
        "ALIBABACLOUD_ACCESS_KEY_SECRET",
        "ALIBABACLOUD_SECURITY_TOKEN",
    ),
    (
        "ALICLOUD_ACCESS_KEY",
        "ALICLOUD_SECRET_KEY",
        "ALICLOUD_SECURITY_TOKEN",
    ),
    (
        "ALICLOUD_ACCESS_KEY_ID",
        "ALICLOUD_ACCESS_KEY_SECRET",
        "ALICLOUD_SECURITY_TOKEN",
    ),
];

const PROFILE_VARS: &[&str] = &[
    "ALIBABACLOUD_PROFILE",
    "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE",
];

/// The default lifetime of an assumed role's credentials, as the SDK asks.
const SECONDS: u32 = 3600;

/// The first configured source, `None` when there is none, or why a configured one cannot be
/// used.
pub(super) fn find(var: Var, home: Option<&Path>) -> Result<Option<Found>, String> {
    for (id, secret, token) in FAMILIES {
        if let Some(found) = pair(var, id, secret, Some(token)) {
            return Ok(Some(found));
        }
        if var(id).is_some() != var(secret).is_some() {
            let (set, unset) = if var(id).is_some() {
                (id, secret)
            } else {
                (secret, id)
            };
            return Err(format!(
                "{set} is set but {unset} is not: set both, or neither to use the next source"
            ));
        }
    }
    if let Some(found) = oidc_from_env(var)? {
        return Ok(Some(found));
    }
    let profile = PROFILE_VARS.iter().find_map(|v| var(v).map(|p| (*v, p)));
    let json_file = var("ALICLOUD_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| {
            var("ALIBABA_CLOUD_CREDENTIALS_FILE")
                .map(PathBuf::from)
                .filter(|p| is_cli_json(p))
        })
        .or_else(|| home.map(|h| h.join(".aliyun/config.json")));
    let cli_off = [
        "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
        "ALIBABA_CLOUD_IGNORE_PROFILE",
    ]
    .iter()
    .any(|v| var(v).is_some_and(|x| x.eq_ignore_ascii_case("true")));
    if !cli_off
        && let Some(file) = &json_file
        && let Some(found) = cli_profile(var, file, profile.as_ref().map(|(_, p)| p.as_str()))?
    {
        return Ok(Some(found));
    }
    let ini_file = var("ALIBABA_CLOUD_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .filter(|p| !is_cli_json(p))
        .or_else(|| home.map(|h| h.join(".alibabacloud/credentials.ini")));
    if let Some(file) = &ini_file
        && let Some(found) = ini_profile(var, file, profile.as_ref().map(|(_, p)| p.as_str()))?
    {
        return Ok(Some(found));
    }
    if let Some((name, p)) = &profile {
        return Err(format!(
            "{name}={p} names a profile that is in neither {} nor {}",
            json_file
                .as_deref()
                .map_or("~/.aliyun/config.json".into(), shown),
            ini_file
                .as_deref()
                .map_or("~/.alibabacloud/credentials.ini".into(), shown)
        ));
    }
    let uri = var("ALIBABA_CLOUD_CREDENTIALS_URI");
    let ecs_off =
        var("ALIBABA_CLOUD_ECS_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ecs_off {
        let role = var("ALIBABA_CLOUD_ECS_METADATA");
        let mut described = match &role {
            Some(r) => format!(
                "the ECS instance's RAM role `{r}` (ALIBABA_CLOUD_ECS_METADATA), from the metadata service"
            ),
            None => "the ECS instance's RAM role, from the metadata service, when this runs on ECS (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true skips it)".to_string(),
        };
        // The URI is the step after the metadata service: used when it does not answer.
        let source = match uri {
            Some(uri) => {
                described.push_str(&format!(
                    "; else ALIBABA_CLOUD_CREDENTIALS_URI ({})",
                    host_of(&uri)
                ));
                Source::EcsRoleOr { role, uri }
            }
            None => Source::EcsRole { role },
        };
        let mut found = Found::new(source, described);
        found.last_try = true;
        return Ok(Some(found));
    }
    Ok(uri.map(|uri| {
        let described = format!("ALIBABA_CLOUD_CREDENTIALS_URI ({})", host_of(&uri));
        Found::new(Source::Uri(uri), described)
    }))
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

fn host_of(uri: &str) -> String {
    reqwest::Url::parse(uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "not a URL".to_string())
}

/// Whether a credentials file is the CLI's JSON (Terraform's reading of the variable).
fn is_cli_json(path: &Path) -> bool {
    read_small(path)
        .ok()
        .flatten()
        .is_some_and(|t| t.trim_start().starts_with('{'))
}

/// STS's host: `sts.aliyuncs.com`, or the region's (`sts.{r}.aliyuncs.com`, `sts-vpc.…` inside
/// a VPC).
pub(super) fn sts_host(var: Var, region: Option<String>, vpc: Option<bool>) -> String {
    let vpc = vpc.unwrap_or_else(|| {
        var("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
    });
    let prefix = if vpc { "sts-vpc" } else { "sts" };
    match region.or_else(|| var("ALIBABA_CLOUD_STS_REGION")) {
        Some(r) => format!("{prefix}.{r}.aliyuncs.com"),
        None => "sts.aliyuncs.com".to_string(),
    }
}

fn session(var: Var, given: Option<String>) -> String {
    given
        .or_else(|| var("ALIBABA_CLOUD_ROLE_SESSION_NAME"))
        .unwrap_or_else(|| format!("preflight-{}", crate::clouds::sign::now()))
}

fn oidc_from_env(var: Var) -> Result<Option<Found>, String> {
    let names = [
        "ALIBABA_CLOUD_ROLE_ARN",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    ];
    let set: Vec<&str> = names.iter().copied().filter(|n| var(n).is_some()).collect();
    if set.is_empty() {
        return Ok(None);
    }
    if set.len() < names.len() {
        let unset: Vec<&str> = names.iter().copied().filter(|n| var(n).is_none()).collect();
        return Err(format!(
            "{} set for OIDC, but {} not: OIDC needs all three",
            set.join(" and "),
            unset.join(" and ")
        ));
    }
    let oidc = Oidc {
        role_arn: var(names[0]).unwrap_or_default(),
        provider_arn: var(names[1]).unwrap_or_default(),
        token_file: var(names[2]).unwrap_or_default(),
        session: session(var, None),
        policy: None,
        seconds: SECONDS,
        sts_host: sts_host(var, None, None),
    };
    let described = format!(
        "OIDC (ALIBABA_CLOUD_ROLE_ARN and the others): role {}, provider {}, token file {}",
        oidc.role_arn, oidc.provider_arn, oidc.token_file
    );
    Ok(Some(Found::new(Source::Oidc(oidc), described)))
}

/// A profile of the CLI's `config.json`, by its mode. `None` when the file or the profile is
/// not there.
fn cli_profile(var: Var, file: &Path, profile: Option<&str>) -> Result<Option<Found>, String> {
    let Some(text) = read_small(file)? else {
        return Ok(None);
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", shown(file)))?;
    let Some(name) = profile
        .map(str::to_string)
        .or_else(|| json["current"].as_str().map(str::to_string))
    else {
        return Ok(None);
    };
    let profiles = json["profiles"].as_array().cloned().unwrap_or_default();
    let by_name = |n: &str| {
        profiles
            .iter()
            .find(|p| p["name"].as_str() == Some(n))
            .cloned()
    };
    let Some(p) = by_name(&name) else {
        return Ok(None);
    };
    let source = cli_source(var, file, &name, &p, &by_name, 0)?;
    let mode = p["mode"].as_str().filter(|m| !m.is_empty()).unwrap_or("AK");
    let described = format!(
        "{}, profile `{name}` ({mode}{})",
        shown(file),
        describe_source(&source)
    );
    Ok(Some(Found::new(source, described)))
}

fn cli_source(
    var: Var,
    file: &Path,
    name: &str,
    p: &serde_json::Value,
    by_name: &dyn Fn(&str) -> Option<serde_json::Value>,
    depth: usize,
) -> Result<Source, String> {
    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let need = |k: &str| {
        text(k).ok_or_else(|| format!("profile `{name}` in {} has no `{k}`", shown(file)))
    };
    let key = |token: Option<String>| -> Result<Source, String> {
        let id = need("access_key_id")?;
        Ok(Source::Key(Credentials::key(
            id,
            need("access_key_secret")?,
            token,
        )))
    };
    let seconds = p["expired_seconds"]
        .as_u64()
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(SECONDS);
    let host = sts_host(var, text("sts_region"), p["enable_vpc"].as_bool());
    let assume = |with: Source| -> Result<Source, String> {
        Ok(Source::AssumeRole(AssumeRole {
            with: Box::new(with),
            role_arn: need("ram_role_arn")?,
            session: session(var, text("ram_session_name")),
            external_id: text("external_id"),
            policy: text("policy"),
            seconds,
            sts_host: host.clone(),
        }))
    };
    let mode = p["mode"].as_str().filter(|m| !m.is_empty()).unwrap_or("AK");
    match mode {
        "AK" => key(None),
        "StsToken" => key(Some(need("sts_token")?)),
        "RamRoleArn" => assume(key(None)?),
        "ChainableRamRoleArn" if depth < 8 => {
            let from = need("source_profile")?;
            let source = by_name(&from).ok_or_else(|| {
                format!(
                    "profile `{name}` names source_profile `{from}`, which {} lacks",
                    shown(file)
                )
            })?;
            assume(cli_source(var, file, &from, &source, by_name, depth + 1)?)
        }
        "EcsRamRole" => Ok(Source::EcsRole {
            role: text("ram_role_name"),
        }),
        "OIDC" => Ok(Source::Oidc(Oidc {
            role_arn: need("ram_role_arn")?,
            provider_arn: need("oidc_provider_arn")?,
            token_file: need("oidc_token_file")?,
            session: session(var, text("role_session_name")),
            policy: text("policy"),
            seconds,
            sts_host: host.clone(),
        })),
        other => Err(format!(
            "profile `{name}` in {} is in `{other}` mode, which preflight does not support: use a profile in AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole or OIDC mode (ALIBABA_CLOUD_PROFILE picks one), or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            shown(file)
        )),
    }
}

/// A section of the SDK's `credentials.ini`, by its `type`. `None` when the file or the
/// section is not there.
fn ini_profile(var: Var, file: &Path, profile: Option<&str>) -> Result<Option<Found>, String> {
    let Some(text) = read_small(file)? else {
        return Ok(None);
    };
    let name = profile.unwrap_or("default");
    let sections = ini_sections(&text);
    let Some((_, s)) = sections.iter().find(|(n, _)| n == name) else {
        return Ok(None);
    };
    let need = |k: &str| {
        ini_value(s, k)
            .map(str::to_string)
            .ok_or_else(|| format!("section [{name}] of {} has no `{k}`", shown(file)))
    };
    let opt = |k: &str| ini_value(s, k).map(str::to_string);
    let kind = ini_value(s, "type").unwrap_or("access_key");
    let key = || -> Result<Source, String> {
        let id = need("access_key_id")?;
        Ok(Source::Key(Credentials::key(
            id,
            need("access_key_secret")?,
            None,
        )))
    };
    let source = match kind {
        "access_key" => key()?,
        "ram_role_arn" => Source::AssumeRole(AssumeRole {
            with: Box::new(key()?),
            role_arn: need("role_arn")?,
            session: session(var, opt("role_session_name")),
            external_id: None,
            policy: opt("policy"),
            seconds: SECONDS,
            sts_host: sts_host(var, None, None),
        }),
        "oidc_role_arn" => Source::Oidc(Oidc {
            role_arn: need("role_arn")?,
            provider_arn: need("oidc_provider_arn")?,
            token_file: need("oidc_token_file_path")?,
            session: session(var, opt("role_session_name")),
            policy: opt("policy"),
            seconds: SECONDS,
            sts_host: sts_host(var, None, None),
        }),
        "ecs_ram_role" => Source::EcsRole {
            role: opt("role_name"),
        },
        other => {
            return Err(format!(
                "section [{name}] of {} has type `{other}`, which preflight does not support: use access_key, ram_role_arn, oidc_role_arn or ecs_ram_role",
                shown(file)
            ));
        }
    };
    let described = format!(
        "{}, section [{name}] ({kind}{})",
        shown(file),
        describe_source(&source)
    );
    Ok(Some(Found::new(source, described)))
}

/// `: role …, with key LTAI…12`, or nothing for a plain key (the key is shown by the caller).
fn describe_source(source: &Source) -> String {
    match source {
        Source::Key(c) => format!(", key {}", masked(&c.access_key_id)),
        Source::AssumeRole(r) => format!(": role {}{}", r.role_arn, describe_source(&r.with)),
        Source::Oidc(o) => format!(
            ": role {}, provider {}, token file {}",
            o.role_arn, o.provider_arn, o.token_file
        ),
        Source::EcsRole { role: Some(r) } => format!(": the instance's RAM role `{r}`"),
        Source::EcsRole { role: None } | Source::EcsRoleOr { .. } => {
            ": the instance's RAM role".to_string()
        }
        Source::Uri(uri) => format!(": {}", host_of(uri)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::env;
    use super::*;

    fn home_with(files: &[(&str, &str)]) -> PathBuf {
        let home = crate::clouds::credentials::tests::scratch_home();
        for (path, text) in files {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        home
    }

    fn found(pairs: &[(&str, &str)], home: Option<&Path>) -> Result<Option<Found>, String> {
        let e = env(pairs);
        let var = |k: &str| e(k).filter(|v: &String| !v.trim().is_empty());
        find(&var, home)
    }

    const OFF: (&str, &str) = ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");

    #[test]
    fn terraform_names_are_read_after_the_sdk_ones() {
        let f = found(
            &[
                ("ALICLOUD_ACCESS_KEY", "LTAItf000001"),
                ("ALICLOUD_SECRET_KEY", "s"),
                ("ALICLOUD_SECURITY_TOKEN", "t"),
            ],
            None,
        )
        .expect("ok")
        .expect("found");
        assert!(
            f.described
                .starts_with("ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY"),
            "{}",
            f.described
        );
        let Source::Key(c) = f.source else { panic!() };
        assert_eq!(c.token.map(|t| t.expose().to_string()), Some("t".into()));
        let f = found(
            &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIsdk00001"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
                ("ALICLOUD_ACCESS_KEY", "LTAItf000001"),
                ("ALICLOUD_SECRET_KEY", "s"),
            ],
            None,
        )
        .expect("ok")
        .expect("found");
        assert!(f.described.contains("(key LTAI…01)") && f.described.starts_with("ALIBABA_CLOUD"));
        let half = found(&[("ALICLOUD_ACCESS_KEY", "x")], None).unwrap_err();
        assert!(half.contains("ALICLOUD_SECRET_KEY is not"), "{half}");
    }

    #[test]
    fn oidc_needs_all_three_and_comes_before_files() {
        let home = home_with(&[(
            ".aliyun/config.json",
            r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"A","access_key_secret":"a"}]}"#,
        )]);
        let f = found(
            &[
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/ci"),
                (
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    "acs:ram::1:oidc-provider/gh",
                ),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/tmp/token"),
                ("ALIBABA_CLOUD_STS_REGION", "cn-shanghai"),
            ],
            Some(&home),
        )
        .expect("ok")
        .expect("found");
        let Source::Oidc(o) = f.source else {
            panic!("{:?}", f.source)
        };
        assert_eq!(o.sts_host, "sts.cn-shanghai.aliyuncs.com");
        let why = found(&[("ALIBABA_CLOUD_ROLE_ARN", "r")], Some(&home)).unwrap_err();
        assert!(why.contains("OIDC needs all three"), "{why}");
    }

    #[test]
    fn cli_profiles_by_mode() {
        let config = r#"{"current":"ak","profiles":[
            {"name":"ak","mode":"AK","access_key_id":"LTAIak000001","access_key_secret":"a"},
            {"name":"sts","mode":"StsToken","access_key_id":"STS.x","access_key_secret":"a","sts_token":"t"},
            {"name":"role","mode":"RamRoleArn","access_key_id":"LTAIrole0001","access_key_secret":"a","ram_role_arn":"acs:ram::1:role/r","ram_session_name":"s","sts_region":"cn-beijing"},
            {"name":"chain","mode":"ChainableRamRoleArn","source_profile":"role","ram_role_arn":"acs:ram::2:role/q"},
            {"name":"ecs","mode":"EcsRamRole","ram_role_name":"worker"},
            {"name":"oidc","mode":"OIDC","ram_role_arn":"acs:ram::1:role/o","oidc_provider_arn":"p","oidc_token_file":"/t"},
            {"name":"sso","mode":"CloudSSO"}]}"#;
        let home = home_with(&[(".aliyun/config.json", config)]);
        let with = |p: &str| found(&[("ALIBABA_CLOUD_PROFILE", p), OFF], Some(&home));
        assert!(matches!(
            with("ak").expect("ok").expect("found").source,
            Source::Key(_)
        ));
        let Source::Key(c) = with("sts").expect("ok").expect("found").source else {
            panic!()
        };
        assert!(c.token.is_some());
        let role = with("role").expect("ok").expect("found");
        assert!(
            role.described
                .contains("RamRoleArn: role acs:ram::1:role/r, key LTAI…01"),
            "{}",
            role.described
        );
        let Source::AssumeRole(r) = role.source else {
            panic!()
        };
        assert_eq!(
            (r.session.as_str(), r.sts_host.as_str()),
            ("s", "sts.cn-beijing.aliyuncs.com")
        );
        let Source::AssumeRole(c) = with("chain").expect("ok").expect("found").source else {
            panic!()
        };
        assert!(
            matches!(*c.with, Source::AssumeRole(_)),
            "a role assumed with a role"
        );
        assert!(matches!(
            with("ecs").expect("ok").expect("found").source,
            Source::EcsRole { role: Some(_) }
        ));
        assert!(matches!(
            with("oidc").expect("ok").expect("found").source,
            Source::Oidc(_)
        ));
        let sso = with("sso").unwrap_err();
        assert!(
            sso.contains("`CloudSSO` mode, which preflight does not support"),
            "{sso}"
        );
        let absent = with("nope").unwrap_err();
        assert!(
            absent.contains("ALIBABA_CLOUD_PROFILE=nope names a profile"),
            "{absent}"
        );
        // Without a profile variable, the file's `current`.
        let current = found(&[OFF], Some(&home)).expect("ok").expect("found");
        assert!(
            current.described.contains("profile `ak`"),
            "{}",
            current.described
        );
    }

    #[test]
    fn the_sdk_ini_file_and_the_variable_read_both_ways() {
        let ini = "[default]\ntype = access_key\naccess_key_id = LTAIini00001\naccess_key_secret = s # a comment\n[ops]\ntype = rsa_key_pair\n";
        let home = home_with(&[(".alibabacloud/credentials.ini", ini)]);
        let f = found(&[OFF], Some(&home)).expect("ok").expect("found");
        assert!(
            f.described
                .contains("section [default] (access_key, key LTAI…01)"),
            "{}",
            f.described
        );
        let Source::Key(c) = f.source else { panic!() };
        assert_eq!(c.secret.expose(), "s");
        let rsa = found(&[OFF, ("ALIBABA_CLOUD_PROFILE", "ops")], Some(&home)).unwrap_err();
        assert!(rsa.contains("type `rsa_key_pair`"), "{rsa}");
        // Terraform's reading: the variable names the CLI's JSON.
        let json = home.join("tf.json");
        std::fs::write(&json, r#"{"current":"t","profiles":[{"name":"t","mode":"AK","access_key_id":"LTAItfjson01","access_key_secret":"x"}]}"#).expect("write");
        let f = found(
            &[
                OFF,
                (
                    "ALIBABA_CLOUD_CREDENTIALS_FILE",
                    json.to_str().expect("utf-8"),
                ),
            ],
            Some(&home),
        )
        .expect("ok")
        .expect("found");
        assert!(f.described.contains("profile `t`"), "{}", f.described);
    }

    #[test]
    fn the_instance_role_comes_last_and_can_be_turned_off() {
        let f = found(&[], None).expect("ok").expect("found");
        assert!(matches!(f.source, Source::EcsRole { role: None }));
        assert!(found(&[OFF], None).expect("ok").is_none());
        let f = found(
            &[
                OFF,
                ("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/creds"),
            ],
            None,
        )
        .expect("ok")
        .expect("found");
        assert!(matches!(f.source, Source::Uri(_)));
        let f = found(
            &[("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/creds")],
            None,
        )
        .expect("ok")
        .expect("found");
        assert!(
            matches!(f.source, Source::EcsRoleOr { .. }),
            "{:?}",
            f.source
        );
    }
}
