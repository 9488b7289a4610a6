variable "zone" {
  type = string
}

variable "image" {
  type = string
}

resource "zenlayercloud_instance" "node" {
  count             = 3
  availability_zone = var.zone
  image_id          = var.image
  instance_type     = "z2a.cpu.1"
}

resource "zenlayercloud_instance" "cache" {
  availability_zone = var.zone
  image_id          = var.image
  instance_type     = lookup({ small = "z2a.cpu.1" }, "small")
}
