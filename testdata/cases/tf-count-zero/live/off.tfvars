enable_bastion = false
workers        = {}
