//! The whole launch, not only the pairing (issue 19): each check through the real binary
//! against the fake cloud, in YAML and in `.tf`, with a clean control beside each finding.

use crate::support::fake_cloud::{FakeCloud, Fault};
use crate::support::run::{Run, pairs, run_with};

/// `preflight validate NAME --format json` on one file, against the fake.
async fn validate(fake: &FakeCloud, name: &str, text: &str) -> Run {
    run_with(
        &[(name, text)],
        fake.env(),
        &["validate", name, "--format", "json"],
    )
    .await
}

/// Alibaba's `cn-hangzhou`: one image, `ecs.g7.large` in stock in zone h and sold out in
/// zone i; a vSwitch in each zone.
async fn hangzhou() -> FakeCloud {
    let fake = FakeCloud::start().await;
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-i",
        "ecs.g7.large",
        "SoldOut",
    );
    fake.ali_image(
        "cn-hangzhou",
        "m-web",
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large"],
    );
    fake.ali_vswitch("cn-hangzhou", "vsw-in-h", "cn-hangzhou-h");
    fake.ali_vswitch("cn-hangzhou", "vsw-in-i", "cn-hangzhou-i");
    fake
}

const YAML: &str = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
    - {name: stocked, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h}\n\
    - {name: sold-out, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-i}\n\
    - {name: region-wide, image: m-web, instance_type: ecs.g7.large}\n\
    - {name: gone, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-deleted}\n\
    - {name: says-h, image: m-web, instance_type: ecs.g7.large, zone: cn-hangzhou-h, vswitch: vsw-in-i}\n\
    - {name: agrees, image: m-web, instance_type: ecs.g7.large, zone: cn-hangzhou-h, vswitch: vsw-in-h}\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_vswitch_decides_the_zone_in_a_yaml_plan_under_either_not_found_reading() {
    for code in [false, true] {
        let fake = hangzhou().await;
        fake.set_ali_vswitch_not_found_code(code);
        let run = validate(&fake, "plan.yaml", YAML).await;
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert_eq!(
            run.findings(),
            pairs(&[
                ("gone", "vswitch-not-found"),
                ("says-h", "instance-type-sold-out"),
                ("says-h", "vswitch-zone-mismatch"),
                ("sold-out", "instance-type-sold-out"),
            ]),
            "{}",
            run.stdout
        );
        let sold = run.diagnostic("sold-out", "instance-type-sold-out");
        let message = sold["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("zone `cn-hangzhou-i` (vSwitch `vsw-in-i`'s)"),
            "{message}"
        );
        assert_eq!(sold["line"], 4);
        assert_eq!(sold["zone"], "cn-hangzhou-i", "where the instances land");
        assert_eq!(sold["charge_type"], "postpaid");
        let help = sold["help"].as_str().unwrap_or_default();
        assert!(
            help.contains("vSwitch of a zone that has it in stock: `cn-hangzhou-h`"),
            "{help}"
        );
        let gone = run.diagnostic("gone", "vswitch-not-found");
        assert_eq!(gone["line"], 6);
        let mismatch = run.diagnostic("says-h", "vswitch-zone-mismatch");
        assert_eq!(mismatch["severity"], "warning");
        // One call per distinct vSwitch, whatever the entries.
        assert_eq!(fake.count("aliyun.DescribeVSwitches"), 3);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vswitch_that_cannot_be_looked_up_leaves_its_pairings_unverified() {
    let fake = hangzhou().await;
    fake.fail_always(
        "aliyun.DescribeVSwitches",
        Fault::Status(
            403,
            r#"{"RequestId":"x","Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource."}"#.to_string(),
            Vec::new(),
        ),
    );
    let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: in-vswitch, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h}\n\
        - {name: region-wide, image: m-web, instance_type: ecs.g7.large}\n";
    let run = validate(&fake, "plan.yaml", plan).await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[("in-vswitch", "unverified")]),
        "{}",
        run.stdout
    );
    let reason = run.reason("in-vswitch");
    assert!(
        reason.contains("the zone of vSwitch `vsw-in-h` could not be looked up"),
        "{reason}"
    );
    // A scaling configuration whose group's vSwitches cannot be looked up: the same.
    let run = validate(&fake, "main.tf", SCALING_TF).await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.findings().iter().all(|(_, rule)| rule == "unverified"),
        "{}",
        run.stdout
    );
    let sold_out = run
        .findings()
        .into_iter()
        .find(|(e, _)| e.starts_with("alicloud_ess_scaling_configuration.sold_out"))
        .map(|(e, _)| e)
        .unwrap_or_default();
    assert!(
        run.reason(&sold_out).contains("could not be looked up"),
        "{}",
        run.stdout
    );
}

const TF: &str = r#"provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vswitch" "new" {
  vpc_id     = "vpc-1"
  cidr_block = "172.16.1.0/24"
  zone_id    = "cn-hangzhou-i"
}

resource "alicloud_instance" "sold_out" {
  image_id      = "m-web"
  instance_type = "ecs.g7.large"
  vswitch_id    = "vsw-in-i"
}

resource "alicloud_instance" "stocked" {
  image_id      = "m-web"
  instance_type = "ecs.g7.large"
  vswitch_id    = "vsw-in-h"
}

resource "alicloud_instance" "in_new_vswitch" {
  image_id      = "m-web"
  instance_type = "ecs.g7.large"
  vswitch_id    = alicloud_vswitch.new.id
}

