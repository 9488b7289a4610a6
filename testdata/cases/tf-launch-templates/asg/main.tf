# Templates and scaling configurations carry the pairings that fail at scale-out, long after
# `terraform apply` succeeded.
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_ecs_launch_template" "web" {
  launch_template_name = "web"
  image_id             = "m-bp1retired0000web"
  instance_type        = "ecs.g7.large"
  system_disk {
    category = "cloud_essd"
    size     = 40
  }
}

resource "alicloud_launch_template" "legacy" {
  name             = "legacy"
  image_id         = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type    = "ecs.c7.large"
  system_disk_size = 20
}

resource "alicloud_ess_scaling_group" "workers" {
  scaling_group_name = "workers"
  min_size           = 0
  max_size           = 10
  vswitch_ids        = ["vsw-bp1s5fnvk4gn2tws03624"]
}

# Scale-out tries the types in order; each one must work with the image.
resource "alicloud_ess_scaling_configuration" "workers" {
  scaling_group_id = alicloud_ess_scaling_group.workers.id
  image_id         = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_types   = ["ecs.g7.large", "ecs.g8y.large", "ecs.r7.large"]
  security_group_id = "sg-bp1fg655nh68xyz9i9l2"
  force_delete     = true
  active           = true
}

resource "alicloud_instance" "canary" {
  image_id      = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type = "ecs.g7.large"
}

# Launches instances too, but preflight does not read it: named in a note.
resource "alicloud_cs_kubernetes_node_pool" "workers" {
  node_pool_name = "workers"
  cluster_id     = "c-0123456789"
  instance_types = ["ecs.g7.large"]
  vswitch_ids    = ["vsw-bp1s5fnvk4gn2tws03624"]
}
