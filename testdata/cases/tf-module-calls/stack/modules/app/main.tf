variable "name" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "image_id" {
  type = string
}

# The provider comes from the caller: inherited, or passed in `providers`.
module "node" {
  source        = "../node"
  name          = var.name
  instance_type = var.instance_type
  image_id      = var.image_id
}
