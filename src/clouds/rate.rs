//! Client-side rate limiting that adapts to the cloud, after the AWS SDKs' "adaptive" retry
//! mode: one limiter per (cloud, endpoint, operation). It lets requests through freely until
//! the cloud first throttles; from then on a token bucket paces them, its rate cut by `BETA`
//! at each throttling and regrown along a CUBIC curve (the TCP congestion-control curve the
//! SDKs use) as answers succeed, never above twice the rate answers actually arrive at.
//!
//! Two differences from the SDKs, both for a burst of hundreds of requests at once:
//! - The rate the cloud allows is measured as successful answers over the last second, not
//!   as requests sent, so the first throttling sets it to what the cloud let through.
//! - One throttling event cuts the rate once: answers to requests sent before the last cut
//!   say nothing new (as TCP cuts its window once per loss event), so a burst of throttled
//!   answers does not drive the rate to the floor.
//!
//! [`Rate`] is the pure state (time passed in, for the tests); [`Limiter`] wraps it for the
//! transport, with a queue that serves shared requests first.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::slots::{Priority, Slots};

/// The rate is multiplied by this at a throttling.
const BETA: f64 = 0.7;
/// How fast the CUBIC curve grows back (requests/s per s³).
const SCALE: f64 = 0.4;
/// Never slower than this (requests/s).
const MIN_RATE: f64 = 0.5;
/// Successful answers over this window measure the rate the cloud allows.
const WINDOW: Duration = Duration::from_secs(1);
/// A waiter re-reads the rate at least this often, so a rising rate is used soon.
const RECHECK: Duration = Duration::from_millis(250);

/// The state of one limiter.
#[derive(Debug)]
pub struct Rate {
    /// False until the first throttling: no pacing at all before it.
    enabled: bool,
    /// Tokens per second.
    fill_rate: f64,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
    /// The CUBIC curve: the rate at the last cut, when it was, and how long until the curve is
    /// back at that rate.
    w_max: f64,
    cut_at: Instant,
    k: f64,
    /// When each recent successful answer arrived (the last `WINDOW`).
    recent: VecDeque<Instant>,
    /// When each recent request was let through (the last `WINDOW`).
    sent: VecDeque<Instant>,
    /// Since the first throttling: when it was, and the answers since.
    throttled_since: Option<Instant>,
    succeeded_since: usize,
    /// How many times the rate was cut: a pass taken before a cut is stale.
    pub cuts: u64,
    pub throttled: usize,
    /// Requests that have asked this limiter (each once, however often retried).
    pub demand: usize,
}

impl Rate {
    pub fn new(now: Instant) -> Rate {
        Rate {
            enabled: false,
            fill_rate: f64::INFINITY,
            capacity: 1.0,
            tokens: 0.0,
            refilled_at: now,
            w_max: 0.0,
            cut_at: now,
            k: 0.0,
            recent: VecDeque::new(),
            sent: VecDeque::new(),
            throttled_since: None,
            succeeded_since: 0,
            cuts: 0,
            throttled: 0,
            demand: 0,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.fill_rate,
            ))
        }
    }

    /// A successful (or not-found) answer arrived.
    pub fn succeeded(&mut self, now: Instant) {
        self.recent.push_back(now);
        self.forget_before(now);
        if self.throttled_since.is_some() {
            self.succeeded_since += 1;
        }
        if self.enabled {
            let t = now.saturating_duration_since(self.cut_at).as_secs_f64() - self.k;
            let cubic = SCALE * t * t * t + self.w_max;
            self.set_rate(now, cubic.min(2.0 * self.measured().max(MIN_RATE)));
        }
    }

    /// The cloud throttled a request sent at `sent_at`.
    pub fn was_throttled(&mut self, sent_at: Instant, now: Instant) {
        self.throttled += 1;
        self.throttled_since.get_or_insert(now);
        self.forget_before(now);
        if self.enabled && sent_at < self.cut_at {
            // Sent before the last cut: the cut already answered this event.
            return;
        }
        // What the cloud let through; before any answer succeeded, what was sent.
        let measured = if self.recent.is_empty() {
            self.sent.len() as f64 / WINDOW.as_secs_f64()
        } else {
            self.measured()
        };
        let allowed = if self.enabled {
            measured.min(self.fill_rate)
        } else {
            measured
        }
        .max(MIN_RATE);
        self.w_max = allowed;
        self.k = (allowed * (1.0 - BETA) / SCALE).cbrt();
        self.cut_at = now;
        self.cuts += 1;
        if !self.enabled {
            // One request may go at once: the retry the cloud's `Retry-After` was waited for.
            self.enabled = true;
            self.fill_rate = allowed * BETA;
            self.tokens = 1.0;
            self.refilled_at = now;
        }
        self.set_rate(now, allowed * BETA);
    }

    /// The pace now, in requests per second (`None` before any throttling).
    pub fn pace(&self) -> Option<f64> {
        self.enabled.then_some(self.fill_rate)
    }

    /// Answers per second since the cloud first throttled, for messages.
    pub fn observed(&self, now: Instant) -> Option<f64> {
        let since = self.throttled_since?;
        let secs = now.saturating_duration_since(since).as_secs_f64();
        if secs < 1.0 || self.succeeded_since == 0 {
            return self.pace();
        }
        Some(self.succeeded_since as f64 / secs)
    }

    fn measured(&self) -> f64 {
        self.recent.len() as f64 / WINDOW.as_secs_f64()
    }

    fn forget_before(&mut self, now: Instant) {
        for times in [&mut self.recent, &mut self.sent] {
            while let Some(&t) = times.front() {
                if now.saturating_duration_since(t) > WINDOW {
                    times.pop_front();
                } else {
                    break;
                }
            }
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.fill_rate).min(self.capacity);
        self.refilled_at = now;
    }

    fn set_rate(&mut self, now: Instant, rate: f64) {
        self.refill(now);
        self.fill_rate = rate.max(MIN_RATE);
        self.capacity = self.fill_rate.max(1.0);
        self.tokens = self.tokens.min(self.capacity);
    }
}

