print("report: 3 rows")
