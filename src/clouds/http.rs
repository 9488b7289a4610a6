//! The one place that talks HTTP: bounded concurrency across all clouds (shared requests
//! first), an adaptive rate limiter per (cloud, endpoint, operation), a per-request timeout
//! inside an overall deadline, retries with exponential backoff and jitter for the faults each
//! cloud documents as transient (honouring `Retry-After` / `x-acs-retry-after`), a cap on
//! response size, no redirects, and a count of requests. Every attempt calls `build` again, so
//! each retry is signed afresh (new date and nonce).
//!
//! Throttled answers are retried until the deadline, paced by the operation's limiter; other
//! transient faults `retries` times. A request waiting on its limiter or a back-off holds no
//! place among the `--concurrency` in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::Cloud;
use super::rate::Limiter;
use super::slots::{Priority, Slots};
use crate::cache::{Cache, Stored};

/// Larger answers are refused: no answer preflight asks for comes close.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One request, built (and signed) for one attempt.
pub struct Call {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How a cloud's answer reads.
pub enum Class {
    Ok(serde_json::Value),
    /// The thing asked about does not exist (a fact, not a failure).
    NotFound(String),
    /// Worth another try, after `after` if the server said so.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The cloud throttled the request: slow down, and try again until the deadline.
    Throttled {
        reason: String,
        after: Option<Duration>,
    },
    /// Not worth another try; the reason is for a person.
    Fail(String),
}

impl Class {
    /// A throttled answer: `<cloud> answered HTTP <status> <code>`, after its retry header.
    pub fn throttled(cloud: &str, r: &Response, code: &str) -> Class {
        Class::Throttled {
            reason: answered(cloud, r.status, code),
            after: retry_after(&r.headers),
        }
    }

    /// A transient fault, worded and timed as `throttled`.
    pub fn retry(cloud: &str, r: &Response, code: &str) -> Class {
        Class::Retry {
            reason: answered(cloud, r.status, code),
            after: retry_after(&r.headers),
        }
    }
}

fn answered(cloud: &str, status: u16, code: &str) -> String {
    crate::facts::reason::answered(cloud, status, code)
}

/// What the transport saw, before the cloud classifies it.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

pub struct Http {
    client: reqwest::Client,
    slots: Slots,
    limiters: Mutex<HashMap<(Cloud, String, String), Arc<Limiter>>>,
    deadline: Instant,
    /// `--timeout`, for messages.
    timeout: Duration,
    request_timeout: Duration,
    retries: u32,
    requests: AtomicUsize,
    cache_hits: AtomicUsize,
    log: Option<super::Log>,
    cache: Option<Cache>,
    /// Answer from the cache only; a miss is a failure.
    offline: bool,
}

/// Operations whose answers are never cached: Alibaba's dry run (a pass holds for one run).
pub const NEVER_CACHED: &[&str] = &["RunInstances"];

impl Http {
    pub fn new(config: &super::FetchConfig, deadline: Instant) -> Result<Http, String> {
        let request_timeout = config.request_timeout;
        // reqwest needs a process-wide rustls provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("preflight/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(request_timeout)
            // A redirect is an answer from somewhere that is not the cloud's API; following it
            // would send the request (and an STS token) to a host nobody chose.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        Ok(Http {
            client,
            slots: Slots::new(config.concurrency),
            limiters: Mutex::new(HashMap::new()),
            deadline,
            timeout: config.timeout,
            request_timeout,
            retries: config.retries,
            requests: AtomicUsize::new(0),
            cache_hits: AtomicUsize::new(0),
            log: config.log.clone(),
            cache: config.cache.clone(),
            offline: config.offline,
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Answers served from the cache.
    pub fn cache_hits(&self) -> usize {
        self.cache_hits.load(Ordering::Relaxed)
    }

    /// Answers from the cache when it has a fresh answer for the same request (`scope` names
    /// the account, hashed); otherwise sends it and caches a success or a not-found. The
    /// operations in `NEVER_CACHED` always go to the cloud.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        cloud: Cloud,
        operation: &str,
        priority: Priority,
        scope: &str,
        build: impl Fn() -> Call,
        classify: impl Fn(&Response) -> Class,
    ) -> Result<Answer, String> {
        let probe = build();
        // The operation too: Zenlayer names it in a header, so two of its calls can share a
        // URL and a body.
        let key = Cache::key(&[
            cloud.as_str().as_bytes(),
            scope.as_bytes(),
            operation.as_bytes(),
            probe.method.as_str().as_bytes(),
            probe.url.as_bytes(),
            &probe.body,
        ]);
        let now = crate::clouds::sign::now();
        // A dry run's verdict holds for this run only: never read from or written to the cache.
        let cache = self
            .cache
            .as_ref()
            .filter(|_| !NEVER_CACHED.contains(&operation));
        if let Some(cache) = cache
            && let Some(stored) = cache.get(&key, now)
        {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            self.note(format!("{cloud} {operation}: from the cache"));
            return Ok(match stored {
                Stored::Json(v) => Answer::Json(v),
                Stored::NotFound(m) => Answer::NotFound(m),
            });
        }
        if self.offline {
            return Err(crate::facts::reason::offline(
                operation,
                cloud.display_name(),
            ));
        }
        let cache = cache.cloned();
        let limiter = self.limiter(cloud, host_of(&probe.url), operation);
        limiter.register();
        let answer = self
            .send_now(cloud, operation, priority, &limiter, probe, build, classify)
            .await;
        if let (Some(cache), Ok(a)) = (&cache, &answer) {
            let stored = match a {
                Answer::Json(v) => Stored::Json(v.clone()),
                Answer::NotFound(m) => Stored::NotFound(m.clone()),
            };
            cache.put(&key, operation, &stored, crate::clouds::sign::now());
        }
        answer
    }

