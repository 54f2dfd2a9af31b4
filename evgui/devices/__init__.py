"""Device knowledge as data: the profile schema and its loader."""
