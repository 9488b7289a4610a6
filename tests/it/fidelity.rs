//! The clouds as their official SDKs model them: each case is a way our first reading of the
//! documentation was wrong, run through the real binary against the fake cloud, which answers
//! in the SDKs' shapes and can be switched to either reading where the sources disagree.

use crate::support::fake_cloud::FakeCloud;
use crate::support::run::{Run, pairs, run_with};

const JSON: &[&str] = &["validate", "plan.yaml", "--format", "json"];

async fn check(fake: &FakeCloud, plan: &str) -> Run {
    run_with(&[("plan.yaml", plan)], fake.env(), JSON).await
}

fn message(run: &Run, entry: &str, rule: &str) -> (String, String) {
    let d = run.diagnostic(entry, rule);
    (
        d["message"].as_str().unwrap_or("").to_string(),
        d["help"].as_str().unwrap_or("").to_string(),
    )
}

/// An Alibaba world: `n` images that exist, and a type sold every way in `cn-hangzhou-h`.
async fn alibaba(n: usize) -> (FakeCloud, String) {
    let fake = FakeCloud::start().await;
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    let mut plan = String::from("defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n");
    for i in 0..n {
        let id = format!("m-image{i}");
        fake.ali_image(
            "cn-hangzhou",
            &id,
            "Available",
            "x86_64",
            20,
            &["ecs.g7.large"],
        );
        plan.push_str(&format!(
            "  - {{name: vm{i}, image: {id}, instance_type: ecs.g7.large}}\n"
        ));
    }
    (fake, plan)
}

