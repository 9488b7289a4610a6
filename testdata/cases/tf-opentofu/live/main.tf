# Read by Terraform only: OpenTofu reads main.tofu instead, and so does preflight.
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_instance" "web" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.larg"
}
