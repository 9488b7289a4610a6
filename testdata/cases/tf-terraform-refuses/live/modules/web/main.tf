variable "instance_type" {}

variable "instance_count" {
  default = 1
}

resource "alicloud_instance" "this" {
  count         = var.instance_count
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = var.instance_type
}
