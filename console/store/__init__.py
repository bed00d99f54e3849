"""Storage: the ORM, the single group-committing writer, read queries and Alembic migrations."""
