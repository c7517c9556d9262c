print("cryptomask")
