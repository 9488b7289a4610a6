provider "jdcloud" {
  region = "cn-north-1"
}

resource "jdcloud_instance" "api" {
  count    = 2
  image_id = "img-m5s0****29"
  instance_type = "g.n4.large
}

resource "jdcloud_instance" "db" {
  image_id      = = "img-m5s0****29"
  instance_type = "g.n4.large"
}
