variable "name" {
  type = string
}

variable "instance_type" {
  type = string
}

resource "jdcloud_instance" "db" {
  az            = "cn-north-1b"
  instance_name = "db-${var.name}"
  image_id      = "img-m5s0****30"
  instance_type = var.instance_type
  subnet_id     = "subnet-rht03mi6o0"

  system_disk {
    disk_category = "cloud"
    disk_size_gb  = 100
  }
}
