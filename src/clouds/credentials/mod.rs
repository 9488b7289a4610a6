//! Where each cloud's access key comes from (product contract §6, ground-truth "Credentials"):
//! environment variables, then the cloud's own files; for Alibaba the official SDK's whole
//! chain, with Terraform's names too (`aliyun.rs`), some of whose sources are a role to assume
//! or a metadata service to ask (`exchange.rs`). Secrets are wrapped so that they never print
//! (`Debug` and `Display` show `***`), and what a source says about itself (`Found::described`)
//! names variables, files, profiles and roles, never a secret or a whole key id. Temporary
//! credentials from an exchange live in memory only.

mod aliyun;
mod exchange;

use std::fmt;
use std::path::Path;

pub use exchange::{Exchanger, resolve, signed_sts};

use super::Cloud;

/// STS's action for assuming a role with a key (`preflight permissions` names it).
pub const ASSUME_ROLE: &str = "AssumeRole";

/// A secret value; shown only to the signer.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An access key pair (and an STS token, for Alibaba), ready to sign with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: Option<Secret>,
    /// Who they act as, for cache keys: the key id, or the role a temporary key was issued
    /// for (a new temporary key each run must still find the cache).
    pub scope: String,
}

impl Credentials {
    fn key(id: String, secret: String, token: Option<String>) -> Credentials {
        Credentials {
            scope: id.clone(),
            access_key_id: id,
            secret: Secret::new(secret),
            token: token.map(Secret::new),
        }
    }
}

/// A role to assume with a key (`AssumeRole`, signed).
#[derive(Debug, Clone)]
pub struct AssumeRole {
    pub with: Box<Source>,
    pub role_arn: String,
    pub session: String,
    pub external_id: Option<String>,
    pub policy: Option<String>,
    pub seconds: u32,
    pub sts_host: String,
}

/// A role to assume with an OIDC token (`AssumeRoleWithOIDC`, unsigned).
#[derive(Debug, Clone)]
pub struct Oidc {
    pub role_arn: String,
    pub provider_arn: String,
    pub token_file: String,
    pub session: String,
    pub policy: Option<String>,
    pub seconds: u32,
    pub sts_host: String,
}

/// How to get credentials: a key as is, or an exchange.
#[derive(Debug, Clone)]
pub enum Source {
    Key(Credentials),
    AssumeRole(AssumeRole),
    Oidc(Oidc),
    /// The ECS instance's RAM role, from the metadata service; the role named, or asked.
    EcsRole {
        role: Option<String>,
    },
    /// The instance's role, or, when the metadata service does not answer, the URI.
    EcsRoleOr {
        role: Option<String>,
        uri: String,
    },
    /// `ALIBABA_CLOUD_CREDENTIALS_URI`: a service that answers with a temporary key.
    Uri(String),
}

impl Source {
    /// Who the credentials act as, known without the network, for cache keys.
    pub fn scope(&self) -> String {
        match self {
            Source::Key(c) => c.scope.clone(),
            Source::AssumeRole(r) => format!("role:{}", r.role_arn),
            Source::Oidc(o) => format!("role:{}", o.role_arn),
            Source::EcsRole { role } | Source::EcsRoleOr { role, .. } => {
                format!("ecs-ram-role:{}", role.as_deref().unwrap_or(""))
            }
            Source::Uri(uri) => format!("uri:{uri}"),
        }
    }

    /// Whether using it takes a request first.
    pub fn exchanges(&self) -> bool {
        !matches!(self, Source::Key(_))
    }
}

