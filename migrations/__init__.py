"""Alembic migrations of the read model; run with `core.database.migrate` or the alembic CLI."""
