# OpenTofu's provider `for_each`: one configuration per region, and each instance of the
# resource picks its own (`alicloud.by_region[each.key]`), so its region is known.
variable "regions" {
  default = {
    hz = "cn-hangzhou"
    sh = "cn-shanghai"
  }
}

provider "alicloud" {
  for_each = var.regions
  alias    = "by_region"
  region   = each.value
}

resource "alicloud_instance" "web" {
  for_each      = var.regions
  provider      = alicloud.by_region[each.key]
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}
