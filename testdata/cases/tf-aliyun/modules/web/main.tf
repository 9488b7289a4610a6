variable "image_id" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "replicas" {
  type    = number
  default = 1
}

resource "alicloud_instance" "app" {
  count            = var.replicas
  instance_name    = "web-${count.index}"
  image_id         = var.image_id
  instance_type    = var.instance_type
  system_disk_size = 40
}
