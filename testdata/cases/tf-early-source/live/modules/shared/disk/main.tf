variable "type" {}

resource "alicloud_instance" "disk" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = var.type
}
