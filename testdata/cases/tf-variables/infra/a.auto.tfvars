d = "m-d-a-auto"
e = "m-e-a-auto"
