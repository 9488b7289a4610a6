//! What the benchmarks share: plans of n instances over three clouds and ~300 images, a
//! facts file that covers them (with a few findings), and a median timer.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use preflight::cloud::Api;
use preflight::facts::{
    Availability, Constraint, Facts, Fetched, ImageFact, ImageInfo, InstanceTypeInfo,
    InstanceTypes, Quota, RegionFacts,
};

pub const CLOUDS: [(Api, &str); 3] = [
    (Api::Jdcloud, "cn-north-1"),
    (Api::Aliyun, "cn-hangzhou"),
    (Api::ZenlayerVm, "FRA-A"),
];
pub const IMAGES_PER_CLOUD: usize = 100;
pub const TYPES: [&str; 6] = [
    "a.x1.large",
    "a.x1.xlarge",
    "a.x1.2xlarge",
    "b.y2.large",
    "b.y2.xlarge",
    "c.z3.large",
];

pub fn plan_text(instances: usize) -> String {
    let mut text = String::from("instances:\n");
    for i in 0..instances {
        let (cloud, region) = CLOUDS[i % 3];
        let image = i % IMAGES_PER_CLOUD;
        let ty = TYPES[i % TYPES.len()];
        let _ = write!(
            text,
            "  - name: vm-{i}\n    cloud: {}\n    region: {region}\n    image: img-{image}\n    instance_type: {ty}\n    count: 2\n    system_disk_gb: 40\n",
            cloud.cloud()
        );
    }
    text.push_str(
        "images:\n  - name: golden\n    cloud: jdcloud\n    region: cn-north-1\n    count: 2\n",
    );
    text
}

pub fn facts() -> Facts {
    let mut facts = Facts::new();
    for (cloud, region) in CLOUDS {
        let mut r = RegionFacts::default();
        for i in 0..IMAGES_PER_CLOUD {
            r.images.insert(
                format!("img-{i}"),
                ImageFact::Found(ImageInfo {
                    status: "ready".into(),
                    usable: i % 50 != 7,
                    architecture: None,
                    min_system_disk_gb: Some(20),
                    constraint: Some(Constraint::Excludes(["c.z3.large".to_string()].into())),
                    nvme: None,
                    boot_mode: None,
                }),
            );
        }
        r.instance_types = Some(Fetched::Known(InstanceTypes {
            complete: true,
            offered: TYPES
                .iter()
                .map(|t| (t.to_string(), InstanceTypeInfo::default()))
                .collect(),
            not_offered: Default::default(),
        }));
        r.availability.insert(
            preflight::cloud::ChargeType::Postpaid,
            Fetched::Known(Availability {
                types: TYPES.iter().map(|t| (t.to_string(), None)).collect(),
            }),
        );
        r.quota = Some(Fetched::Known(Quota { used: 1, limit: 10 }));
        facts
            .clouds
            .entry(cloud)
            .or_default()
            .insert(region.to_string(), r);
    }
    facts
}

/// The median time of `runs` runs of `f`, and the last result.
pub fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}
