"""Schema and queries of the read model, on SQLite and PostgreSQL."""

from tests.databases import database_url, engine, postgres_url  # noqa: F401
