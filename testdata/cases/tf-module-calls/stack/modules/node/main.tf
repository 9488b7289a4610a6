variable "name" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "image_id" {
  type = string
}

resource "alicloud_instance" "this" {
  instance_name = var.name
  image_id      = var.image_id
  instance_type = var.instance_type
}
