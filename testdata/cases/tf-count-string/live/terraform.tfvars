batch_replicas = "0"
