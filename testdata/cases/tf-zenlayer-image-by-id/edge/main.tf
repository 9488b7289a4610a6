# An image cut from a VM this configuration does not manage: its zone is not in the
# configuration, so the quota cannot be checked. The instance id is never taken for a zone.
provider "zenlayercloud" {}

variable "legacy_vm" {
  default = "vm-2a91f0c3"
}

resource "zenlayercloud_zvm_image" "legacy" {
  instance_id = var.legacy_vm
  image_name  = "legacy"
}
