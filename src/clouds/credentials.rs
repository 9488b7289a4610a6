//! Where each cloud's access key comes from (product contract §6): environment variables
//! first, then the cloud's official CLI configuration. Secrets are wrapped so that they never
//! print: `Debug` and `Display` show `***`.

use std::fmt;
use std::path::Path;

use super::Cloud;

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

/// An access key pair (and an STS token, for Alibaba).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: Option<Secret>,
    /// Where they came from, for `-v`.
    pub origin: String,
}

/// Looks up environment variables; a closure so tests can pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The credentials for `cloud`, or why there are none (naming what to set).
pub fn find(cloud: Cloud, env: Env, home: Option<&Path>) -> Result<Credentials, String> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let pair = |id: &str, secret: &str| -> Option<Credentials> {
        Some(Credentials {
            access_key_id: var(id)?,
            secret: Secret::new(var(secret)?),
            token: None,
            origin: format!("{id} and {secret}"),
        })
    };
    let found = match cloud {
        Cloud::Jdcloud => {
            pair("JDCLOUD_ACCESS_KEY", "JDCLOUD_SECRET_KEY").or_else(|| home.and_then(jdc_config))
        }
        Cloud::Aliyun => pair(
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        )
        .map(|mut c| {
            c.token = var("ALIBABA_CLOUD_SECURITY_TOKEN").map(Secret::new);
            c
        })
        .or_else(|| home.and_then(|h| aliyun_config(h, var("ALIBABA_CLOUD_PROFILE")))),
        Cloud::Zenlayer => pair("ZENLAYER_ACCESS_KEY_ID", "ZENLAYER_ACCESS_KEY_SECRET")
            .or_else(|| {
                pair(
                    "ZENLAYERCLOUD_ACCESS_KEY_ID",
                    "ZENLAYERCLOUD_ACCESS_KEY_PASSWORD",
                )
            })
            .or_else(|| home.and_then(|h| zenlayer_credentials(h, var("ZENLAYER_PROFILE")))),
    };
    found.ok_or_else(|| missing(cloud))
}

fn missing(cloud: Cloud) -> String {
    let how = match cloud {
        Cloud::Jdcloud => {
            "set JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY, or configure the `jdc` CLI (~/.jdc/config)"
        }
        Cloud::Aliyun => {
            "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure the `aliyun` CLI (~/.aliyun/config.json)"
        }
        Cloud::Zenlayer => {
            "set ZENLAYER_ACCESS_KEY_ID and ZENLAYER_ACCESS_KEY_SECRET, or write ~/.zenlayer/credentials.json"
        }
    };
    format!("no {} credentials: {how}", cloud.display_name())
}

/// A credentials file's text; at most 1 MiB (none is larger), UTF-8.
fn read_small(path: &Path) -> Option<String> {
    let bytes = crate::files::read_capped(path, 1024 * 1024).ok()?;
    String::from_utf8(bytes).ok()
}

/// `~/.jdc/config` (INI, a section per profile) with the profile named in `~/.jdc/current`.
fn jdc_config(home: &Path) -> Option<Credentials> {
    let profile = read_small(&home.join(".jdc/current"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let text = read_small(&home.join(".jdc/config"))?;
    let mut section = String::new();
    let (mut id, mut secret) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if section == profile
            && let Some((k, v)) = line.split_once('=')
        {
            match k.trim() {
                "access_key" => id = Some(v.trim().to_string()),
                "secret_key" => secret = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(Credentials {
        access_key_id: id.filter(|s| !s.is_empty())?,
        secret: Secret::new(secret.filter(|s| !s.is_empty())?),
        token: None,
        origin: format!("~/.jdc/config [{profile}]"),
    })
}

/// `~/.aliyun/config.json`: `{"current": …, "profiles": [{"name", "access_key_id", …}]}`.
fn aliyun_config(home: &Path, profile: Option<String>) -> Option<Credentials> {
    let text = read_small(&home.join(".aliyun/config.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = profile.or_else(|| json["current"].as_str().map(str::to_string))?;
    let p = json["profiles"]
        .as_array()?
        .iter()
        .find(|p| p["name"].as_str() == Some(name.as_str()))?;
    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Some(Credentials {
        access_key_id: text("access_key_id")?,
        secret: Secret::new(text("access_key_secret")?),
        token: text("sts_token").map(Secret::new),
        origin: format!("~/.aliyun/config.json [{name}]"),
    })
}

/// `~/.zenlayer/credentials.json`: `{"<profile>": {"access_key_id", "access_key_secret"}}`.
fn zenlayer_credentials(home: &Path, profile: Option<String>) -> Option<Credentials> {
    let text = read_small(&home.join(".zenlayer/credentials.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = profile.unwrap_or_else(|| "default".to_string());
    let p = &json[name.as_str()];
    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Some(Credentials {
        access_key_id: text("access_key_id")?,
        secret: Secret::new(text("access_key_secret")?),
        token: None,
        origin: format!("~/.zenlayer/credentials.json [{name}]"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn environment_wins_and_secrets_never_print() {
        let e = env(&[
            ("JDCLOUD_ACCESS_KEY", "AK1"),
            ("JDCLOUD_SECRET_KEY", "very-secret"),
        ]);
        let c = find(Cloud::Jdcloud, &e, None).expect("found");
        assert_eq!(c.access_key_id, "AK1");
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
            find(Cloud::Zenlayer, &e, None)
                .expect("terraform names")
                .access_key_id,
            "a"
        );
    }

    #[test]
    fn reads_the_cli_files() {
        let home = std::env::temp_dir().join(format!("preflight-creds-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".jdc")).expect("mkdir");
        std::fs::create_dir_all(home.join(".aliyun")).expect("mkdir");
        std::fs::create_dir_all(home.join(".zenlayer")).expect("mkdir");
        std::fs::write(home.join(".jdc/current"), "work\n").expect("write");
        std::fs::write(
            home.join(".jdc/config"),
            "[default]\naccess_key = D\nsecret_key = d\n[work]\naccess_key = W\nsecret_key = w\n",
        )
        .expect("write");
        std::fs::write(
            home.join(".aliyun/config.json"),
            r#"{"current":"p","profiles":[{"name":"p","mode":"StsToken","access_key_id":"A","access_key_secret":"a","sts_token":"t"}]}"#,
        )
        .expect("write");
        std::fs::write(
            home.join(".zenlayer/credentials.json"),
            r#"{"default":{"access_key_id":"Z","access_key_secret":"z"}}"#,
        )
        .expect("write");
        let none = env(&[]);
        assert_eq!(
            find(Cloud::Jdcloud, &none, Some(&home))
                .expect("jdc")
                .access_key_id,
            "W"
        );
        let a = find(Cloud::Aliyun, &none, Some(&home)).expect("aliyun");
        assert_eq!(
            (
                a.access_key_id.as_str(),
                a.token.map(|t| t.expose().to_string())
            ),
            ("A", Some("t".to_string()))
        );
        assert_eq!(
            find(Cloud::Zenlayer, &none, Some(&home))
                .expect("zl")
                .access_key_id,
            "Z"
        );
        let _ = std::fs::remove_dir_all(home);
    }
}
