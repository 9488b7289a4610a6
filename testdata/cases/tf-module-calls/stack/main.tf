# One module, called for several services and for each region: a finding inside it says
# which call set the value.
provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "sh"
  region = "cn-shanghai"
}

locals {
  services = {
    api    = { type = "ecs.g7.large" }
    search = { type = "ecs.r7.large" }
    jobs   = { type = "ecs.c7.large" }
  }
}

module "service" {
  source   = "./modules/app"
  for_each = local.services

  name          = each.key
  instance_type = each.value.type
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
}

module "cache" {
  source        = "./modules/app"
  name          = "cache"
  instance_type = "ecs.g7.large"
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
}

# The same module in Shanghai, where the image does not exist.
module "cache_sh" {
  source = "./modules/app"
  providers = {
    alicloud = alicloud.sh
  }
  name          = "cache-sh"
  instance_type = "ecs.g7.large"
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
}
