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
