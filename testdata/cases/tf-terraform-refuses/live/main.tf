# What `terraform plan` refuses, preflight refuses too, at the spot (exit 2): an argument the
# module declares no variable for, and `element()` on an empty list.
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
