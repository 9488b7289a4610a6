//! The one place that talks HTTP: bounded concurrency across all clouds, a per-request timeout
//! inside an overall deadline, retries with exponential backoff and jitter for the faults each
//! cloud documents as transient (honouring `Retry-After` / `x-acs-retry-after`), a cap on
//! response size, and a count of requests. Every attempt calls `build` again, so each retry is
//! signed afresh (new date and nonce).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::Cloud;
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
    /// Not worth another try; the reason is for a person.
    Fail(String),
}

/// What the transport saw, before the cloud classifies it.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

pub struct Http {
    client: reqwest::Client,
    limit: Semaphore,
    deadline: Instant,
    request_timeout: Duration,
    retries: u32,
    requests: AtomicUsize,
    cache_hits: AtomicUsize,
    log: Option<super::Log>,
    cache: Option<Cache>,
    /// Answer from the cache only; a miss is a failure.
    offline: bool,
}

impl Http {
    pub fn new(config: &super::FetchConfig, deadline: Instant) -> Result<Http, String> {
        let request_timeout = config.request_timeout;
        // reqwest needs a process-wide rustls provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("preflight/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(request_timeout)
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        Ok(Http {
            client,
            limit: Semaphore::new(config.concurrency.max(1)),
            deadline,
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
    /// the account, hashed); otherwise sends it and caches a success or a not-found.
    pub async fn send(
        &self,
        cloud: Cloud,
        operation: &str,
        scope: &str,
        build: impl Fn() -> Call,
        classify: impl Fn(&Response) -> Class,
    ) -> Result<Answer, String> {
        let probe = build();
        let key = Cache::key(&[
            cloud.as_str().as_bytes(),
            scope.as_bytes(),
            probe.method.as_str().as_bytes(),
            probe.url.as_bytes(),
            &probe.body,
        ]);
        let now = crate::clouds::sign::now();
        if let Some(cache) = &self.cache
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
            return Err(format!(
                "{operation} is not in the cache, and --offline forbids asking {}",
                cloud.display_name()
            ));
        }
        let answer = self
            .send_now(cloud, operation, probe, build, classify)
            .await;
        if let (Some(cache), Ok(a)) = (&self.cache, &answer) {
            let stored = match a {
                Answer::Json(v) => Stored::Json(v.clone()),
                Answer::NotFound(m) => Stored::NotFound(m.clone()),
            };
            cache.put(&key, operation, &stored, crate::clouds::sign::now());
        }
        answer
    }

    /// Sends `first`, then `build()`'s request again, until it succeeds, fails for good, or
    /// time runs out.
    async fn send_now(
        &self,
        cloud: Cloud,
        operation: &str,
        first: Call,
        build: impl Fn() -> Call,
        classify: impl Fn(&Response) -> Class,
    ) -> Result<Answer, String> {
        let Ok(_permit) = self.limit.acquire().await else {
            return Err("the request queue was closed".to_string());
        };
        let mut attempt = 0;
        let mut first = Some(first);
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timed_out());
            }
            // The first attempt sends the call already built for the cache key; every retry
            // is signed afresh.
            let call = first.take().unwrap_or_else(&build);
            // `METHOD host`, for the log: never the query or headers (signatures).
            let target = format!(
                "{} {}",
                call.method,
                call.url
                    .split_once("://")
                    .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
            );
            let started = Instant::now();
            let outcome =
                tokio::time::timeout(left.min(self.request_timeout), self.once(call)).await;
            let class = match outcome {
                Err(_) if left <= self.request_timeout => return Err(self.timed_out()),
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
                Ok(Ok(response)) => {
                    self.note(format!(
                        "{cloud} {operation} ({target}): HTTP {} in {} ms",
                        response.status,
                        started.elapsed().as_millis()
                    ));
                    classify(&response)
                }
            };
            match class {
                Class::Ok(v) => return Ok(Answer::Json(v)),
                Class::NotFound(m) => return Ok(Answer::NotFound(m)),
                Class::Fail(reason) => return Err(reason),
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

    fn timed_out(&self) -> String {
        "not answered before the --timeout deadline".to_string()
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
