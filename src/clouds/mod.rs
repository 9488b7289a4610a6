//! Asking the clouds: the only code that touches the network. `fetch` turns the deduplicated needs of all plans into the fewest
//! signed requests, runs them concurrently (bounded), and answers with `Facts`, recording every
//! fact it could not get and why.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cloud::{Api, ChargeType, Cloud};
use crate::facts::{Facts, RegionFacts};
use crate::plan::Plan;

pub mod aliyun;
pub mod check;
pub mod credentials;
pub mod http;
pub mod jdcloud;
pub mod permissions;
pub mod provider;
pub mod rate;
pub mod sign;
pub mod slots;
pub mod zenlayer;

use credentials::Credentials;
use http::Http;

/// What the plans ask about, per API and region.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub regions: BTreeMap<(Api, String), RegionNeeds>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegionNeeds {
    pub images: BTreeSet<String>,
    pub instance_types: BTreeSet<String>,
    /// How the plans buy instances here: what the region sells is asked for each.
    pub charge_types: BTreeSet<ChargeType>,
    /// The plans create custom images here, so the quota matters.
    pub quota: bool,
}

impl Needs {
    pub fn from_plans(plans: &[Plan]) -> Needs {
        let mut needs = Needs::default();
        for plan in plans {
            for i in &plan.instances {
                let r = needs
                    .regions
                    .entry((i.api(), i.region.value.clone()))
                    .or_default();
                // A side Terraform decides at plan time is not asked about.
                if i.knows(crate::plan::Side::Image) {
                    r.images.insert(i.image.value.clone());
                }
                if i.knows(crate::plan::Side::InstanceType) {
                    r.instance_types.insert(i.instance_type.value.clone());
                    r.charge_types.insert(i.charge());
                }
            }
            for image in &plan.images {
                if image.api().knows_image_quota() {
                    needs
                        .regions
                        .entry((image.api(), image.region.value.clone()))
                        .or_default()
                        .quota = true;
                }
            }
        }
        needs
    }

    fn apis(&self) -> BTreeSet<Api> {
        self.regions.keys().map(|(a, _)| *a).collect()
    }

    fn of(&self, api: Api) -> Vec<(String, RegionNeeds)> {
        self.regions
            .iter()
            .filter(|((a, _), _)| *a == api)
            .map(|((_, r), n)| (r.clone(), n.clone()))
            .collect()
    }
}

/// Pages asked for one query at most, should a cloud page below the size asked.
pub const MAX_PAGES: usize = 100;

/// Where a cloud's API is: scheme and `host[:port]`; each cloud keeps its own paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    pub authority: String,
}

impl Endpoint {
    /// Reads an override such as `http://127.0.0.1:8080`. Plain http is allowed only for
    /// loopback hosts: signed requests never cross a network in the clear. Anything that is not
    /// a scheme, a host and a port is refused here, before any request.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        let bad = |why: &str| format!("`{text}` {why}; write it as https://host[:port]");
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("is not a URL"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        if authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "`{text}`: give only the scheme, host and port; preflight adds each cloud's paths"
            ));
        }
        let url =
            reqwest::Url::parse(text).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
        let Some(host) = url.host_str() else {
            return Err(bad("has no host"));
        };
        // The URL parser lower-cases and normalises; the host must be what was written, so a
        // typo is never quietly turned into another address.
        let written = authority.split_once(']').map_or_else(
            || authority.rsplit_once(':').map_or(authority, |(h, _)| h),
            |(h, _)| h,
        );
        let written = written.trim_start_matches('[');
        if !host.trim_matches(['[', ']']).eq_ignore_ascii_case(written) {
            return Err(bad(&format!("has a host that reads as `{host}`")));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback(authority) => {}
            "http" => {
                return Err(format!(
                    "`{text}`: plain http is allowed only for loopback hosts; use https"
                ));
            }
            other => return Err(format!("`{text}`: unknown scheme `{other}`; use https")),
        }
        Ok(Endpoint {
            scheme: scheme.to_string(),
            authority: authority.to_string(),
        })
    }

    /// The ECS metadata service's address, which only plain http reaches.
    pub const METADATA_HOST: &'static str = "100.100.100.200";

    /// The ECS metadata service: `http://100.100.100.200`.
    pub fn metadata() -> Endpoint {
        Endpoint {
            scheme: "http".to_string(),
            authority: Endpoint::METADATA_HOST.to_string(),
        }
    }

    /// An override of the metadata service: as `parse`, and plain http to the metadata
    /// address too (the only way it answers).
    pub fn parse_metadata(text: &str) -> Result<Endpoint, String> {
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed == format!("http://{}", Endpoint::METADATA_HOST) {
            return Ok(Endpoint::metadata());
        }
        Endpoint::parse(text)
    }

    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

fn is_loopback(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

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
        })
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

/// Runs futures concurrently on the current runtime; results in the order given.
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

#[cfg(test)]
mod endpoint_tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://localhost:1/").is_ok());
        assert!(Endpoint::parse("http://[::1]:9").is_ok());
        assert!(Endpoint::parse("http://10.0.0.1:8080").is_err());
        assert!(Endpoint::parse("http://example.com").is_err());
        assert!(Endpoint::parse("https://example.com:8443").is_ok());
        assert!(Endpoint::parse("https://example.com/v1").is_err());
        assert!(Endpoint::parse("ftp://x").is_err());
        // Malformed: refused before any request, not retried as a connection failure.
        for bad in [
            "https://exa mple.com",
            "https://host:notaport",
            "https://host:99999",
            "https://[::1",
            "https://",
            "https://:443",
            "https://user@host",
            "https://host?x=1",
            "https//host",
            "https://hé llo",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Endpoint::parse("https://vm.jdcloud-api.com/")
                .expect("good")
                .authority,
            "vm.jdcloud-api.com"
        );
    }
}
