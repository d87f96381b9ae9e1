"""One module per family of databases: each holds its field table and proximity syntax as data."""
