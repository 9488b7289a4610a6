variable "region" {
  type    = string
  default = "cn-hangzhou"
}

variable "web_image" {
  type        = string
  description = "Image for the web tier"
  default     = "ubuntu_22_04_x64_20G_alibase_20240926.vhd"
}
