# Merged into `alicloud_instance.canary` by Terraform.
resource "alicloud_instance" "canary" {
  image_id = "m-canary-build"
}
