# One root module per environment, both calling the shared module: from the repository's
# top, `preflight validate` finds both roots (and the YAML plans beside them).
provider "alicloud" {
  region = "cn-hangzhou"
}

module "web" {
  source = "../../modules/web"
  type   = "ecs.g7.larg"
}
