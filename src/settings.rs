//! One resolution of what a run is told (its flags, the config file found from a start
//! directory or named with `--config`, and the environment) into what it uses: the config,
//! how to fetch, the gate, the globs and rule directories, and how long a read may block.
//! Flags win over the config file, which wins over defaults; endpoints come from the
//! environment first. `validate`, `fetch`, `credentials` and the language server all resolve
//! here, so the editor and CI judge a plan alike.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::NetworkArgs;
use crate::clouds::FetchConfig;
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::error::InputError;
use crate::files::Reader;
use crate::report::Gate;

/// What the user asked for, before the config file and the environment are read.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    /// `--config`, else the nearest `.preflight.yaml` from `start` up.
    pub config: Option<&'a Path>,
    pub start: &'a Path,
    pub network: &'a NetworkArgs,
    /// A facts file is given: nothing is fetched.
    pub facts: bool,
    /// Ask no cloud: the cache only.
    pub offline: bool,
    pub fail_on: Option<Severity>,
    pub allow_unverified: bool,
    pub include: &'a [String],
    pub exclude: &'a [String],
    pub rules: &'a [PathBuf],
    /// Where the config file is read from.
    pub reader: Reader<'a>,
}

impl<'a> Asked<'a> {
    /// Nothing asked beyond the defaults, from `start`.
    pub fn defaults(start: &'a Path, network: &'a NetworkArgs) -> Self {
        Asked {
            config: None,
            start,
            network,
            facts: false,
            offline: false,
            fail_on: None,
            allow_unverified: false,
            include: &[],
            exclude: &[],
            rules: &[],
            reader: Reader::DISK,
        }
    }
}

/// What a run uses.
pub struct Settings {
    pub config: Config,
    /// `None` with a facts file: nothing is fetched.
    pub fetch: Option<FetchConfig>,
    pub gate: Gate,
    /// The config file's globs, then the flags'.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The config file's rule directories, then the flags'.
    pub rule_dirs: Vec<PathBuf>,
    /// How long reading a FIFO or a device may take: the fetch deadline.
    pub read_deadline: Duration,
}

/// Resolves what was asked against the config file and the environment.
pub fn resolve(asked: &Asked) -> Result<Settings, Vec<InputError>> {
    let config = crate::config::find(asked.config, asked.start, asked.reader)?;
    let fetch = if asked.facts {
        None
    } else {
        let mut fetch = fetch_config(asked.network, &config).map_err(|e| vec![e])?;
        fetch.offline = asked.offline;
        Some(fetch)
    };
    let gate = Gate {
        fail_on: asked.fail_on.or(config.fail_on).unwrap_or(Severity::Error),
        allow_unverified: asked.allow_unverified || config.allow_unverified.unwrap_or(false),
    };
    Ok(Settings {
        include: [config.include.clone(), asked.include.to_vec()].concat(),
        exclude: [config.exclude.clone(), asked.exclude.to_vec()].concat(),
        rule_dirs: [config.rules.clone(), asked.rules.to_vec()].concat(),
        read_deadline: read_deadline(asked.network, &config),
        fetch,
        gate,
        config,
    })
}

/// `--timeout`, else the config file's, else a minute: a read of a FIFO waits as long as a
/// cloud may.
pub fn read_deadline(network: &NetworkArgs, file: &Config) -> Duration {
    let secs = network
        .timeout
        .or(file.timeout_secs)
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(60.0)
        .min(86_400.0);
    Duration::from_secs_f64(secs)
}

/// Endpoints (environment over config file), limits (flags over config file over defaults),
/// cache settings and request logging for `-v`.
pub fn fetch_config(
    network: &NetworkArgs,
    file: &crate::config::Config,
) -> Result<crate::clouds::FetchConfig, crate::error::InputError> {
    let env: crate::clouds::EnvLookup = std::sync::Arc::new(|k: &str| std::env::var(k).ok());
    let mut config = crate::clouds::FetchConfig::from_env(env)
        .map_err(|e| crate::error::InputError::new("input::bad-endpoint", e))?;
    for (cloud, endpoint) in &file.endpoints {
        config
            .endpoints
            .entry(*cloud)
            .or_insert_with(|| endpoint.clone());
    }
    let timeout = network.timeout.or(file.timeout_secs).unwrap_or(60.0);
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(crate::error::InputError::new(
            "input::bad-flag",
            format!("--timeout must be a positive number of seconds, not {timeout}"),
        ));
    }
    config.timeout = std::time::Duration::from_secs_f64(timeout.min(86_400.0));
    config.request_timeout = config.request_timeout.min(config.timeout);
    if let Some(n) = network.concurrency.map(usize::from).or(file.concurrency) {
        config.concurrency = n;
    }
    let ttl = file
        .cache_ttl_secs
        .map_or(crate::cache::DEFAULT_TTL, std::time::Duration::from_secs);
    config.dry_run = network.dry_run || file.dry_run.unwrap_or(false);
    config.cache = if network.no_cache {
        None
    } else {
        config.cache.map(|c| c.with(ttl, !network.refresh))
    };
    Ok(config)
}
