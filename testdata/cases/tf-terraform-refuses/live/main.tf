# What `terraform plan` refuses, preflight refuses too, at the spot (exit 2): an argument the
# module declares no variable for, `element()` on an empty list, and `for_each` over a list
# (a map or a set of strings only).
provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  spare_types = []
}

module "web" {
  source        = "./modules/web"
  instance_type = "ecs.g7.large"
  instnce_count = 2
}

resource "alicloud_instance" "spare" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = element(local.spare_types, 0)
}

variable "zones" {
  type    = list(string)
  default = ["cn-hangzhou-h", "cn-hangzhou-i"]
}

variable "zone_set" {
  type    = set(string)
  default = ["cn-hangzhou-h"]
}

locals {
  batch_zones = ["cn-hangzhou-j"]
}

# Refused: a list(string) variable, and a local that is a tuple.
resource "alicloud_instance" "per_zone" {
  for_each          = var.zones
  availability_zone = each.value
  image_id          = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type     = "ecs.g7.large"
}

resource "alicloud_instance" "batch" {
  for_each          = local.batch_zones
  availability_zone = each.value
  image_id          = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type     = "ecs.g7.large"
}

# Accepted: toset(), a set(string) variable.
resource "alicloud_instance" "per_zone_set" {
  for_each          = toset(var.zones)
  availability_zone = each.value
  image_id          = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type     = "ecs.g7.large"
}

resource "alicloud_instance" "typed_set" {
  for_each          = var.zone_set
  availability_zone = each.value
  image_id          = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type     = "ecs.g7.large"
}
