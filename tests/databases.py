"""Read-model database fixtures: each test gets a migrated database of its own, on SQLite and
on PostgreSQL (skipped with the reason when the server is unreachable, unless required).

Import the fixtures into a package's conftest.py to use them there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from core.database import make_engine, migrate

__all__ = ["database_url", "engine", "postgres_url", "sqlite_read_model"]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL, once it has answered; skip (or fail, when required) if not."""
    url = os.environ.get("QI_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            pass
    except OperationalError as exc:
        reason = (
            f"PostgreSQL unreachable at {make_url(url).render_as_string()} ({exc.orig}); "
            "set QI_TEST_POSTGRES_URL, or QI_TEST_REQUIRE_POSTGRES=1 to make this a failure"
        )
        if os.environ.get("QI_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        probe.dispose()
    return url


def _postgres_schema(postgres_url: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"qi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in a folder that does not exist yet, or a PG schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'read-model.sqlite3'}"
    else:
        yield from _postgres_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, migrated to head with Alembic (not create_all)."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def sqlite_read_model(folder: Path) -> Iterator[Engine]:
    """A migrated SQLite read model in `folder`, disposed of afterwards (for a fixture to yield
    from where a test needs SQLite alone)."""
    engine = make_engine(f"sqlite:///{folder / 'read-model.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()
