h = "m-h-late-var-file"
