"""City health check and assessment platform (城市体检评估)."""
