# Not staged, and calls nothing that is: not checked.
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_instance" "scratch" {
  image_id      = "m-bp1retired0000web"
  instance_type = "ecs.g7.large"
}
