variable "image_id" {
  description = "The image the example boots; set in terraform.tfvars.json."
  type        = string
  default     = "aliyun_3_x64_40G_alibase_20240819.vhd"
}