/// Leave to send one request, as of the rate's `cuts`-th cut.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    cuts: u64,
}

/// One (cloud, endpoint, operation)'s limiter, shared by every request for it.
pub struct Limiter {
    rate: Mutex<Rate>,
    /// One waiter at a time watches the bucket; the rest queue, shared requests first.
    queue: Slots,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            rate: Mutex::new(Rate::new(Instant::now())),
            queue: Slots::new(1),
        }
    }
}

impl Limiter {
    /// Counts a request that will ask this limiter (once, however often it is retried).
    pub fn register(&self) {
        self.lock().demand += 1;
    }

    /// Waits for the bucket to allow one request, and says when it did: the pass is good
    /// until the rate is next cut (see [`Limiter::still_good`]).
    pub async fn acquire(&self, priority: Priority) -> Pass {
        let _turn = self.queue.acquire(priority).await;
        loop {
            let wait = {
                let mut rate = self.lock();
                match rate.take(Instant::now()) {
                    Ok(()) => return Pass { cuts: rate.cuts },
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait.min(RECHECK)).await;
        }
    }

    /// Whether a pass still holds: a request that passed and then waited for a place in
    /// flight while the cloud started throttling must pass again at the new pace (before the
    /// first throttling every request passes at once, and all of them would go out).
    pub fn still_good(&self, pass: Pass) -> bool {
        self.lock().cuts == pass.cuts
    }

    pub fn succeeded(&self) {
        self.lock().succeeded(Instant::now());
    }

    pub fn was_throttled(&self, sent_at: Instant) {
        self.lock().was_throttled(sent_at, Instant::now());
    }

    /// Whether the cloud has throttled this operation in this run.
    pub fn throttling(&self) -> bool {
        self.lock().throttled > 0
    }

    /// Why requests still waiting at the deadline did not fit: the rate the cloud allowed,
    /// the requests it had to carry, and a `--timeout` that would have fitted them.
    pub fn too_slow(&self, cloud: &str, timeout: Duration) -> String {
        let rate = self.lock();
        let secs = timeout.as_secs_f64();
        if rate.succeeded_since == 0 {
            return format!(
                "throttled: {cloud} throttled all {} tries of this operation and answered none \
                 before --timeout {secs} ran out",
                rate.throttled
            );
        }
        let observed = rate
            .observed(Instant::now())
            .unwrap_or(MIN_RATE)
            .max(MIN_RATE);
        let needed = rate.demand as f64 / observed;
        // A fifth more than the ideal, in whole tens of seconds.
        let fits = ((needed * 1.2 / 10.0).ceil() * 10.0).max(secs + 10.0);
        format!(
            "throttled: {cloud} allowed about {observed:.1} requests/s for this operation and \
             the plans need {} of them, about {needed:.0} s of work, more than --timeout {secs} \
             allows; --timeout {fits:.0} would fit",
            rate.demand
        )
    }

    fn lock(&self) -> MutexGuard<'_, Rate> {
        // Plain numbers: a panic elsewhere cannot leave them half-changed.
        self.rate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A cloud that admits `allowed` requests per second (a token bucket of one second), a
    /// client with unlimited demand: how many answers succeed and how many are throttled in
    /// `secs` seconds, with `latency` per request and `in_flight` requests at once.
    fn simulate(allowed: f64, secs: u64, latency: Duration, in_flight: usize) -> (usize, usize) {
        let start = Instant::now();
        let mut rate = Rate::new(start);
        let mut server_tokens = allowed;
        let mut server_at = start;
        let mut flying: VecDeque<(Instant, bool)> = VecDeque::new();
        let (mut ok, mut throttled) = (0, 0);
        let step = ms(1);
        let mut now = start;
        while now < start + Duration::from_secs(secs) {
            while let Some(&(sent, admitted)) = flying.front() {
                if sent + latency > now {
                    break;
                }
                flying.pop_front();
                if admitted {
                    ok += 1;
                    rate.succeeded(now);
                } else {
                    throttled += 1;
                    rate.was_throttled(sent, now);
                }
            }
            while flying.len() < in_flight && rate.take(now).is_ok() {
                let elapsed = now.saturating_duration_since(server_at).as_secs_f64();
                server_tokens = (server_tokens + elapsed * allowed).min(allowed);
                server_at = now;
                let admitted = server_tokens >= 1.0;
                if admitted {
                    server_tokens -= 1.0;
                }
                flying.push_back((now, admitted));
            }
            now += step;
        }
        (ok, throttled)
    }

    #[test]
    fn it_settles_near_what_the_cloud_allows_with_few_throttled_answers() {
        for latency in [ms(2), ms(50)] {
            let (ok, throttled) = simulate(20.0, 40, latency, 32);
            // The ideal is 20 per second (plus the first second's bucket).
            assert!(ok >= 700, "{latency:?}: only {ok} of ~800 answered");
            assert!(
                throttled * 10 < ok,
                "{latency:?}: {throttled} throttled for {ok} answers"
            );
        }
    }

    #[test]
    fn no_pacing_before_the_first_throttling() {
        let now = Instant::now();
        let mut rate = Rate::new(now);
        for _ in 0..1000 {
            assert!(rate.take(now).is_ok());
        }
        assert_eq!(rate.pace(), None);
    }

    #[test]
    fn a_burst_of_throttled_answers_cuts_the_rate_once() {
        let start = Instant::now();
        let mut rate = Rate::new(start);
        for i in 0..20 {
            rate.succeeded(start + ms(i));
        }
        let at = start + ms(30);
        for _ in 0..12 {
            rate.was_throttled(start, at);
        }
        let pace = rate.pace().expect("enabled");
        assert!((pace - 14.0).abs() < 0.01, "20/s × 0.7, once: {pace}");
        // A request sent after the cut and throttled cuts again.
        rate.was_throttled(at + ms(1), at + ms(100));
        assert!(rate.pace().expect("enabled") < 14.0);
    }

    #[test]
    fn successes_grow_the_rate_back_along_the_curve_but_not_past_twice_the_measured() {
        let start = Instant::now();
        let mut rate = Rate::new(start);
        for i in 0..20 {
            rate.succeeded(start + ms(i * 50));
        }
        rate.was_throttled(start + ms(990), start + ms(1000));
        let cut = rate.pace().expect("enabled");
        // Keep answering at 20/s for a few seconds: the rate rises past the old maximum.
        let mut now = start + ms(1000);
        for _ in 0..100 {
            now += ms(50);
            rate.succeeded(now);
        }
        let grown = rate.pace().expect("enabled");
        assert!(grown > cut, "{grown} > {cut}");
        assert!(
            grown <= 2.0 * 21.0,
            "capped by twice the measured rate: {grown}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_taken_before_a_cut_must_be_taken_again() {
        let limiter = Limiter::default();
        // Unthrottled: every request passes at once.
        let early: Vec<Pass> = futures_passes(&limiter, 50).await;
        limiter.was_throttled(Instant::now());
        assert!(early.iter().all(|p| !limiter.still_good(*p)));
        let fresh = limiter.acquire(Priority::PerImage).await;
        assert!(limiter.still_good(fresh));
    }

    async fn futures_passes(limiter: &Limiter, n: usize) -> Vec<Pass> {
        let mut passes = Vec::new();
        for _ in 0..n {
            passes.push(limiter.acquire(Priority::PerImage).await);
        }
        passes
    }

    #[test]
    fn the_too_slow_reason_names_the_rate_and_a_timeout_that_fits() {
        let limiter = Limiter::default();
        for _ in 0..2000 {
            limiter.register();
        }
        {
            let mut rate = limiter.lock();
            let now = Instant::now();
            for _ in 0..20 {
                rate.succeeded(now);
            }
            rate.was_throttled(now, now);
            rate.succeeded(now);
        }
        let why = limiter.too_slow("Alibaba Cloud", Duration::from_secs(60));
        assert!(why.contains("Alibaba Cloud allowed"), "{why}");
        assert!(why.contains("requests/s"), "{why}");
        assert!(why.contains("2000 of them"), "{why}");
        assert!(why.contains("--timeout 60 allows"), "{why}");
        // 2000 at 14/s ≈ 143 s; a fifth more, in tens: 180.
        assert!(why.ends_with("--timeout 180 would fit"), "{why}");

        let never = Limiter::default();
        never.register();
        never.was_throttled(Instant::now());
        let why = never.too_slow("Zenlayer", Duration::from_secs(3));
        assert!(
            why.contains("throttled all 1 tries") && why.contains("answered none"),
            "{why}"
        );
    }
}
