//! Asking the clouds: the only code that touches the network. `fetch` turns the deduplicated
//! needs of all plans (`needs`) into the fewest signed requests, runs them concurrently
//! (bounded) through each API's provider (`provider`), and answers with `Facts`, recording
//! every fact it could not get and why. `endpoint` says where each API is.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cloud::{Api, ChargeType, Cloud};
use crate::facts::{Facts, RegionFacts};

pub mod aliyun;
pub mod check;
pub mod credentials;
mod endpoint;
pub mod http;
pub mod jdcloud;
mod needs;
pub mod permissions;
pub mod provider;
pub mod rate;
pub mod sign;
pub mod slots;
pub mod zenlayer;

use credentials::Credentials;
pub use endpoint::Endpoint;
use http::Http;
pub use needs::{Needs, RegionNeeds};

/// Pages asked for one query at most, should a cloud page below the size asked.
pub const MAX_PAGES: usize = 100;

/// Environment lookups, shared with the fetching tasks.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Receives one line per answer and retry, for a progress display.
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

/// How to fetch: endpoints, limits, time.
#[derive(Clone)]
pub struct FetchConfig {
    /// Overrides of the real endpoints, per cloud.
    pub endpoints: BTreeMap<Cloud, Endpoint>,
    /// What a cloud's Terraform provider is pointed at (`ZENLAYERCLOUD_DOMAIN` and
    /// `ZENLAYERCLOUD_SCHEME`), used when no override names the cloud.
    pub provider_endpoints: BTreeMap<Cloud, Endpoint>,
    /// `PREFLIGHT_ALIYUN_STS_ENDPOINT`: where Alibaba's STS is, for roles and OIDC.
    pub sts_endpoint: Option<Endpoint>,
    /// `PREFLIGHT_ALIYUN_METADATA_ENDPOINT`: the ECS metadata service, for the instance's role.
    pub metadata_endpoint: Endpoint,
    /// Requests in flight at once, across all clouds.
    pub concurrency: usize,
    /// The overall deadline for all fetching.
    pub timeout: Duration,
    pub request_timeout: Duration,
    /// Further tries after a transient fault.
    pub retries: u32,
    /// Environment lookups (credentials).
    pub env: EnvLookup,
    pub home: Option<PathBuf>,
    /// Receives one line per answer and retry, for a progress display.
    pub log: Option<Log>,
    /// `None` with `--no-cache`.
    pub cache: Option<crate::cache::Cache>,
    /// Answer from the cache only (`--offline`).
    pub offline: bool,
    /// Notified to give up (the language server's cancel button): what was not answered by
    /// then is unverified, as at the deadline.
    pub cancel: Option<Arc<tokio::sync::Notify>>,
    /// Send Alibaba's `RunInstances` with `DryRun=true` for each fully known launch.
    pub dry_run: bool,
}

impl FetchConfig {
    /// Defaults, with endpoint overrides from `PREFLIGHT_*_ENDPOINT` in `env`.
    pub fn from_env(env: EnvLookup) -> Result<FetchConfig, String> {
        let mut endpoints = BTreeMap::new();
        for cloud in Cloud::ALL {
            let var = format!("PREFLIGHT_{}_ENDPOINT", cloud.as_str().to_ascii_uppercase());
            if let Some(value) = env(&var).filter(|v| !v.trim().is_empty()) {
                endpoints.insert(
                    cloud,
                    Endpoint::parse(&value).map_err(|e| format!("{var}: {e}"))?,
                );
            }
        }
        let mut provider_endpoints = BTreeMap::new();
        if let Some(domain) = env("ZENLAYERCLOUD_DOMAIN").filter(|v| !v.trim().is_empty()) {
            let scheme = env("ZENLAYERCLOUD_SCHEME")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "HTTPS".to_string());
            if !["http", "https"].contains(&scheme.to_ascii_lowercase().as_str()) {
                return Err(format!(
                    "ZENLAYERCLOUD_SCHEME: `{scheme}` is neither HTTP nor HTTPS"
                ));
            }
            let text = format!("{}://{}", scheme.to_ascii_lowercase(), domain.trim());
            provider_endpoints.insert(
                Cloud::Zenlayer,
                Endpoint::parse(&text)
                    .map_err(|e| format!("ZENLAYERCLOUD_DOMAIN and ZENLAYERCLOUD_SCHEME: {e}"))?,
            );
        }
        let sts_endpoint = match env("PREFLIGHT_ALIYUN_STS_ENDPOINT")
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => Some(
                Endpoint::parse(&v).map_err(|e| format!("PREFLIGHT_ALIYUN_STS_ENDPOINT: {e}"))?,
            ),
            None => None,
        };
        let metadata_endpoint =
            match env("PREFLIGHT_ALIYUN_METADATA_ENDPOINT").filter(|v| !v.trim().is_empty()) {
                Some(v) => Endpoint::parse_metadata(&v)
                    .map_err(|e| format!("PREFLIGHT_ALIYUN_METADATA_ENDPOINT: {e}"))?,
                None => Endpoint::metadata(),
            };
        let home = env("HOME").map(PathBuf::from);
        let cache = crate::cache::Cache::default_dir(&*env)
            .map(|dir| crate::cache::Cache::new(dir, crate::cache::DEFAULT_TTL, true));
        Ok(FetchConfig {
            cache,
            offline: false,
            cancel: None,
            endpoints,
            provider_endpoints,
            sts_endpoint,
            metadata_endpoint,
            concurrency: 32,
            timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            retries: 3,
            env,
            home,
            log: None,
            dry_run: false,
        })
    }

    /// The endpoint configured for `cloud` (the environment, the provider's own variables,
    /// the config file), if any: it then answers for every API of the cloud.
    fn configured(&self, cloud: Cloud) -> Option<Endpoint> {
        self.endpoints
            .get(&cloud)
            .or_else(|| self.provider_endpoints.get(&cloud))
            .cloned()
    }

    fn endpoint(&self, cloud: Cloud, region: &str) -> Endpoint {
        self.endpoints
            .get(&cloud)
            .or_else(|| self.provider_endpoints.get(&cloud))
            .cloned()
            .unwrap_or_else(|| {
                // Zenlayer's services share one host: the cloud's first API says where.
                provider::of(Api::of(cloud, crate::cloud::Service::Vm)).endpoint(region)
            })
    }
}