// --- Alibaba images ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn five_alibaba_images_exist_whether_or_not_the_cloud_takes_a_list_of_ids() {
    // (a list is honoured, finds nothing, is refused as malformed)
    for (ignored, refused) in [(false, false), (true, false), (false, true)] {
        let (fake, plan) = alibaba(5).await;
        fake.set_ali_single_image_id(ignored);
        fake.set_ali_refuse_image_lists(refused);
        let case = format!("ignored {ignored}, refused {refused}");
        let r = check(&fake, &plan).await;
        assert_eq!(r.findings(), Vec::new(), "{case}: {}", r.stdout);
        assert_eq!(r.code, 0);
        // A list first; only what it did not return is asked alone.
        let asked = fake.count("aliyun.DescribeImages");
        assert_eq!(asked, if ignored || refused { 6 } else { 1 }, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn marketplace_and_community_images_are_found_under_either_reading_of_the_owner_alias() {
    for lenient in [false, true] {
        let (fake, plan) = alibaba(3).await;
        fake.set_ali_lenient_owner(lenient);
        fake.ali_owner("cn-hangzhou", "m-image0", "marketplace");
        fake.ali_owner("cn-hangzhou", "m-image1", "community");
        let plan =
            format!("{plan}  - {{name: gone, image: m-nowhere, instance_type: ecs.g7.large}}\n");
        let r = check(&fake, &plan).await;
        assert_eq!(
            r.findings(),
            pairs(&[("gone", "image-not-found")]),
            "lenient {lenient}: {}",
            r.stdout
        );
        // Missing only after it was asked alone, as Marketplace and as community image.
        let asked = fake.count("aliyun.DescribeImages");
        let expected = if lenient { 1 + 3 } else { 1 + 3 + 2 + 3 };
        assert_eq!(asked, expected, "lenient {lenient}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_available_image_that_is_not_usable_is_unavailable() {
    let (fake, plan) = alibaba(2).await;
    fake.ali_unusable("cn-hangzhou", "m-image1");
    let r = check(&fake, &plan).await;
    assert_eq!(r.findings(), pairs(&[("vm1", "image-unavailable")]));
    assert!(
        message(&r, "vm1", "image-unavailable")
            .0
            .contains("Available, but not usable"),
        "{}",
        r.stdout
    );
}

// --- what a region sells -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn alibaba_types_not_sold_in_the_region_or_sold_out_in_the_zone_are_flagged() {
    let (fake, _) = alibaba(1).await;
    // In the global catalogue, sold in no region.
    fake.ali_catalogue_only("ecs.nowhere.large", "X86");
    fake.ali_image(
        "cn-hangzhou",
        "m-image0",
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large", "ecs.nowhere.large"],
    );
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-i",
        "ecs.g7.large",
        "SoldOut",
    );
    let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: catalogue-only, image: m-image0, instance_type: ecs.nowhere.large}\n\
        - {name: in-stock, image: m-image0, instance_type: ecs.g7.large, zone: cn-hangzhou-h}\n\
        - {name: sold-out, image: m-image0, instance_type: ecs.g7.large, zone: cn-hangzhou-i}\n\
        - {name: any-zone, image: m-image0, instance_type: ecs.g7.large}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[
            ("catalogue-only", "instance-type-unknown"),
            ("sold-out", "instance-type-sold-out"),
        ]),
        "{}",
        r.stdout
    );
    let (said, _) = message(&r, "catalogue-only", "instance-type-unknown");
    assert!(said.ends_with("for postpaid instances"), "{said}");
    let (said, help) = message(&r, "sold-out", "instance-type-sold-out");
    assert!(said.contains("sold out in zone `cn-hangzhou-i`"), "{said}");
    assert!(help.contains("`cn-hangzhou-h`"), "{help}");
    assert_eq!(
        fake.count("aliyun.DescribeAvailableResource"),
        1,
        "once per charge type"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prepaid_only_alibaba_type_passes_prepaid_and_fails_postpaid() {
    let (fake, _) = alibaba(1).await;
    fake.ali_catalogue_only("ecs.sub.large", "X86");
    fake.ali_stock(
        "cn-hangzhou",
        "PrePaid",
        "cn-hangzhou-h",
        "ecs.sub.large",
        "Available",
    );
    fake.ali_image(
        "cn-hangzhou",
        "m-image0",
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large", "ecs.sub.large"],
    );
    let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: by-subscription, image: m-image0, instance_type: ecs.sub.large, charge_type: prepaid}\n\
        - {name: pay-as-you-go, image: m-image0, instance_type: ecs.sub.large}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[("pay-as-you-go", "instance-type-unknown")]),
        "{}",
        r.stdout
    );
    let (said, help) = message(&r, "pay-as-you-go", "instance-type-unknown");
    assert!(said.contains("for postpaid instances"), "{said}");
    assert!(help.contains("sold here for prepaid"), "{help}");
    assert_eq!(
        fake.count("aliyun.DescribeAvailableResource"),
        2,
        "one call per charge type used"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jd_granted_types_are_offered_and_zone_stock_decides() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-jd", "ready", "x86_64", 20, None);
    let both: &[(&str, bool)] = &[("cn-north-1a", true), ("cn-north-1b", false)];
    fake.jd_type_with("cn-north-1", "p.granted.large", "x86_64", both, true, true);
    fake.jd_type_with("cn-north-1", "g.n4.xlarge", "x86_64", both, false, true);
    let none: &[(&str, bool)] = &[("cn-north-1a", false), ("cn-north-1b", false)];
    fake.jd_type_with("cn-north-1", "g.gone.large", "x86_64", none, false, true);
    let plan = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
        - {name: granted, image: img-jd, instance_type: p.granted.large, zone: cn-north-1a}\n\
        - {name: zone-b, image: img-jd, instance_type: g.n4.xlarge, zone: cn-north-1b}\n\
        - {name: anywhere, image: img-jd, instance_type: g.n4.xlarge}\n\
        - {name: nowhere, image: img-jd, instance_type: g.gone.large}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[
            ("nowhere", "instance-type-sold-out"),
            ("zone-b", "instance-type-sold-out"),
        ]),
        "{}",
        r.stdout
    );
    assert!(
        message(&r, "nowhere", "instance-type-sold-out")
            .0
            .contains("every zone")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zenlayer_prepaid_only_type_passes_prepaid_and_fails_postpaid() {
    let fake = FakeCloud::start().await;
    fake.zl_image("FRA-A", "img-zl", "AVAILABLE");
    fake.zl_type("FRA-A", "z2a.cpu.1");
    fake.zl_type_for("FRA-A", "z2a.prepaid.1", &["PREPAID"]);
    let plan = "defaults: {cloud: zenlayer, region: FRA-A}\ninstances:\n\
        - {name: prepaid, image: img-zl, instance_type: z2a.prepaid.1, charge_type: prepaid}\n\
        - {name: postpaid, image: img-zl, instance_type: z2a.prepaid.1}\n\
        - {name: plain, image: img-zl, instance_type: z2a.cpu.1}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[("postpaid", "instance-type-unknown")]),
        "{}",
        r.stdout
    );
    assert!(
        message(&r, "postpaid", "instance-type-unknown")
            .1
            .contains("prepaid")
    );
    assert_eq!(
        fake.count("zenlayer.DescribeZoneInstanceConfigInfos"),
        2,
        "once per charge type used"
    );
}

