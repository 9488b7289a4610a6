//! `preflight credentials --check`: one cheap signed call per cloud that proves its
//! credentials work. JD Cloud: `describeQuotas` in a region; Zenlayer: the VM service's
//! `DescribeImageQuota` in a zone (both calls preflight makes anyway, so the policies of
//! `preflight permissions` allow them); Alibaba: STS `GetCallerIdentity`, which needs no
//! permission and says whose the key is. Nothing is taken from the cache or put in it.

use std::collections::BTreeMap;

use super::credentials::{self, Found};
use super::provider::Probe;
use super::{Api, Cloud, FetchConfig, Needs, RegionNeeds, fetch};
use crate::facts::Fetched;
use crate::facts::reason;

/// What the check showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The cloud answered the signed call; what it said.
    Works(String),
    /// The cloud refused the credentials (or STS refused the role), in its words.
    Refused(String),
    /// The call could not tell (no answer, an unknown region): why.
    Unclear(String),
}

/// Where the check asks when the plans name no place of the cloud.
pub fn default_place(cloud: Cloud) -> &'static str {
    match probe(cloud) {
        Probe::Quota { place } => place,
        Probe::CallerIdentity => "",
    }
}

/// How the cloud's first API proves a key.
fn probe(cloud: Cloud) -> Probe {
    super::provider::of(Api::of(cloud, crate::cloud::Service::Vm)).probe()
}

/// Makes the call for `cloud`, in `place` (a region, for Zenlayer a zone).
pub fn check(cloud: Cloud, place: &str, found: &Found, config: &FetchConfig) -> Verdict {
    let mut config = config.clone();
    config.cache = None;
    config.offline = false;
    match probe(cloud) {
        Probe::CallerIdentity => caller_identity(found, &config),
        Probe::Quota { .. } => {
            let api = Api::of(cloud, crate::cloud::Service::Vm);
            let mut regions = BTreeMap::new();
            regions.insert(
                (api, place.to_string()),
                RegionNeeds {
                    quota: true,
                    ..RegionNeeds::default()
                },
            );
            let operation = super::permissions::operations(api)
                .iter()
                .find(|op| op.to_ascii_lowercase().contains("quota"))
                .copied()
                .unwrap_or("the quota call");
            let fetched = fetch(&Needs { regions }, &config);
            let region = fetched
                .facts
                .clouds
                .get(&api)
                .and_then(|r| r.get(place))
                .cloned()
                .unwrap_or_default();
            let why = match (region.error, region.quota) {
                (None, Some(Fetched::Known(_))) => {
                    return Verdict::Works(format!("{operation} in `{place}` answered"));
                }
                (Some(e), _) | (None, Some(Fetched::Error(e))) => e,
                (None, None) => "no answer".to_string(),
            };
            // Any signed answer but an authentication error proves the key: an answer that
            // lacks the place (Zenlayer's `DescribeImageQuota` lists the account's zones and
            // takes none), or an error about the request rather than the key.
            if reason::is_answered(&why) {
                return Verdict::Works(format!(
                    "{operation} answered, so the key was accepted ({why})"
                ));
            }
            judge(&why)
        }
    }
}

/// A failed call's reason as a verdict: the clouds' clients all word their authentication
/// errors with `reason::refused`.
fn judge(why: &str) -> Verdict {
    if reason::is_refused(why) {
        Verdict::Refused(why.to_string())
    } else {
        Verdict::Unclear(why.to_string())
    }
}

fn caller_identity(found: &Found, config: &FetchConfig) -> Verdict {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Verdict::Unclear(format!("cannot start the network runtime: {e}")),
    };
    runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + config.timeout;
        let http = match super::http::Http::new(config, deadline) {
            Ok(h) => h,
            Err(e) => return Verdict::Unclear(e),
        };
        let ex = credentials::Exchanger::new(&http, config);
        let key = match credentials::resolve(found, &ex).await {
            Ok(k) => k,
            Err(why) => return judge(&why),
        };
        let host = credentials::sts_host(&*config.env);
        let build = || {
            let params = vec![("Action".to_string(), "GetCallerIdentity".to_string())];
            credentials::signed_sts(&ex, &host, params, &key)
        };
        let answer = match http
            .exchange("STS GetCallerIdentity", build, config.request_timeout)
            .await
        {
            Ok(a) => a,
            Err(e) => return Verdict::Unclear(format!("STS ({host}) did not answer: {e}")),
        };
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let text = |k: &str| json[k].as_str().unwrap_or("").to_string();
        match answer.status {
            200 => Verdict::Works(format!(
                "STS GetCallerIdentity: account {}, {}",
                text("AccountId"),
                text("Arn")
            )),
            400 | 401 | 403 | 404 => Verdict::Refused(reason::refused(
                "Alibaba Cloud",
                &format!(
                    "HTTP {} {}: {}",
                    answer.status,
                    text("Code"),
                    text("Message")
                ),
            )),
            status => Verdict::Unclear(reason::answered(
                "STS",
                status,
                &format!("{}: {}", text("Code"), text("Message")),
            )),
        }
    })
}
