# A registry module, downloaded by `terraform init` into .terraform/modules.
provider "alicloud" {
  region = "cn-hangzhou"
}

module "ecs" {
  source  = "alibaba/ecs-instance/alicloud"
  version = "2.12.0"

  number_of_instances = 1
  image_id            = "m-bp1retired0000web"
  instance_type       = "ecs.g7.large"
}
