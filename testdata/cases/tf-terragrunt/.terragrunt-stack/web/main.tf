# A unit Terragrunt generated from a stack: found, though its directory is hidden.
provider "jdcloud" {
  region = "cn-north-1"
}

resource "jdcloud_instance" "web" {
  az            = "cn-north-1a"
  instance_name = "web"
  image_id      = "img-m5s0****29"
  instance_type = "g.n4.xlarge"
  subnet_id     = "subnet-rht03mi6o0"
}