/// What a fetch produced.
pub struct Fetched {
    pub facts: Facts,
    /// HTTP requests sent, retries included.
    pub requests: usize,
    /// Answers taken from the cache instead.
    pub cache_hits: usize,
    /// What went wrong beside the answers (the cache), each said once.
    pub warnings: Vec<String>,
}

/// Everything a cloud client needs for one cloud.
pub struct Client {
    pub cloud: Cloud,
    pub http: Arc<Http>,
    pub credentials: Credentials,
    pub config: FetchConfig,
}

impl Client {
    /// The account, for cache keys: a hash of the access key id, never the key itself.
    pub fn cache_scope(&self) -> String {
        sign::sha256_hex(self.credentials.scope.as_bytes())
    }

    /// Sends one operation through the shared transport, cached under this account.
    pub async fn send(
        &self,
        operation: &str,
        priority: slots::Priority,
        build: impl Fn() -> http::Call,
        classify: impl Fn(&http::Response) -> http::Class,
    ) -> Result<http::Answer, String> {
        self.http
            .send(
                self.cloud,
                operation,
                priority,
                &self.cache_scope(),
                build,
                classify,
            )
            .await
    }
}

/// Fetches every fact `needs` asks for. Never fails as a whole: what could not be fetched is
/// recorded, with the reason, in the facts.
pub fn fetch(needs: &Needs, config: &FetchConfig) -> Fetched {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return failed_everywhere(needs, &format!("cannot start the network runtime: {e}"));
        }
    };
    match &config.cancel {
        None => runtime.block_on(fetch_async(needs, config)),
        Some(cancel) => runtime.block_on(async {
            tokio::select! {
                fetched = fetch_async(needs, config) => fetched,
                () = cancel.notified() => failed_everywhere(needs, "the fetch was cancelled"),
            }
        }),
    }
}

