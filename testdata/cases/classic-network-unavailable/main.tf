provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_instance" "web" {
  image_id      = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
  instance_type = "ecs.g7.large"
}

# The control: in a vSwitch, so in the VPC.
resource "alicloud_instance" "api" {
  image_id      = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
  instance_type = "ecs.g7.large"
  vswitch_id    = "vsw-bp1api0000000000"
}