resource "alicloud_instance" "says_h" {
  availability_zone = "cn-hangzhou-h"
  image_id          = "m-web"
  instance_type     = "ecs.g7.large"
  vswitch_id        = "vsw-in-i"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_vswitch_decides_the_zone_in_terraform() {
    let fake = hangzhou().await;
    let run = validate(&fake, "main.tf", TF).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[
            ("alicloud_instance.sold_out", "instance-type-sold-out"),
            ("alicloud_instance.says_h", "instance-type-sold-out"),
            ("alicloud_instance.says_h", "vswitch-zone-mismatch"),
        ]),
        "{}",
        run.stdout
    );
    let sold = run.diagnostic("alicloud_instance.sold_out", "instance-type-sold-out");
    assert_eq!(sold["line"], 13, "at instance_type");
    assert_eq!(sold["zone"], "cn-hangzhou-i");
    let mismatch = run.diagnostic("alicloud_instance.says_h", "vswitch-zone-mismatch");
    assert_eq!(mismatch["line"], 30, "at availability_zone");
    let fix = &mismatch["fixes"][0];
    assert_eq!(
        (fix["replacement"].as_str(), fix["safe"].as_bool()),
        (Some("\"cn-hangzhou-i\""), Some(true))
    );
    // A vSwitch created in the same apply: judged for the region, and said.
    let notes = run.json()["notices"].to_string();
    assert!(
        notes.contains("alicloud_instance.in_new_vswitch") && notes.contains("for the region"),
        "{notes}"
    );
    assert_eq!(fake.count("aliyun.DescribeVSwitches"), 2);
    // The terminal shows the vSwitch line that decides the zone.
    let human = run_with(&[("main.tf", TF)], fake.env(), &["validate", "main.tf"]).await;
    assert!(
        human.stdout.contains("its vSwitch is in `cn-hangzhou-i`")
            && human.stdout.contains("14 │   vswitch_id    = \"vsw-in-i\""),
        "{}",
        human.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nvme_and_boot_modes_come_from_the_answers_already_fetched() {
    let fake = FakeCloud::start().await;
    // An account that may still create classic instances: the `.tf` below has no vSwitch.
    fake.ali_networks("cn-hangzhou", &["vpc", "classic"]);
    let types = ["ecs.g8i.large", "ecs.g6.large"];
    for t in types {
        fake.ali_type("cn-hangzhou", t, "X86");
    }
    fake.ali_type_features("ecs.g8i.large", "required", &["BIOS", "UEFI"]);
    fake.ali_type_features("ecs.g6.large", "unsupported", &["BIOS"]);
    for (id, nvme, boot) in [
        ("m-imported", "unsupported", "BIOS"),
        ("m-modern", "supported", "UEFI-Preferred"),
        ("m-uefi", "supported", "UEFI"),
    ] {
        fake.ali_image("cn-hangzhou", id, "Available", "x86_64", 20, &types);
        fake.ali_image_features("cn-hangzhou", id, nvme, boot);
    }
    let plan = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: no-nvme, image: m-imported, instance_type: ecs.g8i.large}\n\
        - {name: nvme, image: m-modern, instance_type: ecs.g8i.large}\n\
        - {name: old-type, image: m-imported, instance_type: ecs.g6.large}\n\
        - {name: uefi-on-bios, image: m-uefi, instance_type: ecs.g6.large}\n\
        - {name: dual, image: m-modern, instance_type: ecs.g6.large}\n";
    let run = validate(&fake, "plan.yaml", plan).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[
            ("no-nvme", "nvme-unsupported"),
            ("uefi-on-bios", "boot-mode-mismatch"),
        ]),
        "{}",
        run.stdout
    );
    assert_eq!(run.diagnostic("no-nvme", "nvme-unsupported")["line"], 3);
    // Nothing more was asked than before: the same answers carry both facts.
    assert_eq!(fake.count("aliyun.DescribeInstanceTypes"), 1);
    // The same in Terraform, at `instance_type`; the control beside it passes.
    let tf = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_instance\" \"no_nvme\" {\n  image_id      = \"m-imported\"\n  instance_type = \"ecs.g8i.large\"\n}\n\n\
        resource \"alicloud_instance\" \"nvme\" {\n  image_id      = \"m-modern\"\n  instance_type = \"ecs.g8i.large\"\n}\n";
    let run_tf = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run_tf.findings(),
        pairs(&[("alicloud_instance.no_nvme", "nvme-unsupported")]),
        "{}",
        run_tf.stdout
    );
    assert_eq!(
        run_tf.diagnostic("alicloud_instance.no_nvme", "nvme-unsupported")["line"],
        7
    );
}

/// Alibaba's `cn-hangzhou` with `ecs.g7.large` (2 vCPUs in the fake's catalogue) and one
/// image, for the quota and network tests.
async fn hangzhou_g7() -> FakeCloud {
    let fake = FakeCloud::start().await;
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.ali_image(
        "cn-hangzhou",
        "m-web",
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large"],
    );
    fake.ali_vswitch("cn-hangzhou", "vsw-in-h", "cn-hangzhou-h");
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn vcpu_quotas_are_summed_over_every_plan_under_either_reading_of_the_answer() {
    for in_count in [false, true] {
        let fake = hangzhou_g7().await;
        fake.set_ali_number_in_count(in_count);
        fake.launch_quota("aliyun", "cn-hangzhou", "postpaid-vcpu", 90, 100);
        let first = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
            - {name: web, image: m-web, instance_type: ecs.g7.large, count: 3}\n\
            - {name: reserved, image: m-web, instance_type: ecs.g7.large, count: 100, charge_type: prepaid}\n";
        let second = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
            - {name: workers, image: m-web, instance_type: ecs.g7.large, count: 3}\n";
        let run = run_with(
            &[("a.plan.yaml", first), ("b.plan.yaml", second)],
            fake.env(),
            &["validate", "a.plan.yaml", "b.plan.yaml", "--format", "json"],
        )
        .await;
        assert_eq!(run.code, 1, "{}", run.stdout);
        // 90 in use + 6 (web) fits; + 6 (workers) does not. Subscriptions are not counted.
        assert_eq!(
            run.findings(),
            pairs(&[("workers", "instance-quota-exceeded")]),
            "{}",
            run.stdout
        );
        let d = run.diagnostic("workers", "instance-quota-exceeded");
        let message = d["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("90 in use + 12 planned up to here (3 × 2 for `workers`) = 102 > 100"),
            "{message}"
        );
        assert_eq!(
            (d["file"].as_str(), d["line"].as_u64()),
            (Some("b.plan.yaml"), Some(3))
        );
        assert_eq!(
            fake.count("aliyun.DescribeAccountAttributes"),
            1,
            "once per region"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jd_instance_quotas_and_a_terraform_count_are_checked() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-web", "ready", "x86_64", 40, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.launch_quota("jdcloud", "cn-north-1", "instance", 9, 10);
    let yaml = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
        - {name: one, image: img-web, instance_type: g.n4.xlarge}\n\
        - {name: two, image: img-web, instance_type: g.n4.xlarge}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[("two", "instance-quota-exceeded")]),
        "{}",
        run.stdout
    );
    assert!(
        run.message("two", "instance-quota-exceeded")
            .contains("the instance quota of jdcloud region `cn-north-1`"),
        "{}",
        run.stdout
    );
    // The same in Terraform: `count = 2` at the resource; the template beside it launches
    // nothing.
    let tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\n\
        resource \"jdcloud_instance\" \"web\" {\n  count         = 2\n  az            = \"cn-north-1a\"\n  instance_name = \"web\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n  subnet_id     = \"subnet-1\"\n}\n\n\
        resource \"jdcloud_instance_template\" \"t\" {\n  template_name = \"t\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("jdcloud_instance.web[1]", "instance-quota-exceeded")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("jdcloud_instance.web[1]", "instance-quota-exceeded")["line"],
        5
    );
}

