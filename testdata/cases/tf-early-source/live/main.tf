# A module source built from a variable, as OpenTofu's early evaluation allows (and
# Terraform's const variables): read from where it leads.
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "modules" {
  default = "./modules"
}

module "web" {
  source = "${var.modules}/web"
  shared = "../shared"
  type   = "ecs.g7.larg"
}
