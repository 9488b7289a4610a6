//! `.preflight.yaml`: project defaults for `validate` and `fetch`, found in the working
//! directory or the nearest parent (stopping at the repository root), or named with
//! `--config`. Flags win over the file, and the file over built-in defaults; list settings
//! (`rules`, `disable`, `include`, `exclude`) add to the flags'. Like plans, unknown keys and
//! bad values are input errors that point at the spot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cloud::Cloud;
use crate::clouds::Endpoint;
use crate::diagnostic::Severity;
use crate::error::{self, InputError};
use crate::files::Reader;
use crate::plan::Sp;
use crate::source::SourceFile;

pub const FILE_NAME: &str = ".preflight.yaml";

/// The settings, checked; paths are resolved against the config file's directory.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Where it was read from, if anywhere.
    pub path: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub disable: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub fail_on: Option<Severity>,
    pub allow_unverified: Option<bool>,
    /// `dry_run: true`: Alibaba's own verdict on each fully known launch (`--dry-run`).
    pub dry_run: Option<bool>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub endpoints: BTreeMap<Cloud, Endpoint>,
    pub concurrency: Option<usize>,
    pub timeout_secs: Option<f64>,
    pub cache_ttl_secs: Option<u64>,
    /// Rule ids named in `disable` and `severity`, with where, to check once rules are loaded.
    pub rule_refs: Vec<(String, miette::SourceSpan)>,
    pub source: Option<SourceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<Sp<String>>,
    #[serde(default)]
    disable: Vec<Sp<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Sp<String>>,
    fail_on: Option<Sp<String>>,
    allow_unverified: Option<bool>,
    dry_run: Option<bool>,
    #[serde(default)]
    include: Vec<Sp<String>>,
    #[serde(default)]
    exclude: Vec<Sp<String>>,
    #[serde(default)]
    endpoints: BTreeMap<String, Sp<String>>,
    concurrency: Option<Sp<i64>>,
    timeout: Option<Sp<f64>>,
    cache_ttl: Option<Sp<i64>>,
}

/// `--config FILE`, or the nearest `.preflight.yaml` from `start` up to the repository root.
pub fn find(
    explicit: Option<&Path>,
    start: &Path,
    reader: Reader,
) -> Result<Config, Vec<InputError>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => discover(start, reader),
    };
    match path {
        None => Ok(Config::default()),
        Some(path) => {
            let file = reader
                .read_source(&path, error::Kind::Config)
                .map_err(|e| vec![e])?;
            parse(&file, path.parent().unwrap_or(Path::new(".")))
        }
    }
}