// --- Zenlayer Elastic Compute --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn zec_instances_are_checked_against_zec() {
    let fake = FakeCloud::start().await;
    let zone = "asia-east-1a";
    fake.zec_image(zone, "img-zec", "AVAILABLE", 40);
    fake.zec_type(zone, "z2a.cpu.4", "cpu", true);
    fake.zec_type(zone, "z2a.cpu.8", "cpu", false);
    fake.zec_type(zone, "z2a.gpu.1", "gpu", true);
    fake.zec_type(zone, "z2a.npu.1", "accelerator", true);
    let plan = "defaults: {cloud: zenlayer, service: zec, region: asia-east-1a}\ninstances:\n\
        - {name: fine, image: img-zec, instance_type: z2a.cpu.4, system_disk_gb: 40}\n\
        - {name: gpu, image: img-zec, instance_type: z2a.gpu.1}\n\
        - {name: npu, image: img-zec, instance_type: z2a.npu.1}\n\
        - {name: missing, image: img-nowhere, instance_type: z2a.cpu.4}\n\
        - {name: small-disk, image: img-zec, instance_type: z2a.cpu.4, system_disk_gb: 20}\n\
        - {name: typo, image: img-zec, instance_type: z2a.cpu.44}\n\
        - {name: no-stock, image: img-zec, instance_type: z2a.cpu.8}\n\
        images:\n  - {name: golden, service: zec}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[
            ("missing", "image-not-found"),
            ("no-stock", "instance-type-sold-out"),
            ("small-disk", "system-disk-too-small"),
            ("typo", "instance-type-unknown"),
        ]),
        "{}",
        r.stdout
    );
    assert!(
        message(&r, "typo", "instance-type-unknown")
            .1
            .contains("`z2a.cpu.4`"),
        "suggests from the zone's types"
    );
    let notices = r.json()["notices"].to_string();
    assert!(
        notices.contains("Zenlayer Elastic Compute has no API for the custom-image quota"),
        "{notices}"
    );
    let mut asked: Vec<String> = fake.requests();
    asked.sort();
    assert_eq!(
        asked,
        [
            "zenlayer-zec.DescribeImages",
            "zenlayer-zec.DescribeZoneAcceleratorConfigInfos",
            "zenlayer-zec.DescribeZoneGpuInstanceConfigInfos",
            "zenlayer-zec.DescribeZoneInstanceConfigInfos",
        ],
        "nothing of the VM service, no quota call"
    );
}

// --- failures at the right grain -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_region_is_unverified_not_missing_images() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-jd", "ready", "x86_64", 20, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.unknown_region("jdcloud", "cn-nowhere-1");
    fake.unknown_region("aliyun", "cn-nowhere");
    // The catalogue is global: it knows the type wherever the region is.
    fake.ali_catalogue_only("ecs.g7.large", "X86");
    let plan = "instances:\n\
        - {name: good, cloud: jdcloud, region: cn-north-1, image: img-jd, instance_type: g.n4.xlarge}\n\
        - {name: jd-bad, cloud: jdcloud, region: cn-nowhere-1, image: img-jd, instance_type: g.n4.xlarge}\n\
        - {name: jd-bad-2, cloud: jdcloud, region: cn-nowhere-1, image: img-other, instance_type: g.n4.xlarge}\n\
        - {name: ali-bad, cloud: aliyun, region: cn-nowhere, image: m-1, instance_type: ecs.g7.large}\n";
    let r = check(&fake, plan).await;
    assert_eq!(
        r.findings(),
        pairs(&[
            ("ali-bad", "unverified"),
            ("jd-bad", "unverified"),
            ("jd-bad-2", "unverified"),
        ]),
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 3);
    assert!(
        r.reason("jd-bad").contains("region `cn-nowhere-1`"),
        "{}",
        r.reason("jd-bad")
    );
    assert!(
        r.reason("ali-bad").contains("does not know the region"),
        "{}",
        r.reason("ali-bad")
    );
}
