//! The network path at scale: a 2,000-instance plan over the three clouds (two regions each)
//! and 300 unique images, fetched from the fake cloud with 50 ms of latency on every answer.
//! Prints the requests sent (and the minimum the plan needs), the wall time, and the wall
//! time in round trips, at three concurrency limits. Then throttling: Alibaba images against
//! an API limit of 20 requests per second per operation (the fake's token bucket, answering
//! `Throttling.User`), with default flags: the wall time against the ideal, the share of
//! throttled answers, and what was left unverified. Run with `cargo bench --bench network`.

#[path = "../tests/it/support/fake_cloud.rs"]
mod fake_cloud;
// The one hermetic way the tests run the binary.
#[path = "../tests/it/support/run.rs"]
mod run;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_cloud::FakeCloud;
use preflight::cloud::{Api, ChargeType};
use preflight::clouds::{FetchConfig, Needs};

const LATENCY: Duration = Duration::from_millis(50);
const REGIONS: [(&str, &str); 6] = [
    ("jdcloud", "cn-north-1"),
    ("jdcloud", "cn-east-2"),
    ("aliyun", "cn-hangzhou"),
    ("aliyun", "cn-beijing"),
    ("zenlayer", "FRA-A"),
    ("zenlayer", "HKG-A"),
];
const IMAGES_PER_REGION: usize = 50;
const TYPES: usize = 6;
/// Alibaba entries launch in these many vSwitches per region (one zone each).
const VSWITCHES: usize = 4;

fn type_name(cloud: &str, i: usize) -> String {
    match cloud {
        "aliyun" => format!("ecs.g{i}.large"),
        "jdcloud" => format!("g.n{i}.large"),
        _ => format!("z{i}a.cpu.1"),
    }
}

fn plan() -> String {
    let mut text = String::from("instances:\n");
    for i in 0..2_000 {
        let (cloud, region) = REGIONS[i % REGIONS.len()];
        let image = (i / REGIONS.len()) % IMAGES_PER_REGION;
        let vswitch = if cloud == "aliyun" {
            format!(", vswitch: vsw-{region}-{}", i % VSWITCHES)
        } else {
            String::new()
        };
        let _ = writeln!(
            text,
            "  - {{name: vm-{i}, cloud: {cloud}, region: {region}, image: img-{region}-{image}, instance_type: {}{vswitch}}}",
            type_name(cloud, i % TYPES)
        );
    }
    text.push_str("images:\n  - {name: g1, cloud: jdcloud, region: cn-north-1}\n  - {name: g2, cloud: zenlayer, region: FRA-A}\n  - {name: g3, cloud: zenlayer, region: HKG-A}\n");
    text
}

/// Every rule over the plans, on a fixed day (no suppression expires mid-benchmark).
fn check_all(
    plans: &[preflight::plan::Plan],
    facts: &preflight::facts::Facts,
) -> preflight::report::Report {
    preflight::check(plans, facts, &Default::default(), &|_| true, "2026-01-01")
}

