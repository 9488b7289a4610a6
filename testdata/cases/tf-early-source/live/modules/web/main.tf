variable "type" {}

resource "alicloud_instance" "this" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = var.type
}

# A called module's source from its caller's argument: known before plan, so followed.
variable "shared" {}

module "disk" {
  source = "${var.shared}/disk"
  type   = var.type
}