/// JD's `cn-north-1` with `g.n4.xlarge` (4 vCPUs, 16384 MB in the fake's catalogue), for the
/// memory quota tests.
async fn north_g4() -> FakeCloud {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-web", "ready", "x86_64", 40, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn jd_memory_quota_is_checked_in_whichever_unit_jd_counts_it() {
    for in_gb in [false, true] {
        let fake = north_g4().await;
        fake.set_jd_memory_in_gb(in_gb);
        // Two instances of 4 vCPUs and 16 GB running; 80 GB of memory allowed.
        fake.launch_quota("jdcloud", "cn-north-1", "instance_cpu", 8, 100);
        fake.launch_quota("jdcloud", "cn-north-1", "instance_memory", 32768, 81920);
        let yaml = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
            - {name: one, image: img-web, instance_type: g.n4.xlarge, count: 2}\n\
            - {name: two, image: img-web, instance_type: g.n4.xlarge, count: 2}\n";
        let run = validate(&fake, "plan.yaml", yaml).await;
        assert_eq!(run.code, 1, "{}", run.stdout);
        // 32 in use + 32 (one) fits 80; + 32 (two) does not. 24 vCPUs fit 100.
        assert_eq!(
            run.findings(),
            pairs(&[("two", "instance-quota-exceeded")]),
            "in GB: {in_gb}: {}",
            run.stdout
        );
        let d = run.diagnostic("two", "instance-quota-exceeded");
        let message = d["message"].as_str().unwrap_or_default();
        let arithmetic = if in_gb {
            "32 GB in use + 64 GB planned up to here (2 × 16 GB for `two`) = 96 GB > 80 GB"
        } else {
            "32768 MB in use + 65536 MB planned up to here (2 × 16384 MB for `two`) = 98304 MB > 81920 MB"
        };
        assert!(
            message.contains(&format!(
                "the memory quota of jdcloud region `cn-north-1` does not fit: {arithmetic}"
            )),
            "{message}"
        );
        assert_eq!(d["line"], 4);
        // The same in Terraform: the fourth instance of `count = 4` no longer fits.
        let tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\n\
            resource \"jdcloud_instance\" \"web\" {\n  count         = 4\n  az            = \"cn-north-1a\"\n  instance_name = \"web\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n  subnet_id     = \"subnet-1\"\n}\n";
        let run = validate(&fake, "main.tf", tf).await;
        assert_eq!(
            run.findings(),
            pairs(&[("jdcloud_instance.web[3]", "instance-quota-exceeded")]),
            "{}",
            run.stdout
        );
        assert_eq!(
            run.diagnostic("jdcloud_instance.web[3]", "instance-quota-exceeded")["line"],
            5
        );
        // The clean control: three fit.
        let run = validate(
            &fake,
            "main.tf",
            &tf.replace("count         = 4", "count         = 3"),
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(fake.count("jdcloud.describeQuotas"), 3, "one call per run");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_memory_quota_whose_numbers_do_not_tell_their_unit_is_unverified_where_it_decides() {
    let fake = north_g4().await;
    // Nothing in use; 10000 of memory per 100 vCPUs is 100 per vCPU: neither GB (at most 64)
    // nor MB (at least 256) for any type JD sells.
    fake.launch_quota("jdcloud", "cn-north-1", "instance_cpu", 0, 100);
    fake.launch_quota("jdcloud", "cn-north-1", "instance_memory", 0, 10000);
    let yaml = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
        - {name: web, image: img-web, instance_type: g.n4.xlarge}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[("web", "unverified")]),
        "{}",
        run.stdout
    );
    let message = run.message("web", "unverified");
    assert!(
        message.contains("could not check the launch quotas of jdcloud region `cn-north-1`")
            && message.contains("counts GB or MB")
            && message.contains("(0 of 10000 in use)"),
        "{message}"
    );
    // 16384 MB fits 20000 counted in MB, and so in GB: it passes whatever the unit.
    fake.launch_quota("jdcloud", "cn-north-1", "instance_memory", 0, 20000);
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

const CLASSIC_TF: &str = r#"provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_instance" "classic" {
  image_id      = "m-web"
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "in_vpc" {
  image_id      = "m-web"
  instance_type = "ecs.g7.large"
  vswitch_id    = "vsw-in-h"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_without_a_vswitch_fails_where_the_account_has_only_vpc() {
    let fake = hangzhou_g7().await;
    let run = validate(&fake, "main.tf", CLASSIC_TF).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[("alicloud_instance.classic", "classic-network-unavailable")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("alicloud_instance.classic", "classic-network-unavailable")["line"],
        5
    );
    // An account that may still create classic instances: no finding.
    let fake = hangzhou_g7().await;
    fake.ali_networks("cn-hangzhou", &["vpc", "classic"]);
    let run = validate(&fake, "main.tf", CLASSIC_TF).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn system_disk_categories_and_sizes_are_checked_where_the_instances_land() {
    let fake = hangzhou_g7().await;
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-j",
        "ecs.g7.large",
        "Available",
    );
    fake.ali_vswitch("cn-hangzhou", "vsw-in-j", "cn-hangzhou-j");
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        &[("cloud_essd", 20, 2048), ("cloud_auto", 1, 2048)],
    );
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-j",
        "ecs.g7.large",
        &[("cloud_efficiency", 20, 2048), ("cloud_essd", 20, 2048)],
    );
    let yaml = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: ultra-in-h, image: m-web, instance_type: ecs.g7.large, system_disk_category: cloud_efficiency, vswitch: vsw-in-h}\n\
        - {name: ultra-in-j, image: m-web, instance_type: ecs.g7.large, system_disk_category: cloud_efficiency, vswitch: vsw-in-j}\n\
        - {name: tiny, image: m-web, instance_type: ecs.g7.large, system_disk_category: cloud_essd, system_disk_gb: 3000, vswitch: vsw-in-h}\n\
        - {name: anywhere, image: m-web, instance_type: ecs.g7.large, system_disk_category: cloud_efficiency}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.findings(),
        pairs(&[
            ("tiny", "system-disk-unsupported"),
            ("ultra-in-h", "system-disk-unsupported"),
        ]),
        "{}",
        run.stdout
    );
    let ultra = run.diagnostic("ultra-in-h", "system-disk-unsupported");
    let message = ultra["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("in zone `cn-hangzhou-h` (vSwitch `vsw-in-h`'s)")
            && message.contains("it is sold with `cloud_auto` or `cloud_essd`"),
        "{message}"
    );
    assert_eq!(ultra["line"], 3);
    let tiny = run.diagnostic("tiny", "system-disk-unsupported");
    assert!(
        tiny["message"]
            .as_str()
            .unwrap_or_default()
            .contains("3000 GiB is outside the range of `cloud_essd`"),
        "{tiny}"
    );
    // One call per type and charge type, whatever the entries.
    assert_eq!(fake.count("aliyun.DescribeAvailableResource"), 2);

    // Terraform: no `system_disk_category` is the provider's default, `cloud_efficiency`.
    let tf = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_instance\" \"defaulted\" {\n  image_id      = \"m-web\"\n  instance_type = \"ecs.g7.large\"\n  vswitch_id    = \"vsw-in-h\"\n}\n\n\
        resource \"alicloud_instance\" \"essd\" {\n  image_id             = \"m-web\"\n  instance_type        = \"ecs.g7.large\"\n  vswitch_id           = \"vsw-in-h\"\n  system_disk_category = \"cloud_essd\"\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("alicloud_instance.defaulted", "system-disk-unsupported")]),
        "{}",
        run.stdout
    );
    let d = run.diagnostic("alicloud_instance.defaulted", "system-disk-unsupported");
    assert_eq!(d["line"], 5);
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`cloud_efficiency`, the provider's default"),
        "{d}"
    );
}

