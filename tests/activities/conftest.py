"""Activities run with `ActivityEnvironment` against a real, migrated read model."""

from tests.databases import database_url, engine, postgres_url  # noqa: F401
