web_image = "m-bp1retired0000web"
