# Optional parts switched off through variables: nothing of them is planned, so nothing is
# checked or reported for them.
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "enable_bastion" {
  type    = bool
  default = true
}

variable "workers" {
  type    = map(string)
  default = { a = "ecs.g7.large" }
}

variable "enable_db" {
  type    = bool
  default = false
}

resource "alicloud_instance" "web" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "bastion" {
  count         = var.enable_bastion ? 1 : 0
  image_id      = "m-bp1retired0000web"
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "worker" {
  for_each      = var.workers
  image_id      = "m-bp1retired0000web"
  instance_type = each.value
}

module "db" {
  source = "./modules/db"
  count  = var.enable_db ? 1 : 0
}