/// What was found for a cloud, and where, for people.
#[derive(Debug, Clone)]
pub struct Found {
    pub source: Source,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID and … (key LTAI…3F)`: never a secret or a whole key id.
    pub described: String,
    /// Nothing was configured: this is the chain's last try (the ECS instance's role), whose
    /// failure means "no credentials", not a broken source.
    pub last_try: bool,
}

impl Found {
    fn new(source: Source, described: String) -> Found {
        Found {
            source,
            described,
            last_try: false,
        }
    }
}

/// Looks up environment variables; a closure so tests can pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The credentials for `cloud`, or why there are none (naming what to set). A source that is
/// configured but broken (an unreadable token file, a profile mode preflight cannot use) is an
/// error, not a reason to try the next: that would ask another account.
pub fn find(cloud: Cloud, env: Env, home: Option<&Path>) -> Result<Found, String> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    match cloud {
        Cloud::Jdcloud => match pair(&var, "JDCLOUD_ACCESS_KEY", "JDCLOUD_SECRET_KEY", None) {
            Some(found) => Ok(found),
            None => home
                .map(jdc_config)
                .transpose()?
                .flatten()
                .ok_or_else(|| missing(cloud)),
        },
        Cloud::Aliyun => aliyun::find(&var, home)?.ok_or_else(|| missing(cloud)),
        Cloud::Zenlayer => pair(
            &var,
            "ZENLAYER_ACCESS_KEY_ID",
            "ZENLAYER_ACCESS_KEY_SECRET",
            None,
        )
        .or_else(|| {
            pair(
                &var,
                "ZENLAYERCLOUD_ACCESS_KEY_ID",
                "ZENLAYERCLOUD_ACCESS_KEY_PASSWORD",
                None,
            )
        })
        .map_or_else(
            || {
                home.map(|h| zenlayer_credentials(h, var("ZENLAYER_PROFILE")))
                    .transpose()?
                    .flatten()
                    .ok_or_else(|| missing(cloud))
            },
            Ok,
        ),
    }
}

/// Alibaba's STS host for a key from the environment (`ALIBABA_CLOUD_STS_REGION`, …).
pub fn sts_host(env: Env) -> String {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    aliyun::sts_host(&var, None, None)
}

/// Why there are no credentials, when the chain's last try failed too.
pub fn none_found(cloud: Cloud, last_try: &str) -> String {
    format!("{}; {last_try}", missing(cloud))
}

/// A key from two (or three, with a token) environment variables.
fn pair(
    var: &dyn Fn(&str) -> Option<String>,
    id: &str,
    secret: &str,
    token: Option<&str>,
) -> Option<Found> {
    let key = var(id)?;
    let described = format!("{id} and {secret} (key {})", masked(&key));
    let described = match token.and_then(var) {
        Some(_) => format!("{described}, with {}", token.unwrap_or_default()),
        None => described,
    };
    Some(Found::new(
        Source::Key(Credentials::key(key, var(secret)?, token.and_then(var))),
        described,
    ))
}

/// A key id as people may see it: its first four and last two characters.
pub fn masked(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        "…".to_string()
    } else {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}…{tail}")
    }
}

fn missing(cloud: Cloud) -> String {
    let how = match cloud {
        Cloud::Jdcloud => {
            "set JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY (the JD Terraform provider calls them `access_key` and `secret_key`), or configure the `jdc` CLI (~/.jdc/config)"
        }
        Cloud::Aliyun => {
            "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or Terraform's ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY), configure OIDC (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), or the `aliyun` CLI (~/.aliyun/config.json); `preflight credentials` shows what was looked for"
        }
        Cloud::Zenlayer => {
            "set ZENLAYER_ACCESS_KEY_ID and ZENLAYER_ACCESS_KEY_SECRET (or Terraform's ZENLAYERCLOUD_ACCESS_KEY_ID and ZENLAYERCLOUD_ACCESS_KEY_PASSWORD), or write ~/.zenlayer/credentials.json"
        }
    };
    format!("no {} credentials: {how}", cloud.display_name())
}

/// A credentials file's text, `None` when there is no such file. One that is there but
/// cannot be used (unreadable, over 1 MiB, which no credentials file is, not UTF-8, a pipe
/// that never ends) is an error: skipping it would pass over what the user configured.
fn read_small(path: &Path) -> Result<Option<String>, String> {
    use crate::files::ReadError;
    const LIMIT: usize = 1024 * 1024;
    let bytes = match crate::files::read_capped(path, LIMIT) {
        Ok(bytes) => bytes,
        Err(ReadError::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(ReadError::Io(e)) => {
            return Err(format!(
                "cannot read {}: {}",
                path.display(),
                crate::files::io_reason(&e)
            ));
        }
        Err(ReadError::TooBig(_)) => {
            return Err(format!(
                "{} is larger than 1 MiB, which no credentials file is, so preflight did not read it",
                path.display()
            ));
        }
        Err(ReadError::Blocked(waited)) => {
            return Err(format!(
                "{} is not a regular file, and reading it did not end within {} s",
                path.display(),
                waited.as_secs_f64()
            ));
        }
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// The sections of an INI file: `[name]` then `key = value` lines; `#` and `;` start comments.
fn ini_sections(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with(['#', ';']) || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_string(), Vec::new()));
        } else if let (Some((k, v)), Some(last)) = (line.split_once('='), sections.last_mut()) {
            let v = v.split(" #").next().unwrap_or(v);
            last.1.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    sections
}

