terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230"
    }
  }
}

provider "alicloud" {
  region = var.region
}

resource "alicloud_instance" "bastion" {
  instance_name    = "bastion"
  image_id         = "aliyun_3_x64_40G_alibase_20240819.vhd"
  instance_type    = "ecs.g7.large"
  system_disk_size = 20
  vswitch_id       = "vsw-bp1s5fnvk4gn2tws03624"
  security_groups  = ["sg-bp1fg655nh68xyz9i9l2"]
}

module "web" {
  source        = "./modules/web"
  image_id      = var.web_image
  instance_type = "ecs.g8y.large"
  replicas      = 2
}

# Golden images made from the bastion.
resource "alicloud_image" "golden" {
  count       = 2
  instance_id = alicloud_instance.bastion.id
  image_name  = "golden-${count.index}"
}

# Workers boot from the golden image, which exists only after apply.
resource "alicloud_instance" "worker" {
  for_each      = toset(["a", "b"])
  instance_name = "worker-${each.key}"
  image_id      = alicloud_image.golden[0].id
  instance_type = "ecs.c7.large"
}