const DRY_RUN_TF: &str = r#"provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_instance" "passes" {
  image_id        = "m-web"
  instance_type   = "ecs.g7.large"
  vswitch_id      = "vsw-in-h"
  security_groups = ["sg-web"]
}

resource "alicloud_instance" "no_stock" {
  image_id        = "m-web"
  instance_type   = "ecs.g7.large"
  vswitch_id      = "vsw-in-j"
  security_groups = ["sg-web"]
}

resource "alicloud_instance" "bad_group" {
  image_id        = "m-web"
  instance_type   = "ecs.g7.large"
  vswitch_id      = "vsw-in-h"
  security_groups = ["web-group"]
}

resource "alicloud_instance" "bad_disk" {
  image_id             = "m-web"
  instance_type        = "ecs.g7.large"
  vswitch_id           = "vsw-in-h"
  security_groups      = ["sg-web"]
  system_disk_category = "cloud_ssd"
}

resource "alicloud_instance" "group_later" {
  image_id        = "m-web"
  instance_type   = "ecs.g7.large"
  vswitch_id      = "vsw-in-h"
  security_groups = [alicloud_security_group.new.id]
}

resource "alicloud_security_group" "new" {
  vpc_id = "vpc-1"
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_dry_run_is_the_clouds_own_verdict_and_never_a_pass_without_it() {
    let fake = hangzhou_g7().await;
    // Zone j sells the type but has none in stock (the stock rule says so too).
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-j",
        "ecs.g7.large",
        "SoldOut",
    );
    fake.ali_vswitch("cn-hangzhou", "vsw-in-j", "cn-hangzhou-j");
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        &[
            ("cloud_efficiency", 20, 2048),
            ("cloud_essd", 20, 2048),
            ("cloud_ssd", 20, 2048),
        ],
    );
    let args = ["validate", "main.tf", "--format", "json", "--dry-run"];
    let run = run_with(&[("main.tf", DRY_RUN_TF)], fake.env(), &args).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let dry: Vec<(String, String)> = run
        .findings()
        .into_iter()
        .filter(|(_, rule)| rule == "dry-run-refused")
        .collect();
    // `no_stock`'s refusal (OperationDenied.NoStock) is what instance-type-sold-out already
    // says at the same line: one finding for one cause.
    assert_eq!(
        dry,
        pairs(&[("alicloud_instance.bad_group", "dry-run-refused")]),
        "{}",
        run.stdout
    );
    let no_stock = run.diagnostic("alicloud_instance.no_stock", "instance-type-sold-out");
    assert_eq!(no_stock["line"], 14, "at instance_type");
    let group = run.diagnostic("alicloud_instance.bad_group", "dry-run-refused");
    assert_eq!(group["line"], 23, "at security_groups");
    // `bad_disk`'s category is sold in zone h here, so it passes; one call per distinct
    // launch, and a group known only after apply is said in a note.
    assert_eq!(fake.count("aliyun.RunInstances"), 4);
    let notes = run.json()["notices"].to_string();
    assert!(
        notes.contains("not dry-run: `alicloud_instance.group_later`"),
        "{notes}"
    );

    // The disk category, once the zone does not sell it: the describes say so at
    // `system_disk_category`, and the dry run's `InvalidSystemDiskCategory` refusal of the
    // same cause is not said twice.
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        &[("cloud_efficiency", 20, 2048), ("cloud_essd", 20, 2048)],
    );
    let before = fake.count("aliyun.RunInstances");
    let run = run_with(&[("main.tf", DRY_RUN_TF)], fake.env(), &args).await;
    assert!(
        fake.count("aliyun.RunInstances") > before,
        "the dry run was asked"
    );
    let disk = run.diagnostic("alicloud_instance.bad_disk", "system-disk-unsupported");
    assert_eq!(disk["line"], 31, "at system_disk_category");
    assert!(
        !run.findings()
            .iter()
            .any(|(e, rule)| e == "alicloud_instance.bad_disk" && rule == "dry-run-refused"),
        "{}",
        run.stdout
    );

    // A third refusal code, one only the launch path knows: at the resource.
    fake.set_ali_run_refusal(Some((
        "QuotaExceed.ElasticQuota",
        "No additional quota is available for the specified ECS instance type.",
    )));
    let run = run_with(&[("main.tf", DRY_RUN_TF)], fake.env(), &args).await;
    let quota = run.diagnostic("alicloud_instance.passes", "dry-run-refused");
    assert!(
        quota["message"]
            .as_str()
            .unwrap_or_default()
            .contains("QuotaExceed.ElasticQuota"),
        "{quota}"
    );
    assert_eq!(quota["line"], 5, "at the resource");
    // And the cloud's word over a stale describe: no stock where the describes say there is
    // (no `instance-type-sold-out` beside it), at `instance_type`.
    fake.set_ali_run_refusal(Some((
        "OperationDenied.NoStock",
        "The requested resource is sold out in the specified zone.",
    )));
    let run = run_with(&[("main.tf", DRY_RUN_TF)], fake.env(), &args).await;
    let stock = run.diagnostic("alicloud_instance.passes", "dry-run-refused");
    assert!(
        stock["message"]
            .as_str()
            .unwrap_or_default()
            .contains("OperationDenied.NoStock"),
        "{stock}"
    );
    assert_eq!(stock["line"], 7, "at instance_type");
    assert!(
        !run.findings()
            .iter()
            .any(|(e, rule)| e == "alicloud_instance.passes" && rule == "instance-type-sold-out"),
        "{}",
        run.stdout
    );
    fake.set_ali_run_refusal(None);

    // Without `ecs:RunInstances`: a note, never a pass, and the other checks still stand.
    fake.set_ali_run_forbidden(true);
    let run = run_with(&[("main.tf", DRY_RUN_TF)], fake.env(), &args).await;
    assert!(
        !run.findings()
            .iter()
            .any(|(_, rule)| rule == "dry-run-refused"),
        "{}",
        run.stdout
    );
    let notes = run.json()["notices"].to_string();
    assert!(
        notes.contains("the dry run gave no verdict") && notes.contains("Forbidden.RAM"),
        "{notes}"
    );
    // Without the flag, nothing is sent.
    let before = fake.count("aliyun.RunInstances");
    let _ = run_with(
        &[("main.tf", DRY_RUN_TF)],
        fake.env(),
        &["validate", "main.tf", "--format", "json"],
    )
    .await;
    assert_eq!(fake.count("aliyun.RunInstances"), before);
}

