terraform {
  required_providers {
    jdcloud = {
      source  = "jdcloud-api/jdcloud"
      version = "~> 1.6"
    }
  }
}

provider "jdcloud" {
  region = "cn-north-1"
}

variable "az" {
  type    = string
  default = "cn-north-1a"
}

locals {
  api_image = "img-m5s0****29"
}

resource "jdcloud_instance" "api" {
  count         = 2
  az            = var.az
  instance_name = "api-${count.index}"
  image_id      = local.api_image
  instance_type = "g.n4.large"
  subnet_id     = "subnet-rht03mi6o0"
  password      = "DevOps2026"

  system_disk {
    disk_category = "local"
    disk_size_gb  = 40
  }
}

# Unchanged: a no-op in the plan, so not checked again.
resource "jdcloud_instance" "legacy" {
  az            = var.az
  instance_name = "legacy"
  image_id      = "img-retired01"
  instance_type = "g.n2.large"
  subnet_id     = "subnet-rht03mi6o0"

  system_disk {
    disk_category = "local"
  }
}

module "db" {
  source   = "./modules/db"
  for_each = {
    primary = "m.n4.2xlarge"
    replica = "m.n4.xlarge"
  }
  name          = each.key
  instance_type = each.value
}