/// The nearest config file, named relative to `start` (`.preflight.yaml`, `../.preflight.yaml`)
/// so that diagnostics show the path a person would type.
fn discover(start: &Path, reader: Reader) -> Option<PathBuf> {
    let absolute = start.canonicalize().ok()?;
    for (depth, dir) in absolute.ancestors().enumerate() {
        if reader.is_input(&dir.join(FILE_NAME)) {
            let mut relative = start.to_path_buf();
            for _ in 0..depth {
                relative.push("..");
            }
            relative.push(FILE_NAME);
            return Some(relative);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

pub fn parse(file: &SourceFile, base: &Path) -> Result<Config, Vec<InputError>> {
    let (raw, unread, _) = crate::yaml::read_all::<RawConfig>(file, error::Kind::Config);
    let Some(raw) = raw else {
        return Err(unread);
    };
    let mut errors = Vec::new();
    let at = |v: &Sp<String>| v.span(file);
    let mut config = Config {
        path: Some(PathBuf::from(file.name())),
        rules: raw.rules.iter().map(|r| base.join(r.get())).collect(),
        disable: raw.disable.iter().map(|d| d.get().clone()).collect(),
        allow_unverified: raw.allow_unverified,
        dry_run: raw.dry_run,
        include: raw.include.iter().map(|g| g.get().clone()).collect(),
        exclude: raw.exclude.iter().map(|g| g.get().clone()).collect(),
        source: Some(file.clone()),
        ..Config::default()
    };
    config.rule_refs = raw
        .disable
        .iter()
        .map(|d| (d.get().clone(), at(d)))
        .collect();
    let severity_of =
        |v: &Sp<String>, errors: &mut Vec<InputError>| match v.get().parse::<Severity>() {
            Ok(s) => Some(s),
            Err(msg) => {
                let mut e = InputError::at("config::bad-value", file, at(v), msg, "not a severity");
                if let Some(best) = crate::suggest::best(v.get(), ["error", "warning", "note"]) {
                    e = e.with_help(format!("did you mean `{best}`?"));
                }
                errors.push(e);
                None
            }
        };
    for (rule, level) in &raw.severity {
        if let Some(s) = severity_of(level, &mut errors) {
            config.severity.insert(rule.clone(), s);
            config.rule_refs.push((rule.clone(), at(level)));
        }
    }
    config.fail_on = raw
        .fail_on
        .as_ref()
        .and_then(|f| severity_of(f, &mut errors));
    for (cloud, url) in &raw.endpoints {
        match Cloud::parse(cloud) {
            None => errors.push(
                InputError::at(
                    "config::unknown-cloud",
                    file,
                    at(url),
                    format!("unknown cloud `{cloud}` in `endpoints`"),
                    "for which cloud?",
                )
                .with_help(format!(
                    "the keys of `endpoints` are {}",
                    crate::suggest::quoted_list(&Cloud::ALL.map(Cloud::as_str))
                )),
            ),
            Some(c) => match Endpoint::parse(url.get()) {
                Ok(e) => {
                    config.endpoints.insert(c, e);
                }
                Err(msg) => errors.push(InputError::at(
                    "config::bad-value",
                    file,
                    at(url),
                    msg,
                    "not a usable endpoint",
                )),
            },
        }
    }
    if let Some(n) = &raw.concurrency {
        match usize::try_from(*n.get()) {
            Ok(c) if (1..=256).contains(&c) => config.concurrency = Some(c),
            _ => errors.push(InputError::at(
                "config::bad-value",
                file,
                n.span(file),
                format!("`concurrency` must be between 1 and 256, not {}", n.get()),
                "out of range",
            )),
        }
    }
    if let Some(t) = &raw.timeout {
        if t.get().is_finite() && *t.get() > 0.0 {
            config.timeout_secs = Some(*t.get());
        } else {
            errors.push(InputError::at(
                "config::bad-value",
                file,
                t.span(file),
                "`timeout` must be a positive number of seconds",
                "not a timeout",
            ));
        }
    }
    if let Some(ttl) = &raw.cache_ttl {
        match u64::try_from(*ttl.get()) {
            Ok(s) => config.cache_ttl_secs = Some(s),
            Err(_) => errors.push(InputError::at(
                "config::bad-value",
                file,
                ttl.span(file),
                "`cache_ttl` must be a number of seconds, 0 or more",
                "not a duration",
            )),
        }
    }
    if errors.is_empty() && unread.is_empty() {
        Ok(config)
    } else {
        Err(crate::yaml::in_order(unread, errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, Vec<InputError>> {
        parse(
            &SourceFile::new(".preflight.yaml", text),
            Path::new("/repo"),
        )
    }

    #[test]
    fn reads_every_setting() {
        let c = parse_text("rules: [policies]\ndisable: [image-not-found]\nseverity: {image-unavailable: warning}\nfail_on: warning\nallow_unverified: true\ninclude: ['**/*.yaml']\nexclude: ['vendor/**']\nendpoints: {jdcloud: 'http://127.0.0.1:9'}\nconcurrency: 8\ntimeout: 2.5\ncache_ttl: 60\n").expect("parses");
        assert_eq!(c.rules, [PathBuf::from("/repo/policies")]);
        assert_eq!(
            c.severity.get("image-unavailable"),
            Some(&Severity::Warning)
        );
        assert_eq!(c.fail_on, Some(Severity::Warning));
        assert_eq!(
            (c.concurrency, c.timeout_secs, c.cache_ttl_secs),
            (Some(8), Some(2.5), Some(60))
        );
        assert_eq!(c.endpoints[&Cloud::Jdcloud].authority, "127.0.0.1:9");
    }

    #[test]
    fn bad_settings_point_at_the_key_or_value() {
        let e = parse_text("fail_on: warn\n").unwrap_err();
        assert_eq!(e[0].help_text(), Some("did you mean `warning`?"));
        let e = parse_text("timout: 3\n").unwrap_err();
        assert_eq!(e[0].code(), "config::unknown-key");
        assert_eq!(e[0].help_text(), Some("did you mean `timeout`?"));
        let e = parse_text("endpoints: {gcp: 'https://x'}\n").unwrap_err();
        assert_eq!(e[0].code(), "config::unknown-cloud");
        let e = parse_text("endpoints: {aliyun: 'http://10.0.0.1'}\n").unwrap_err();
        assert!(e[0].message().contains("loopback"));
    }
}