/// `dry-run-refused`'s documentation shows a `.tf` file and the exact finding: run against the
/// fake cloud (a dry run's verdict is never in a facts file), it prints that line.
#[tokio::test(flavor = "multi_thread")]
async fn the_dry_run_rules_doc_example_is_what_it_prints() {
    let doc = preflight::checks::builtin("dry-run-refused")
        .expect("the rule")
        .doc();
    let tf = crate::golden::fenced(&doc, "hcl").expect("an hcl example");
    let line = crate::golden::fenced(&doc, "text").expect("a text example");
    let fake = FakeCloud::start().await;
    let image = "ubuntu_22_04_x64_20G_alibase_20240130.vhd";
    fake.ali_type("cn-hangzhou", "ecs.g7.large", "X86");
    fake.ali_image(
        "cn-hangzhou",
        image,
        "Available",
        "x86_64",
        20,
        &["ecs.g7.large"],
    );
    fake.ali_vswitch("cn-hangzhou", "vsw-bp1web0000000000", "cn-hangzhou-h");
    // Sold out in the vSwitch's zone: the fake's dry run answers from the zone's stock.
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        "SoldOut",
    );
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-i",
        "ecs.g7.large",
        "Available",
    );
    let run = run_with(
        &[("main.tf", &tf)],
        fake.env(),
        &["validate", "main.tf", "--dry-run", "--format", "compact"],
    )
    .await;
    assert!(
        run.stdout.lines().any(|l| format!("{l}\n") == line),
        "the doc's example output\n{line}is not what it prints:\n{}",
        run.stdout
    );
}

/// A dry run's pass holds for one run: with a shared cache, the second run asks the cloud
/// again for the dry run, and for nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_is_never_answered_from_the_cache() {
    let fake = hangzhou_g7().await;
    let cache = crate::support::run::scratch("dry-run-cache");
    let mut env = fake.env();
    env.push((
        "PREFLIGHT_CACHE_DIR".into(),
        cache.to_str().expect("utf-8").into(),
    ));
    let tf = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_instance\" \"web\" {\n  image_id        = \"m-web\"\n  instance_type   = \"ecs.g7.large\"\n  vswitch_id      = \"vsw-in-h\"\n  security_groups = [\"sg-web\"]\n}\n";
    let args = ["validate", "main.tf", "--dry-run", "--format", "json"];
    let first = run_with(&[("main.tf", tf)], env.clone(), &args).await;
    assert_eq!(first.code, 0, "{}", first.stdout);
    let asked = fake.requests().len();
    let second = run_with(&[("main.tf", tf)], env, &args).await;
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(fake.count("aliyun.RunInstances"), 2, "asked again");
    assert_eq!(fake.requests().len(), asked + 1, "and only that");
    let _ = std::fs::remove_dir_all(cache);
}