/// The fewest requests the needs allow, by the batching each cloud's API permits.
fn minimum(needs: &Needs) -> usize {
    let per = |n: usize, chunk: usize| n.div_ceil(chunk);
    let mut total = 0;
    let mut zenlayer_quota = false;
    for ((api, _), r) in &needs.regions {
        let spot = r.charge_types.iter().any(|c| *c == ChargeType::Spot);
        let regular = r.charge_types.iter().any(|c| *c != ChargeType::Spot);
        total += match api {
            Api::Jdcloud => {
                2 * per(r.images.len(), 100)
                    + per(r.instance_types.len(), 100) * (usize::from(spot) + usize::from(regular))
                    + usize::from(r.quota || r.account)
            }
            Api::Aliyun => {
                per(r.images.len(), 100)
                    + r.images.len()
                    + per(r.instance_types.len(), 10)
                    + r.charge_types.len()
                    + r.vswitches.len()
                    + usize::from(r.account)
                    + r.system_disks.len()
                    + r.data_disks.len()
            }
            Api::ZenlayerVm => {
                zenlayer_quota |= r.quota;
                per(r.images.len(), 1000) + r.charge_types.len() + r.disk_categories.len()
            }
            Api::ZenlayerZec => {
                per(r.images.len(), 1000)
                    + if r.instance_types.is_empty() { 0 } else { 3 }
                    + usize::from(!r.disk_categories.is_empty())
            }
        };
    }
    total + usize::from(zenlayer_quota)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let fake = runtime.block_on(FakeCloud::start());
    for (cloud, region) in REGIONS {
        for i in 0..IMAGES_PER_REGION {
            let id = format!("img-{region}-{i}");
            match cloud {
                "jdcloud" => fake.jd_image(
                    region,
                    &id,
                    "ready",
                    "x86_64",
                    40,
                    Some(("excludes", &["p.c1p40g.3large"])),
                ),
                "aliyun" => {
                    let types: Vec<String> = (0..TYPES).map(|t| type_name(cloud, t)).collect();
                    let refs: Vec<&str> = types.iter().map(String::as_str).collect();
                    fake.ali_image(region, &id, "Available", "x86_64", 20, &refs);
                }
                _ => fake.zl_image(region, &id, "AVAILABLE"),
            }
        }
        if cloud == "aliyun" {
            for k in 0..VSWITCHES {
                fake.ali_vswitch(region, &format!("vsw-{region}-{k}"), &format!("{region}-h"));
            }
        }
        for t in 0..TYPES {
            let name = type_name(cloud, t);
            match cloud {
                "jdcloud" => fake.jd_type(region, &name, "x86_64"),
                "aliyun" => fake.ali_type(region, &name, "X86"),
                _ => fake.zl_type(region, &name),
            }
        }
    }
    fake.set_latency(LATENCY);

    let text = plan();
    let plans =
        [
            preflight::plan::parse(preflight::source::SourceFile::new("bench.plan.yaml", text))
                .expect("plan parses"),
        ];
    let needs = Needs::from_plans(&plans);
    let min = minimum(&needs);
    let unique_images: usize = needs.regions.values().map(|r| r.images.len()).sum();
    println!(
        "2000 instances, {unique_images} unique images, {} regions, {} ms latency per answer",
        needs.regions.len(),
        LATENCY.as_millis()
    );
    println!(
        "{:>11}  {:>8}  {:>8}  {:>9}  {:>11}  {:>10}  {:>8}",
        "concurrency", "requests", "minimum", "wall", "round trips", "floor", "unverif."
    );
    let env: BTreeMap<String, String> = fake.env().into_iter().collect();
    for concurrency in [16, 32, 64] {
        let env = env.clone();
        let lookup: preflight::clouds::EnvLookup = Arc::new(move |k: &str| env.get(k).cloned());
        let mut config = FetchConfig::from_env(lookup).expect("config");
        config.cache = None;
        config.concurrency = concurrency;
        let before = fake.requests().len();
        let started = Instant::now();
        let fetched = std::thread::scope(|s| {
            s.spawn(|| preflight::clouds::fetch(&needs, &config))
                .join()
                .expect("fetch")
        });
        let wall = started.elapsed();
        let report = check_all(&plans, &fetched.facts);
        let sent = fake.requests().len() - before;
        // The floor: waves of `concurrency` requests, each one latency long.
        let floor = min.div_ceil(concurrency) as f64 * LATENCY.as_secs_f64();
        println!(
            "{concurrency:>11}  {sent:>8}  {min:>8}  {:>6.0} ms  {:>11.1}  {:>7.0} ms  {:>8}",
            wall.as_secs_f64() * 1e3,
            wall.as_secs_f64() / LATENCY.as_secs_f64(),
            floor * 1e3,
            report.summary().unverified
        );
    }
    cold_start_cached(&fake);
    drop(fake);
    println!();
    println!(
        "throttling: Alibaba at 20 requests/s per operation, {} ms latency, default flags",
        LATENCY.as_millis()
    );
    println!(
        "{:>7}  {:>8}  {:>8}  {:>9}  {:>7}  {:>6}  {:>9}  {:>8}",
        "images", "timeout", "requests", "throttled", "share", "wall", "ideal", "unverif."
    );
    for (images, timeout) in [(800, 60), (2_000, 60), (2_000, 120)] {
        runtime.block_on(throttled(images, timeout));
    }
}