async fn fetch_async(needs: &Needs, config: &FetchConfig) -> Fetched {
    let deadline = tokio::time::Instant::now() + config.timeout;
    if let Some(cache) = &config.cache {
        cache.prune();
    }
    let http = match Http::new(config, deadline) {
        Ok(h) => Arc::new(h),
        Err(e) => return failed_everywhere(needs, &e),
    };
    let mut facts = Facts::new();
    facts.dry_run = config.dry_run;
    facts.fetched_at = Some(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let mut tasks = Vec::new();
    let mut found: BTreeMap<Cloud, Result<Credentials, String>> = BTreeMap::new();
    let exchanger = credentials::Exchanger::new(&http, config);
    for api in needs.apis() {
        let regions = needs.of(api);
        let cloud = api.cloud();
        if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(cloud) {
            slot.insert(credentials_for(cloud, config, &exchanger).await);
        }
        let credentials = &found[&cloud];
        match credentials {
            Err(why) => {
                for (region, _) in regions {
                    facts.clouds.entry(api).or_default().insert(
                        region,
                        RegionFacts {
                            error: Some(why.clone()),
                            ..RegionFacts::default()
                        },
                    );
                }
            }
            Ok(credentials) => {
                let client = Arc::new(Client {
                    cloud,
                    http: Arc::clone(&http),
                    credentials: credentials.clone(),
                    config: config.clone(),
                });
                let fetching = provider::of(api).fetch(client, regions);
                tasks.push(tokio::spawn(async move { (api, fetching.await) }));
            }
        }
    }
    for task in tasks {
        if let Ok((api, regions)) = task.await {
            facts.clouds.entry(api).or_default().extend(regions);
        }
    }
    Fetched {
        requests: http.requests(),
        cache_hits: http.cache_hits(),
        warnings: config
            .cache
            .as_ref()
            .map(crate::cache::Cache::take_warnings)
            .unwrap_or_default(),
        facts,
    }
}

/// A cloud's credentials: found, then (for roles and the instance role) exchanged. Offline,
/// only the cache answers: it needs to know whose answers to look for, never a key.
async fn credentials_for(
    cloud: Cloud,
    config: &FetchConfig,
    exchanger: &credentials::Exchanger<'_>,
) -> Result<Credentials, String> {
    let found = credentials::find(cloud, &*config.env, config.home.as_deref())?;
    if config.offline {
        return Ok(Credentials {
            access_key_id: String::new(),
            secret: credentials::Secret::new(""),
            token: None,
            scope: found.source.scope(),
        });
    }
    credentials::resolve(&found, exchanger)
        .await
        .map_err(|why| {
            if found.last_try {
                credentials::none_found(cloud, &why)
            } else {
                format!(
                    "{} credentials ({}): {why}",
                    cloud.display_name(),
                    found.described
                )
            }
        })
}

fn failed_everywhere(needs: &Needs, why: &str) -> Fetched {
    let mut facts = Facts::new();
    for (api, region) in needs.regions.keys() {
        facts.clouds.entry(*api).or_default().insert(
            region.clone(),
            RegionFacts {
                error: Some(why.to_string()),
                ..RegionFacts::default()
            },
        );
    }
    Fetched {
        facts,
        requests: 0,
        cache_hits: 0,
        warnings: Vec::new(),
    }
}

/// Fetches every region of one cloud at once with `fetch_region`.
pub async fn per_region<F, Fut>(
    client: Arc<Client>,
    regions: Vec<(String, RegionNeeds)>,
    fetch_region: F,
) -> Vec<(String, RegionFacts)>
where
    F: Fn(Arc<Client>, String, RegionNeeds) -> Fut,
    Fut: Future<Output = RegionFacts> + Send + 'static,
{
    let futures = regions
        .into_iter()
        .map(|(region, needs)| {
            let facts = fetch_region(Arc::clone(&client), region.clone(), needs);
            async move { (region, facts.await) }
        })
        .collect();
    all(futures).await
}

/// A text field of a cloud's JSON answer (`Code`, `message` …), or empty.
pub fn text_field(json: Option<&serde_json::Value>, key: &str) -> String {
    json.and_then(|j| j[key].as_str()).unwrap_or("").to_string()
}

/// `ask` once for each charge type the region's entries are bought with, concurrently: the
/// charge types with their answers.
pub async fn per_charge<T, F, Fut>(
    client: &Arc<Client>,
    region: &str,
    needs: &RegionNeeds,
    ask: F,
) -> Vec<(ChargeType, T)>
where
    T: Send + 'static,
    F: Fn(Arc<Client>, String, ChargeType) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    all(needs
        .charge_types
        .iter()
        .map(|&charge| {
            let answer = ask(Arc::clone(client), region.to_string(), charge);
            async move { (charge, answer.await) }
        })
        .collect())
    .await
}

/// Runs futures concurrently on the current runtime; results in the order given.
pub async fn all<T, F>(futures: Vec<F>) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// Runs every answer parser of one cloud (0 JD, 1 Alibaba, 2 Zenlayer) over `json`, as the
/// fuzzer and the property tests do: whatever a server sends, none may panic.
pub fn parse_every_answer(cloud: u8, json: &serde_json::Value) {
    match cloud % 3 {
        0 => jdcloud::answers::parse_all(json),
        1 => aliyun::answers::parse_all(json),
        _ => zenlayer::answers::parse_all(json),
    }
}

/// `a`, `b`: chunks of at most `n` owned items.
pub fn chunks(items: &BTreeSet<String>, n: usize) -> Vec<Vec<String>> {
    let all: Vec<String> = items.iter().cloned().collect();
    all.chunks(n.max(1)).map(<[String]>::to_vec).collect()
}
