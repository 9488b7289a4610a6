image_id = "m-bp1retired0000web"
