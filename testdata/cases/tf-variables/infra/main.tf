# Each instance boots the image one variable names; every image is gone, so each finding says
# which value won and where it was set.
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "a" { default = "m-a-default" }
variable "b" { default = "m-b-default" }
variable "c" { default = "m-c-default" }
variable "d" { default = "m-d-default" }
variable "e" { default = "m-e-default" }
variable "f" { default = "m-f-default" }
variable "g" { default = "m-g-default" }
variable "h" { default = "m-h-default" }
variable "i" { default = "m-i-default" }

resource "alicloud_instance" "a" {
  image_id      = var.a
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "b" {
  image_id      = var.b
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "c" {
  image_id      = var.c
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "d" {
  image_id      = var.d
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "e" {
  image_id      = var.e
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "f" {
  image_id      = var.f
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "g" {
  image_id      = var.g
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "h" {
  image_id      = var.h
  instance_type = "ecs.g7.large"
}

resource "alicloud_instance" "i" {
  image_id      = var.i
  instance_type = "ecs.g7.large"
}
