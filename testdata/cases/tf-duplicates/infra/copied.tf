# Pasted from another stack: Terraform rejects both blocks.
provider "alicloud" {
  region = "cn-shanghai"
}

resource "alicloud_instance" "web" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.c7.large"
}
