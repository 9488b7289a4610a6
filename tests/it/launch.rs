//! The whole launch, not only the pairing (issue 19): each check through the real binary
//! against the fake cloud, in YAML and in `.tf`, with a clean control beside each finding.

use crate::support::fake_cloud::{FakeCloud, Fault};
use crate::support::run::{pairs, run_with};

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
        let run = run_with(
            &[("plan.yaml", YAML)],
            fake.env(),
            &["validate", "plan.yaml", "--format", "json"],
        )
        .await;
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
    let run = run_with(
        &[("plan.yaml", plan)],
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
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
    let run = run_with(
        &[("main.tf", TF)],
        fake.env(),
        &["validate", "main.tf", "--format", "json"],
    )
    .await;
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
    let run = run_with(
        &[("plan.yaml", plan)],
        fake.env(),
        &["validate", "plan.yaml", "--format", "json"],
    )
    .await;
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
    let run_tf = run_with(
        &[("main.tf", tf)],
        fake.env(),
        &["validate", "main.tf", "--format", "json"],
    )
    .await;
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
