"""PostgreSQL repositories of the reporting read model (the only modules that run SQL)."""
