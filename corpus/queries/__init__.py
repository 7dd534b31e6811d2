"""Named DuckDB queries shipped as .sql files."""
