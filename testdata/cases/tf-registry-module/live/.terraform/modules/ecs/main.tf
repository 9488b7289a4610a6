variable "number_of_instances" {
  default = 1
}

variable "image_id" {
  default = ""
}

variable "instance_type" {
  default = ""
}

resource "alicloud_instance" "this" {
  count         = var.number_of_instances
  image_id      = var.image_id
  instance_type = var.instance_type
}
