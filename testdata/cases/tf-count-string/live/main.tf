# Counts written as strings, as variables often carry them (`default = "2"`, `replicas = "0"`
# in a tfvars file): Terraform converts them to numbers, and so does preflight. Checked with
# Terraform 1.11 on the same shapes: "2" plans two instances, "0" none.
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "web_replicas" {
  default = "2"
}

variable "batch_replicas" {
  default = "3"
}

resource "alicloud_instance" "web" {
  count         = var.web_replicas
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "batch" {
  count         = var.batch_replicas
  image_id      = "m-bp1retired0000web"
  instance_type = "ecs.g7.large"
}