    /// The limiter of one (cloud, endpoint, operation), made on first use.
    fn limiter(&self, cloud: Cloud, host: &str, operation: &str) -> Arc<Limiter> {
        let mut map = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            map.entry((cloud, host.to_string(), operation.to_string()))
                .or_default(),
        )
    }

    /// Sends `first`, then `build()`'s request again, until it succeeds, fails for good, or
    /// time runs out.
    #[allow(clippy::too_many_arguments)]
    async fn send_now(
        &self,
        cloud: Cloud,
        operation: &str,
        priority: Priority,
        limiter: &Limiter,
        first: Call,
        build: impl Fn() -> Call,
        classify: impl Fn(&Response) -> Class,
    ) -> Result<Answer, String> {
        let mut attempt = 0;
        let mut first = Some(first);
        loop {
            // Wait for the limiter, then for a place in flight: the place is held only while
            // the request is on the wire. A pass that went stale while waiting for the place
            // (the cloud began throttling) is taken again at the new pace.
            let ready = tokio::time::timeout_at(self.deadline, async {
                loop {
                    let pass = limiter.acquire(priority).await;
                    let slot = self.slots.acquire(priority).await;
                    if limiter.still_good(pass) {
                        return slot;
                    }
                }
            })
            .await;
            let Ok(slot) = ready else {
                return Err(self.out_of_time(cloud, limiter));
            };
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.out_of_time(cloud, limiter));
            }
            // The first attempt sends the call already built for the cache key; every retry
            // is signed afresh.
            let call = first.take().unwrap_or_else(&build);
            // `METHOD host`, for the log: never the query or headers (signatures).
            let url = call.url.clone();
            let target = format!("{} {}", call.method, host_of(&url));
            let sent_at = Instant::now();
            let outcome =
                tokio::time::timeout(left.min(self.request_timeout), self.once(call)).await;
            drop(slot);
            let class = match outcome {
                Err(_) if left <= self.request_timeout => {
                    return Err(self.out_of_time(cloud, limiter));
                }
                Err(_) => Class::Retry {
                    reason: format!(
                        "{} did not answer within {} s",
                        cloud.display_name(),
                        self.request_timeout.as_secs_f32()
                    ),
                    after: None,
                },
                Ok(Err(transport)) => {
                    if let Class::Retry { reason, .. } | Class::Fail(reason) = &transport {
                        self.note(format!("{cloud} {operation} ({target}): {reason}"));
                    }
                    transport
                }
                Ok(Ok(response)) if (300..400).contains(&response.status) => {
                    let to = redirect_target(&url, &response.headers);
                    self.note(format!(
                        "{cloud} {operation} ({target}): HTTP {} redirecting to {to} in {} ms; \
                         not followed",
                        response.status,
                        sent_at.elapsed().as_millis()
                    ));
                    Class::Fail(format!(
                        "{} answered HTTP {} with a redirect to {to}; preflight follows no \
                         redirects, so nothing was sent there (check the endpoint, and any proxy \
                         in between)",
                        cloud.display_name(),
                        response.status
                    ))
                }
                Ok(Ok(response)) => {
                    self.note(format!(
                        "{cloud} {operation} ({target}): HTTP {} in {} ms",
                        response.status,
                        sent_at.elapsed().as_millis()
                    ));
                    classify(&response)
                }
            };
            match class {
                Class::Ok(v) => {
                    limiter.succeeded();
                    return Ok(Answer::Json(v));
                }
                Class::NotFound(m) => {
                    limiter.succeeded();
                    return Ok(Answer::NotFound(m));
                }
                Class::Fail(reason) => return Err(reason),
                Class::Throttled { reason, after } => {
                    limiter.was_throttled(sent_at);
                    // Paced by the limiter from now on; a wait the cloud asked for comes first.
                    if let Some(wait) = after {
                        if Instant::now() + wait >= self.deadline {
                            return Err(self.out_of_time(cloud, limiter));
                        }
                        tokio::time::sleep(wait).await;
                    }
                    self.note(format!("{cloud} {operation}: {reason}; trying again"));
                }
                Class::Retry { reason, after } => {
                    if attempt >= self.retries {
                        return Err(format!("{reason} (gave up after {} tries)", attempt + 1));
                    }
                    let wait = after.unwrap_or_else(|| backoff(attempt));
                    if Instant::now() + wait >= self.deadline {
                        return Err(format!("{reason} (no time left to try again)"));
                    }
                    self.note(format!(
                        "{cloud} {operation}: {reason}; retrying in {} ms",
                        wait.as_millis()
                    ));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One request to a credential service (STS, the ECS metadata service, a credentials
    /// URI): never cached (its answers hold secrets), not rate limited, no redirects, inside
    /// the deadline and within `timeout`; tried once more after a transport fault or a 5xx.
    /// `what` names it in the log, never with the query (which may hold a signature).
    pub async fn exchange(
        &self,
        what: &str,
        build: impl Fn() -> Call,
        timeout: Duration,
    ) -> Result<Response, String> {
        let mut tries = 0;
        loop {
            tries += 1;
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("not answered before the --timeout deadline".to_string());
            }
            let call = build();
            let url = call.url.clone();
            let target = format!("{} {}", call.method, host_of(&url));
            let sent_at = Instant::now();
            let outcome = tokio::time::timeout(left.min(timeout), self.once(call)).await;
            let reason = match outcome {
                Err(_) => format!("no answer within {} s", left.min(timeout).as_secs_f32()),
                Ok(Err(Class::Retry { reason, .. } | Class::Fail(reason))) => reason,
                Ok(Err(_)) => "no answer".to_string(),
                Ok(Ok(r)) if (300..400).contains(&r.status) => {
                    return Err(format!(
                        "it answered HTTP {} with a redirect to {}, which preflight does not follow",
                        r.status,
                        redirect_target(&url, &r.headers)
                    ));
                }
                Ok(Ok(r)) => {
                    self.note(format!(
                        "credentials: {what} ({target}): HTTP {} in {} ms",
                        r.status,
                        sent_at.elapsed().as_millis()
                    ));
                    if r.status < 500 || tries > 1 {
                        return Ok(r);
                    }
                    format!("HTTP {}", r.status)
                }
            };
            // A transport error may quote the URL, whose query can hold a signature or a token.
            let reason = reason.replace(&url, host_of(&url));
            self.note(format!("credentials: {what} ({target}): {reason}"));
            if tries > 1 {
                return Err(reason);
            }
        }
    }

    async fn once(&self, call: Call) -> Result<Response, Class> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self.client.request(call.method, &call.url);
        for (k, v) in &call.headers {
            request = request.header(k, v);
        }
        let mut response = request
            .body(call.body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(Class::Fail(format!(
                            "the answer was larger than {} MiB, so it was not read",
                            MAX_BODY_BYTES / (1024 * 1024)
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(transport_error(&e)),
            }
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Why a request had no answer at the deadline: throttling that the time could not fit,
    /// or plain waiting.
    fn out_of_time(&self, cloud: Cloud, limiter: &Limiter) -> String {
        if limiter.throttling() {
            limiter.too_slow(cloud.display_name(), self.timeout)
        } else {
            "not answered before the --timeout deadline".to_string()
        }
    }

    /// One line per answer, retry or failure: a `tracing` event (shown with `-v`, or filtered
    /// with `PREFLIGHT_LOG` / `RUST_LOG`), and the progress display's latest line.
    fn note(&self, line: String) {
        tracing::debug!(target: "preflight::http", "{line}");
        if let Some(log) = &self.log {
            log(line);
        }
    }
}

/// A successful answer.
pub enum Answer {
    Json(serde_json::Value),
    NotFound(String),
}

/// `host[:port]` of a URL, for logs and limiter keys: never its path or query.
fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
}

/// Where a redirect points: the host of its `Location`, resolved against the request.
fn redirect_target(url: &str, headers: &reqwest::header::HeaderMap) -> String {
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let Some(location) = location else {
        return "nowhere (no Location header)".to_string();
    };
    match reqwest::Url::parse(url).and_then(|base| base.join(location)) {
        Ok(to) => format!("`{}://{}`", to.scheme(), host_of(to.as_str())),
        Err(_) => "an address that is not a URL".to_string(),
    }
}

/// 200 ms, 400 ms, 800 ms … with up to 50% jitter, capped at 5 s.
fn backoff(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(5)).min(5_000);
    let jitter = (uuid::Uuid::new_v4().as_u128() % (base as u128 / 2 + 1)) as u64;
    Duration::from_millis(base + jitter)
}

/// `Retry-After` (seconds) or Alibaba's `x-acs-retry-after` (milliseconds), capped at 20 s.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    let after = get("retry-after")
        .map(Duration::from_secs)
        .or_else(|| get("x-acs-retry-after").map(Duration::from_millis))?;
    Some(after.min(Duration::from_secs(20)))
}

/// Transport failures in words a person can act on; the worth-retrying ones say so.
fn transport_error(e: &reqwest::Error) -> Class {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if let Some(i) = cause.find(" (os error") {
        cause.truncate(i);
    }
    let lower = cause.to_ascii_lowercase();
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "unknownissuer",
        "peer sent",
    ];
    if tls_words.iter().any(|w| lower.contains(w)) {
        Class::Fail(format!("the TLS connection failed: {cause}"))
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service")
    {
        Class::Fail(format!("the host name could not be resolved: {cause}"))
    } else if e.is_timeout() {
        Class::Retry {
            reason: format!("the request timed out: {cause}"),
            after: None,
        }
    } else if e.is_connect() {
        Class::Retry {
            reason: format!("could not connect: {cause}"),
            after: None,
        }
    } else {
        Class::Retry {
            reason: format!("the connection failed: {cause}"),
            after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(
            backoff(0) >= Duration::from_millis(200) && backoff(0) <= Duration::from_millis(300)
        );
        assert!(backoff(2) >= Duration::from_millis(800));
        assert!(backoff(30) <= Duration::from_millis(7_500));
    }

    #[test]
    fn reads_both_retry_after_headers() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().expect("header"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-acs-retry-after", "1500".parse().expect("header"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert("retry-after", "9999".parse().expect("header"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(20)));
    }
}
