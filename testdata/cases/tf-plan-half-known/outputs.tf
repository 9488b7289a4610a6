output "instance_ids" {
  value = alicloud_instance.this[*].id
}
