resource "alicloud_instance" "db" {
  image_id      = "m-bp1retired0000web"
  instance_type = data.alicloud_instance_types.db.instance_types[0].id
}

data "alicloud_instance_types" "db" {
  cpu_core_count = 4
}
