include "root" {
  path = find_in_parent_folders("root.hcl")
}

# A module from another repository: its only copy here is Terragrunt's cache.
terraform {
  source = "git::https://git.example.com/infra-modules.git//db?ref=v1.2.0"
}

inputs = {
  name          = "orders"
  instance_type = "m.n4.2xlarge"
}
