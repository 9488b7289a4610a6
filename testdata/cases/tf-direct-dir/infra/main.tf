provider "zenlayercloud" {}

variable "image" {
  type    = string
  default = "img-zl-ubuntu-2204"
}

module "edge" {
  source = "./modules/edge"
  zone   = "HKG-A"
  image  = var.image
}

resource "zenlayercloud_instance" "build" {
  availability_zone = "SEL-A"
  image_id          = "img-zl-debian-12"
  instance_type     = "z2a.cpu.8"
  system_disk_size  = 40
}
