provider "alicloud" {
  region = "cn-hangzhou"
}

module "ecs" {
  source = "../.."

  name                = "basic"
  number_of_instances = 2
  image_id            = var.image_id
  vswitch_id          = "vsw-bp1s5fnvk4gn2tws03624"
  security_group_ids  = ["sg-bp1fg655nh68xyz9i9l2"]
}
