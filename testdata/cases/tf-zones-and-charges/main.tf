provider "alicloud" {
  region = "cn-hangzhou"
}

# Subscription, in a zone: ecs.sub.large is sold only so.
resource "alicloud_instance" "reserved" {
  image_id             = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type        = "ecs.sub.large"
  instance_charge_type = "PrePaid"
  availability_zone    = "cn-hangzhou-h"
}

# Spot: not sold as spot here.
resource "alicloud_instance" "batch" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.sub.large"
  spot_strategy = "SpotAsPriceGo"
}

# Sold out in this zone.
resource "alicloud_instance" "web" {
  image_id          = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type     = "ecs.g7.large"
  availability_zone = "cn-hangzhou-i"
}

# Only a vSwitch: the zone is unknown, so the region's answer applies (in stock in h).
resource "alicloud_instance" "worker" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
  vswitch_id    = "vsw-bp1s5fnvk4gn2tws03624"
}

resource "zenlayercloud_instance" "edge" {
  availability_zone    = "FRA-A"
  instance_charge_type = "PREPAID"
  image_id             = "ubuntu22-20240801"
  instance_type        = "z2a.cpu.1"
  system_disk_size     = 20
}

resource "zenlayercloud_zec_instance" "app" {
  availability_zone = "asia-east-1a"
  image_id          = "ubuntu22-zec"
  instance_type     = "z2a.gpu.1"
  system_disk_size  = 20
}

resource "zenlayercloud_zec_image" "golden" {
  instance_id = zenlayercloud_zec_instance.app.id
  image_name  = "golden"
}
