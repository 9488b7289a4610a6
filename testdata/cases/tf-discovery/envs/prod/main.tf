provider "alicloud" {
  region = "cn-hangzhou"
}

module "web" {
  source = "../../modules/web"
  type   = "ecs.g7.large"
}
