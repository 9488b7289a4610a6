variable "image_id" {
  type = string
}

resource "alicloud_instance" "app" {
  image_id      = var.image_id
  instance_type = "ecs.g7.large"
}
