f = "m-f-var-file"
g = "m-g-var-file"
