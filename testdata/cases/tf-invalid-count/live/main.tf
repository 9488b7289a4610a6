# Terraform refuses a count that is not a whole number of at least 0 ("Invalid count
# argument"), and so does preflight reading the .tf directly: an input error at the count.
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "replicas" {
  default = "1.5"
}

resource "alicloud_instance" "web" {
  count         = var.replicas
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "spare" {
  count         = -1
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}
