terraform {
  required_providers {
    zenlayercloud = {
      source  = "zenlayer/zenlayercloud"
      version = "~> 2.0"
    }
  }
}

provider "zenlayercloud" {}

variable "edge_image" {
  type    = string
  default = "img-zl-ubuntu-2204"
}

resource "zenlayercloud_instance" "edge" {
  for_each          = toset(["FRA-A", "HKG-A"])
  availability_zone = each.key
  instance_name     = "edge-${lower(each.key)}"
  image_id          = var.edge_image
  instance_type     = "z2a.cpu.1"
  system_disk_size  = 20
}

resource "zenlayercloud_zvm_instance" "build" {
  availability_zone = "SEL-A"
  instance_name     = "build"
  image_id          = "img-zl-debian-12"
  instance_type     = "z2a.cpu.4"
  system_disk_size  = 40
}

resource "zenlayercloud_zec_instance" "app" {
  availability_zone = "asia-east-1a"
  instance_name     = "app"
  image_id          = "ubuntu22-20240801"
  instance_type     = "z2a.cpu.4"
}

resource "zenlayercloud_bmc_instance" "metal" {
  availability_zone = "SEL-A"
  instance_name     = "metal"
  image_id          = "img-bmc-rocky9"
  instance_type_id  = "M6C"
}
