# An image imported from OSS is a custom image like one made from an instance.
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_image_import" "base" {
  image_name   = "base-2026"
  architecture = "x86_64"
  os_type      = "linux"
  platform     = "Ubuntu"
  disk_device_mapping {
    oss_bucket = "images"
    oss_object = "base-2026.qcow2"
  }
}
