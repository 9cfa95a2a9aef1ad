"""Operations: metrics, logs, tracing and the worker's life, against real databases and servers."""

from tests.databases import database_url, engine, postgres_url  # noqa: F401
