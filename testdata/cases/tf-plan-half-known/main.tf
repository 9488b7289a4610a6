# A module repository in the terraform-alicloud-modules layout: the module at the root, its
# examples below, each calling it with `source = "../.."`.

data "alicloud_instance_types" "this" {
  cpu_core_count = var.cpu_core_count
  memory_size    = var.memory_size
}

resource "alicloud_instance" "this" {
  count                = var.number_of_instances
  instance_name        = "${var.name}-${count.index}"
  image_id             = var.image_id
  instance_type        = var.instance_type != "" ? var.instance_type : data.alicloud_instance_types.this.instance_types[0].id
  system_disk_category = "cloud_essd"
  vswitch_id           = var.vswitch_id
  security_groups      = var.security_group_ids
}
