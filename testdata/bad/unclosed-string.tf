resource "jdcloud_instance" "a" {
  image_id = "img-1"
  instance_type = "g.n4.large
}