fn ini_value<'a>(section: &'a [(String, String)], key: &str) -> Option<&'a str> {
    section
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `~/.jdc/config` (INI, a section per profile) with the profile named in `~/.jdc/current`.
fn jdc_config(home: &Path) -> Result<Option<Found>, String> {
    let profile = read_small(&home.join(".jdc/current"))?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let Some(text) = read_small(&home.join(".jdc/config"))? else {
        return Ok(None);
    };
    let sections = ini_sections(&text);
    let key = || {
        let (_, section) = sections.iter().find(|(name, _)| *name == profile)?;
        let id = ini_value(section, "access_key")?.to_string();
        let secret = ini_value(section, "secret_key")?.to_string();
        Some(Found::new(
            Source::Key(Credentials::key(id.clone(), secret, None)),
            format!("~/.jdc/config, profile `{profile}` (key {})", masked(&id)),
        ))
    };
    Ok(key())
}

/// `~/.zenlayer/credentials.json`: `{"<profile>": {"access_key_id", "access_key_secret"}}`.
fn zenlayer_credentials(home: &Path, profile: Option<String>) -> Result<Option<Found>, String> {
    let Some(text) = read_small(&home.join(".zenlayer/credentials.json"))? else {
        return Ok(None);
    };
    Ok(zenlayer_profile(&text, profile))
}

fn zenlayer_profile(text: &str, profile: Option<String>) -> Option<Found> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = profile.unwrap_or_else(|| "default".to_string());
    let p = &json[name.as_str()];
    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let id = text("access_key_id")?;
    let described = format!(
        "~/.zenlayer/credentials.json, profile `{name}` (key {})",
        masked(&id)
    );
    Some(Found::new(
        Source::Key(Credentials::key(id, text("access_key_secret")?, None)),
        described,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn key(found: Found) -> Credentials {
        match found.source {
            Source::Key(c) => c,
            other => panic!("not a key: {other:?}"),
        }
    }

    #[test]
    fn environment_wins_and_secrets_never_print() {
        let e = env(&[
            ("JDCLOUD_ACCESS_KEY", "AKIDJD0001"),
            ("JDCLOUD_SECRET_KEY", "very-secret"),
        ]);
        let found = find(Cloud::Jdcloud, &e, None).expect("found");
        assert_eq!(
            found.described,
            "JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY (key AKID…01)"
        );
        let c = key(found);
        assert_eq!(c.access_key_id, "AKIDJD0001");
        assert_eq!(c.secret.expose(), "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn missing_credentials_name_the_variables() {
        let e = env(&[("ZENLAYER_ACCESS_KEY_ID", "only-half")]);
        let why = find(Cloud::Zenlayer, &e, None).unwrap_err();
        assert!(why.contains("ZENLAYER_ACCESS_KEY_SECRET"), "{why}");
        let e = env(&[
            ("ZENLAYERCLOUD_ACCESS_KEY_ID", "a"),
            ("ZENLAYERCLOUD_ACCESS_KEY_PASSWORD", "b"),
        ]);
        assert_eq!(
            key(find(Cloud::Zenlayer, &e, None).expect("terraform names")).access_key_id,
            "a"
        );
        let why = find(Cloud::Jdcloud, &env(&[("access_key", "x")]), None).unwrap_err();
        assert!(
            why.contains("calls them `access_key` and `secret_key`"),
            "{why}"
        );
    }

    #[test]
    fn reads_the_jd_and_zenlayer_files() {
        let home = std::env::temp_dir().join(format!("preflight-creds-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".jdc")).expect("mkdir");
        std::fs::create_dir_all(home.join(".zenlayer")).expect("mkdir");
        std::fs::write(home.join(".jdc/current"), "work\n").expect("write");
        std::fs::write(
            home.join(".jdc/config"),
            "[default]\naccess_key = D\nsecret_key = d\n[work]\naccess_key = W\nsecret_key = w\n",
        )
        .expect("write");
        std::fs::write(
            home.join(".zenlayer/credentials.json"),
            r#"{"default":{"access_key_id":"Z","access_key_secret":"z"}}"#,
        )
        .expect("write");
        let none = env(&[]);
        assert_eq!(
            key(find(Cloud::Jdcloud, &none, Some(&home)).expect("jdc")).access_key_id,
            "W"
        );
        assert_eq!(
            key(find(Cloud::Zenlayer, &none, Some(&home)).expect("zl")).access_key_id,
            "Z"
        );
        let _ = std::fs::remove_dir_all(home);
    }

    /// A fresh directory to play a home directory in.
    pub fn scratch_home() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let home = std::env::temp_dir().join(format!(
            "preflight-home-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        home
    }

    #[test]
    fn key_ids_are_shown_masked() {
        assert_eq!(masked("LTAI5tAbCdEfGh12"), "LTAI…12");
        assert_eq!(masked("short"), "…");
    }
}
