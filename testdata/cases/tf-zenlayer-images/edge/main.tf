# Golden images cut from a builder VM count against the zone's custom-image quota.
provider "zenlayercloud" {}

variable "golden_images" {
  type    = number
  default = 3
}

resource "zenlayercloud_zvm_instance" "builder" {
  availability_zone = "FRA-A"
  instance_name     = "builder"
  image_id          = "img-zl-ubuntu-2204"
  instance_type     = "z2a.cpu.2"
  system_disk_size  = 40
}

resource "zenlayercloud_zvm_image" "golden" {
  count       = var.golden_images
  instance_id = zenlayercloud_zvm_instance.builder.id
  image_name  = "golden-${count.index}"
}

# The older name of the same resource.
resource "zenlayercloud_image" "base" {
  instance_id = zenlayercloud_zvm_instance.builder.id
  image_name  = "base"
}