#[tokio::test(flavor = "multi_thread")]
async fn jd_system_disk_types_are_checked_against_what_the_type_takes() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-web", "ready", "x86_64", 40, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.jd_cloud_disk_types("cn-north-1", "g.n4.xlarge", &["ssd.gp1", "hdd.std1"]);
    fake.jd_type("cn-north-1", "g.n2.large", "x86_64");
    let yaml = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
        - {name: io2, image: img-web, instance_type: g.n4.xlarge, system_disk_category: ssd.io2}\n\
        - {name: gp1, image: img-web, instance_type: g.n4.xlarge, system_disk_category: ssd.gp1}\n\
        - {name: local, image: img-web, instance_type: g.n4.xlarge, system_disk_category: local}\n\
        - {name: unlisted, image: img-web, instance_type: g.n2.large, system_disk_category: ssd.gp1}\n\
        - {name: unwritten, image: img-web, instance_type: g.n2.large}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[
            ("io2", "system-disk-unsupported"),
            ("unlisted", "unverified"),
        ]),
        "{}",
        run.stdout
    );
    let io2 = run.diagnostic("io2", "system-disk-unsupported");
    assert_eq!(io2["line"], 3);
    assert!(
        io2["message"]
            .as_str()
            .unwrap_or_default()
            .contains("it takes `ssd.gp1` or `hdd.std1`"),
        "{io2}"
    );
    // A type whose answer lists no disk types: unverified, with the reason, never a pass.
    assert!(
        run.message("unlisted", "unverified")
            .contains("does not list the cloud disk types `g.n2.large` takes"),
        "{}",
        run.stdout
    );
    // No call beyond the catalogue's: the disk types come with it.
    assert_eq!(fake.count("jdcloud.describeInstanceTypes"), 1);

    // Terraform: `system_disk { disk_type }`, at its line; a block without one is not judged.
    let tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\n\
        resource \"jdcloud_instance\" \"web\" {\n  az            = \"cn-north-1a\"\n  instance_name = \"web\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n  subnet_id     = \"subnet-1\"\n  system_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"ssd.io1\"\n  }\n}\n\n\
        resource \"jdcloud_instance\" \"ok\" {\n  az            = \"cn-north-1a\"\n  instance_name = \"ok\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n  subnet_id     = \"subnet-1\"\n  system_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"hdd.std1\"\n  }\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("jdcloud_instance.web", "system-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("jdcloud_instance.web", "system-disk-unsupported")["line"],
        13
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn data_disk_categories_and_sizes_are_checked_beside_the_system_disk() {
    let fake = hangzhou_g7().await;
    // Beside the default system disk (`cloud_efficiency`) only ESSD data disks; beside an ESSD
    // system disk AutoPL too.
    fake.ali_data_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        "cloud_efficiency",
        &[("cloud_essd", 20, 32768)],
    );
    fake.ali_data_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        "cloud_essd",
        &[("cloud_essd", 20, 32768), ("cloud_auto", 1, 32768)],
    );
    let yaml = "defaults: {cloud: aliyun, region: cn-hangzhou}\ninstances:\n\
        - {name: ultra, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h, system_disk_category: cloud_essd, data_disks: [{category: cloud_efficiency, size_gb: 100}]}\n\
        - {name: essd, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h, system_disk_category: cloud_essd, data_disks: [{category: cloud_auto, size_gb: 100}]}\n\
        - {name: huge, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h, system_disk_category: cloud_essd, data_disks: [{category: cloud_essd, size_gb: 100}, {category: cloud_essd, size_gb: 40000}]}\n\
        - {name: auto-beside-default, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h, data_disks: [{category: cloud_auto, size_gb: 50}]}\n\
        - {name: essd-beside-default, image: m-web, instance_type: ecs.g7.large, vswitch: vsw-in-h, data_disks: [{category: cloud_essd, size_gb: 50}]}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[
            ("auto-beside-default", "data-disk-unsupported"),
            ("huge", "data-disk-unsupported"),
            ("ultra", "data-disk-unsupported"),
        ]),
        "{}",
        run.stdout
    );
    let ultra = run.diagnostic("ultra", "data-disk-unsupported");
    assert_eq!(ultra["line"], 3);
    assert!(
        ultra["message"]
            .as_str()
            .unwrap_or_default()
            .contains("in zone `cn-hangzhou-h` (vSwitch `vsw-in-h`'s)"),
        "{ultra}"
    );
    assert!(
        run.message("huge", "data-disk-unsupported")
            .contains("40000 GiB is outside the range of `cloud_essd`"),
        "{}",
        run.stdout
    );
    // The system disk decides what is asked: one call per (type, system disk) pair, beside
    // the region's availability and the ESSD entries' system disks.
    assert_eq!(fake.count("aliyun.DescribeAvailableResource"), 4);

    // Terraform: a `data_disks` block without `category` is the provider's default.
    let tf = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_instance\" \"defaulted\" {\n  image_id      = \"m-web\"\n  instance_type = \"ecs.g7.large\"\n  vswitch_id    = \"vsw-in-h\"\n  data_disks {\n    size = 100\n  }\n}\n\n\
        resource \"alicloud_instance\" \"essd\" {\n  image_id      = \"m-web\"\n  instance_type = \"ecs.g7.large\"\n  vswitch_id    = \"vsw-in-h\"\n  data_disks {\n    category = \"cloud_essd\"\n    size     = 100\n  }\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("alicloud_instance.defaulted", "data-disk-unsupported")]),
        "{}",
        run.stdout
    );
    let d = run.diagnostic("alicloud_instance.defaulted", "data-disk-unsupported");
    assert_eq!(d["line"], 10, "at the block's size");

    // From plan JSON, which fills the omitted category in: the same finding, at the same
    // place, said as the provider's default.
    let tf = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_instance\" \"db\" {\n  image_id      = \"m-web\"\n  instance_type = \"ecs.g7.large\"\n  vswitch_id    = \"vsw-in-h\"\n\n  data_disks {\n    category = \"cloud_essd\"\n    size     = 100\n  }\n  data_disks {\n    size = 200\n  }\n}\n";
    let plan = r#"{"format_version":"1.2","terraform_version":"1.9.8","complete":true,
      "configuration":{"provider_config":{"alicloud":{"name":"alicloud","full_name":"registry.terraform.io/aliyun/alicloud","expressions":{"region":{"constant_value":"cn-hangzhou"}}}},
        "root_module":{"resources":[{"address":"alicloud_instance.db","mode":"managed","type":"alicloud_instance","name":"db","provider_config_key":"alicloud"}]}},
      "resource_changes":[{"address":"alicloud_instance.db","mode":"managed","type":"alicloud_instance","name":"db","provider_name":"registry.terraform.io/aliyun/alicloud",
        "change":{"actions":["create"],"before":null,
          "after":{"image_id":"m-web","instance_type":"ecs.g7.large","vswitch_id":"vsw-in-h","system_disk_category":"cloud_efficiency","data_disks":[{"category":"cloud_essd","size":100},{"category":"cloud_efficiency","size":200}]},
          "after_unknown":{"id":true,"data_disks":[{},{}]}}}]}"#;
    let run = run_with(
        &[("main.tf", tf), ("tfplan.json", plan)],
        fake.env(),
        &["validate", "tfplan.json", "--format", "json"],
    )
    .await;
    assert_eq!(
        run.findings(),
        pairs(&[("alicloud_instance.db", "data-disk-unsupported")]),
        "{}",
        run.stdout
    );
    let d = run.diagnostic("alicloud_instance.db", "data-disk-unsupported");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("main.tf"), Some(15)),
        "{d}"
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`cloud_efficiency`, the provider's default,"),
        "{d}"
    );

    // An instance set names them `system_disk_category` and `disk_category` (its schema).
    let set = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n\n\
        resource \"alicloud_ecs_instance_set\" \"batch\" {\n  amount               = 2\n  image_id             = \"m-web\"\n  instance_type        = \"ecs.g7.large\"\n  vswitch_id           = \"vsw-in-h\"\n  security_group_ids   = [\"sg-1\"]\n  system_disk_category = \"cloud_essd\"\n  data_disks {\n    disk_category = \"cloud_efficiency\"\n    disk_size     = 100\n  }\n}\n";
    let run = validate(&fake, "main.tf", set).await;
    assert_eq!(
        run.findings(),
        pairs(&[("alicloud_ecs_instance_set.batch", "data-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("alicloud_ecs_instance_set.batch", "data-disk-unsupported")["line"],
        13
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`cloud_efficiency`, the provider's default"),
        "{d}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jd_data_disk_types_are_checked_against_what_the_type_takes() {
    let fake = FakeCloud::start().await;
    fake.jd_image("cn-north-1", "img-web", "ready", "x86_64", 40, None);
    fake.jd_type("cn-north-1", "g.n4.xlarge", "x86_64");
    fake.jd_cloud_disk_types("cn-north-1", "g.n4.xlarge", &["ssd.gp1", "hdd.std1"]);
    let yaml = "defaults: {cloud: jdcloud, region: cn-north-1}\ninstances:\n\
        - {name: io2, image: img-web, instance_type: g.n4.xlarge, data_disks: [{category: ssd.gp1, size_gb: 100}, {category: ssd.io2, size_gb: 100}]}\n\
        - {name: fine, image: img-web, instance_type: g.n4.xlarge, data_disks: [{category: hdd.std1, size_gb: 100}]}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[("io2", "data-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert!(
        run.message("io2", "data-disk-unsupported")
            .contains("data disk type `ssd.io2` is not one `g.n4.xlarge` takes"),
        "{}",
        run.stdout
    );
    // Terraform: each `data_disk { disk_type }` at its line.
    let tf = "provider \"jdcloud\" {\n  region = \"cn-north-1\"\n}\n\n\
        resource \"jdcloud_instance\" \"web\" {\n  az            = \"cn-north-1a\"\n  instance_name = \"web\"\n  image_id      = \"img-web\"\n  instance_type = \"g.n4.xlarge\"\n  subnet_id     = \"subnet-1\"\n  data_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"hdd.std1\"\n  }\n  data_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"ssd.io1\"\n    disk_size_gb  = 100\n  }\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("jdcloud_instance.web", "data-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("jdcloud_instance.web", "data-disk-unsupported")["line"],
        17
    );
    // A size outside JD's range for a cloud data disk, at `disk_size_gb`; 32000 is in it.
    let sized = tf
        .replace("disk_type     = \"ssd.io1\"", "disk_type     = \"ssd.gp1\"")
        .replace("disk_size_gb  = 100", "disk_size_gb  = 40000");
    let run = validate(&fake, "main.tf", &sized).await;
    let d = run.diagnostic("jdcloud_instance.web", "data-disk-unsupported");
    assert_eq!(d["line"], 18, "{}", run.stdout);
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("a data disk of 40000 GiB is outside the range of a JD Cloud cloud data disk: 20–32000 GiB"),
        "{}",
        run.stdout
    );
    let run = validate(&fake, "main.tf", &sized.replace("40000", "32000")).await;
    assert_eq!(run.code, 0, "{}", run.stdout);

    // Two cloud disks at most: a cloud system disk and two data disks are one too many, said
    // at the second data disk; without the system disk's type (the image decides) they fit.
    fake.jd_cloud_disk_limit("cn-north-1", "g.n4.xlarge", 2);
    let counted = sized.replace("40000", "100").replace(
        "  data_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"hdd.std1\"\n  }\n",
        "  system_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"ssd.gp1\"\n  }\n  data_disk {\n    disk_category = \"cloud\"\n    disk_type     = \"hdd.std1\"\n  }\n",
    );
    assert_ne!(counted, sized.replace("40000", "100"));
    let run = validate(&fake, "main.tf", &counted).await;
    let d = run.diagnostic("jdcloud_instance.web", "data-disk-unsupported");
    assert_eq!(
        d["line"], 21,
        "at the second data disk's type: {}",
        run.stdout
    );
    assert!(
        run.message("jdcloud_instance.web", "data-disk-unsupported")
            .contains("`g.n4.xlarge` takes at most 2 cloud disks, its system disk included"),
        "{}",
        run.stdout
    );
    let run = validate(&fake, "main.tf", &sized.replace("40000", "100")).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn zenlayer_system_disk_categories_are_checked_against_what_the_zone_sells() {
    let fake = FakeCloud::start().await;
    fake.zl_image("FRA-A", "img-vm", "AVAILABLE");
    fake.zl_type("FRA-A", "z2a.cpu.4");
    fake.zl_disk_categories("vm", "FRA-A", "POSTPAID", &["Standard NVMe SSD"]);
    fake.zec_image("FRA-A", "img-zec", "AVAILABLE", 20);
    fake.zec_type("FRA-A", "z2a.cpu.4", "cpu", true);
    fake.zl_disk_categories("zec", "FRA-A", "", &["Basic NVMe SSD", "Standard NVMe SSD"]);
    let yaml = "defaults: {cloud: zenlayer, region: FRA-A}\ninstances:\n\
        - {name: vm-basic, image: img-vm, instance_type: z2a.cpu.4, system_disk_category: Basic NVMe SSD}\n\
        - {name: vm-standard, image: img-vm, instance_type: z2a.cpu.4, system_disk_category: Standard NVMe SSD}\n\
        - {name: zec-basic, service: zec, image: img-zec, instance_type: z2a.cpu.4, system_disk_category: Basic NVMe SSD}\n\
        - {name: zec-premium, service: zec, image: img-zec, instance_type: z2a.cpu.4, system_disk_category: Premium}\n";
    let run = validate(&fake, "plan.yaml", yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[
            ("vm-basic", "system-disk-unsupported"),
            ("zec-premium", "system-disk-unsupported"),
        ]),
        "{}",
        run.stdout
    );
    let vm = run.diagnostic("vm-basic", "system-disk-unsupported");
    assert_eq!(vm["line"], 3);
    assert!(
        vm["message"]
            .as_str()
            .unwrap_or_default()
            .contains("it sells `Standard NVMe SSD`"),
        "{vm}"
    );
    // One call per service and zone (VM: per charge type).
    assert_eq!(fake.count("zenlayer.DescribeDiskCategory"), 1);
    assert_eq!(fake.count("zenlayer-zec.DescribeDiskCategory"), 1);

    // VM: each charge type judged by its own answer, asked at once.
    fake.zl_disk_categories("vm", "FRA-A", "PREPAID", &["Basic NVMe SSD"]);
    let vm = "image: img-vm, instance_type: z2a.cpu.4, system_disk_category: Basic NVMe SSD";
    let yaml = format!(
        "defaults: {{cloud: zenlayer, region: FRA-A}}\ninstances:\n\
         - {{name: postpaid, {vm}}}\n\
         - {{name: prepaid, charge_type: prepaid, {vm}}}\n"
    );
    let run = validate(&fake, "plan.yaml", &yaml).await;
    assert_eq!(
        run.findings(),
        pairs(&[("postpaid", "system-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert_eq!(fake.count("zenlayer.DescribeDiskCategory"), 1 + 2);

    // Terraform: `zenlayercloud_zec_instance.system_disk_category`, at its line.
    let tf = "resource \"zenlayercloud_zec_instance\" \"web\" {\n  availability_zone    = \"FRA-A\"\n  image_id             = \"img-zec\"\n  instance_type        = \"z2a.cpu.4\"\n  system_disk_size     = 40\n  system_disk_category = \"Premium\"\n}\n";
    let run = validate(&fake, "main.tf", tf).await;
    assert_eq!(
        run.findings(),
        pairs(&[("zenlayercloud_zec_instance.web", "system-disk-unsupported")]),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.diagnostic("zenlayercloud_zec_instance.web", "system-disk-unsupported")["line"],
        6
    );
}

const SCALING_TF: &str = r#"provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_ess_scaling_group" "in_i" {
  scaling_group_name = "in-i"
  min_size           = 1
  max_size           = 2
  vswitch_ids        = ["vsw-in-i"]
}

resource "alicloud_ess_scaling_group" "in_h_and_i" {
  scaling_group_name = "in-h-and-i"
  min_size           = 1
  max_size           = 2
  vswitch_ids        = ["vsw-in-i", "vsw-in-h"]
}

resource "alicloud_ess_scaling_configuration" "sold_out" {
  scaling_group_id = alicloud_ess_scaling_group.in_i.id
  image_id         = "m-web"
  instance_types   = ["ecs.g7.large"]
}

resource "alicloud_ess_scaling_configuration" "fine" {
  scaling_group_id = alicloud_ess_scaling_group.in_h_and_i.id
  image_id         = "m-web"
  instance_types   = ["ecs.g7.large"]
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_scaling_configurations_system_disk_is_judged_in_its_groups_zones() {
    // In stock in both zones; `cloud_efficiency` (the provider's default) sold only in h.
    let fake = hangzhou_g7().await;
    fake.ali_vswitch("cn-hangzhou", "vsw-in-i", "cn-hangzhou-i");
    fake.ali_stock(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-i",
        "ecs.g7.large",
        "Available",
    );
    let both = [("cloud_efficiency", 20, 2048), ("cloud_essd", 20, 2048)];
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-h",
        "ecs.g7.large",
        &both,
    );
    fake.ali_system_disks(
        "cn-hangzhou",
        "PostPaid",
        "cn-hangzhou-i",
        "ecs.g7.large",
        &[("cloud_essd", 20, 2048)],
    );
    let run = validate(&fake, "main.tf", SCALING_TF).await;
    assert_eq!(
        run.findings(),
        pairs(&[(
            "alicloud_ess_scaling_configuration.sold_out",
            "system-disk-unsupported"
        )]),
        "zone h of `fine`'s group sells it: {}",
        run.stdout
    );
    let d = run.diagnostic(
        "alicloud_ess_scaling_configuration.sold_out",
        "system-disk-unsupported",
    );
    let message = d["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "system disk category `cloud_efficiency`, the provider's default, is not sold with `ecs.g7.large` in its scaling group's zones (`cn-hangzhou-i`)"
        ) && message.contains("it is sold with `cloud_essd`"),
        "{message}"
    );
    assert_eq!(
        d["line"], 19,
        "at the resource, which leaves the default: {d}"
    );
    let related = d["related"].to_string();
    assert!(
        related.contains("its scaling group launches in `cn-hangzhou-i`"),
        "{related}"
    );
    // A group with the deprecated single `vswitch_id` launches in that vSwitch's zone alike.
    let single = SCALING_TF.replace(
        "vswitch_ids        = [\"vsw-in-i\"]",
        "vswitch_id         = \"vsw-in-i\"",
    );
    assert_ne!(single, SCALING_TF);
    let run = validate(&fake, "main.tf", &single).await;
    assert_eq!(
        run.findings(),
        pairs(&[(
            "alicloud_ess_scaling_configuration.sold_out",
            "system-disk-unsupported"
        )]),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scaling_configuration_launches_in_its_groups_zones() {
    let fake = hangzhou().await;
    let run = validate(&fake, "main.tf", SCALING_TF).await;
    let found: Vec<(String, String)> = run
        .findings()
        .into_iter()
        .filter(|(e, _)| e.starts_with("alicloud_ess_scaling_configuration.sold_out"))
        .collect();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0].1, "instance-type-sold-out", "{}", run.stdout);
    assert!(
        !run.findings()
            .iter()
            .any(|(e, _)| e.starts_with("alicloud_ess_scaling_configuration.fine")),
        "stock in one of the group's zones will do: {}",
        run.stdout
    );
    let d = run.diagnostic(&found[0].0, "instance-type-sold-out");
    assert_eq!(d["line"], 22, "at instance_types");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("sold out in every zone of its scaling group's vSwitches (`cn-hangzhou-i`)"),
        "{d}"
    );
    // Each vSwitch asked once, for every configuration that uses it.
    assert_eq!(fake.count("aliyun.DescribeVSwitches"), 2);

    // The same from Terraform's plan JSON: the group found by the configuration's reference,
    // its planned `vswitch_ids` read, the finding pointed into the `.tf`.
    let plan = r#"{"format_version":"1.2","terraform_version":"1.9.8","complete":true,
      "configuration":{"provider_config":{"alicloud":{"name":"alicloud","full_name":"registry.terraform.io/aliyun/alicloud","expressions":{"region":{"constant_value":"cn-hangzhou"}}}},
        "root_module":{"resources":[
          {"address":"alicloud_ess_scaling_group.in_i","mode":"managed","type":"alicloud_ess_scaling_group","name":"in_i","provider_config_key":"alicloud","expressions":{"vswitch_ids":{"constant_value":["vsw-in-i"]}}},
          {"address":"alicloud_ess_scaling_configuration.sold_out","mode":"managed","type":"alicloud_ess_scaling_configuration","name":"sold_out","provider_config_key":"alicloud",
           "expressions":{"scaling_group_id":{"references":["alicloud_ess_scaling_group.in_i.id","alicloud_ess_scaling_group.in_i"]},"image_id":{"constant_value":"m-web"},"instance_types":{"constant_value":["ecs.g7.large"]}}}]}},
      "resource_changes":[
        {"address":"alicloud_ess_scaling_group.in_i","mode":"managed","type":"alicloud_ess_scaling_group","name":"in_i","provider_name":"registry.terraform.io/aliyun/alicloud",
         "change":{"actions":["create"],"before":null,"after":{"scaling_group_name":"in-i","vswitch_ids":["vsw-in-i"]},"after_unknown":{"id":true}}},
        {"address":"alicloud_ess_scaling_configuration.sold_out","mode":"managed","type":"alicloud_ess_scaling_configuration","name":"sold_out","provider_name":"registry.terraform.io/aliyun/alicloud",
         "change":{"actions":["create"],"before":null,"after":{"image_id":"m-web","instance_types":["ecs.g7.large"]},"after_unknown":{"id":true,"scaling_group_id":true}}}]}"#;
    let tf_only_sold_out = SCALING_TF
        .split("resource \"alicloud_ess_scaling_configuration\" \"fine\"")
        .next()
        .unwrap_or_default();
    let run = run_with(
        &[("main.tf", tf_only_sold_out), ("tfplan.json", plan)],
        fake.env(),
        &["validate", "tfplan.json", "--format", "json"],
    )
    .await;
    let found: Vec<(String, String)> = run
        .findings()
        .into_iter()
        .filter(|(_, r)| r != "unverified")
        .collect();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    let d = run.diagnostic(&found[0].0, "instance-type-sold-out");
    assert_eq!(d["file"], "main.tf", "{d}");
    assert_eq!(d["line"], 22, "at instance_types: {d}");
    // The group is shown where the configuration names it.
    let human = run_with(
        &[("main.tf", SCALING_TF)],
        fake.env(),
        &["validate", "main.tf"],
    )
    .await;
    assert!(
        human
            .stdout
            .contains("its scaling group launches in `cn-hangzhou-i`")
            && human
                .stdout
                .contains("20 │   scaling_group_id = alicloud_ess_scaling_group.in_i.id"),
        "{}",
        human.stdout
    );
}