/// `images` Alibaba images in one region, each needing its own support-list call, against a
/// cloud that allows 20 requests per second per operation.
async fn throttled(images: usize, timeout: u64) {
    const RATE: f64 = 20.0;
    let fake = FakeCloud::start().await;
    let mut text = String::from("instances:\n");
    for i in 0..images {
        let id = format!("img-{i:05}");
        fake.ali_image(
            "cn-hangzhou",
            &id,
            "Available",
            "x86_64",
            20,
            &["ecs.g7.large"],
        );
        let _ = writeln!(
            text,
            "  - {{name: vm-{i}, cloud: aliyun, region: cn-hangzhou, image: {id}, instance_type: ecs.g7.large}}"
        );
    }
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.set_latency(LATENCY);
    fake.rate_limit("aliyun", RATE);
    let plans = [preflight::plan::parse(preflight::source::SourceFile::new(
        "throttled.plan.yaml",
        text,
    ))
    .expect("plan parses")];
    let needs = Needs::from_plans(&plans);
    let env: BTreeMap<String, String> = fake.env().into_iter().collect();
    let lookup: preflight::clouds::EnvLookup = Arc::new(move |k: &str| env.get(k).cloned());
    let mut config = FetchConfig::from_env(lookup).expect("config");
    config.cache = None;
    config.timeout = Duration::from_secs(timeout);
    let started = Instant::now();
    let fetched = tokio::task::spawn_blocking(move || preflight::clouds::fetch(&needs, &config))
        .await
        .expect("fetch");
    let wall = started.elapsed();
    let report = check_all(&plans, &fetched.facts);
    let sent = fake.requests().len();
    let throttled = fake.throttled();
    // The busiest operation bounds the run: one support-list call per image.
    let ideal = images as f64 / RATE;
    println!(
        "{images:>7}  {timeout:>6} s  {sent:>8}  {throttled:>9}  {:>6.1}%  {:>4.1} s  {:>5.1} s ({:.2}×)  {:>8}",
        100.0 * throttled as f64 / sent as f64,
        wall.as_secs_f64(),
        ideal,
        wall.as_secs_f64() / ideal,
        report.summary().unverified
    );
    if let Some(d) = report.diagnostics.iter().find(|d| d.unverified) {
        let why = d
            .message
            .split("DescribeImageSupportInstanceTypes: ")
            .nth(1)
            .unwrap_or(&d.message);
        println!("         unverified because: {why}");
    }
}

/// The real binary on a 50-instance plan, twice with one cache: the second run answers from
/// the cache, so its time is process start, parsing, cache reads and checking.
fn cold_start_cached(fake: &FakeCloud) {
    let dir = std::env::temp_dir().join(format!("preflight-bench-cold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let plan: String = plan().lines().take(51).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("plan.yaml"), plan).expect("plan");
    let run = || {
        let started = Instant::now();
        let args = ["validate", "plan.yaml", "--format", "compact"];
        let out = run::command(&dir, fake.env(), &args, run::Limits::default())
            .output()
            .expect("binary runs");
        (started.elapsed(), out.status.code())
    };
    let before = fake.requests().len();
    let (first, _) = run();
    let asked = fake.requests().len() - before;
    let mut cached: Vec<Duration> = (0..9).map(|_| run().0).collect();
    cached.sort();
    let again = fake.requests().len() - before - asked;
    println!(
        "50 instances, real binary: first run {:.0} ms ({asked} requests); cached runs median {:.1} ms ({again} requests)",
        first.as_secs_f64() * 1e3,
        cached[cached.len() / 2].as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(dir);
}
