variable "name" {
  type    = string
  default = "ecs"
}

variable "number_of_instances" {
  type    = number
  default = 1
}

variable "image_id" {
  type = string
}

variable "instance_type" {
  type    = string
  default = ""
}

variable "cpu_core_count" {
  type    = number
  default = 2
}

variable "memory_size" {
  type    = number
  default = 8
}

variable "vswitch_id" {
  type    = string
  default = ""
}

variable "security_group_ids" {
  type    = list(string)
  default = []
}
