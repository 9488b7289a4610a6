b = "m-b-tfvars"
c = "m-c-tfvars"
