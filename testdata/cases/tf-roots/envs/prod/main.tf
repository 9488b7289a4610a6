provider "alicloud" {
  region = "cn-hangzhou"
}

variable "image_id" {
  type    = string
  default = "aliyun_3_x64_40G_alibase_20240819.vhd"
}

module "app" {
  source   = "../../modules/app"
  image_id = var.image_id
}
