"""The read model's engine, its migrations, and the one dialect difference the writers need.

Built by entry points (`qi up`, the worker, tests) and passed down; nothing here runs at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

__all__ = ["dialect_insert", "make_engine", "migrate", "schema_is_current", "session"]

# Long enough to ride out another writer's transaction (the worker runs several activities
# at once on one file), short enough that a stuck lock surfaces as a retryable failure.
SQLITE_BUSY_TIMEOUT_MS = 5_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the CLI read while the worker writes; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created and WAL switched on.

    Writers should open each transaction with a write (as `dialect_insert` upserts do): in WAL
    mode a transaction that reads first and writes later can fail with SQLITE_BUSY at once,
    without waiting out the busy timeout.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def dialect_insert(engine: Engine) -> Callable[..., Any]:
    """The `insert` with ON CONFLICT support for this engine's database."""
    name = engine.dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise ValueError(f"unsupported database for the read model: {name}")


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A session whose objects stay readable after commit (callers convert them to models)."""
    with Session(engine, expire_on_commit=False) as db:
        yield db


def _alembic_config(script_location: Path) -> Config:
    config = Config(str(script_location / "alembic.ini"))
    # The ini is package data; point alembic at the folder it was actually installed in.
    config.set_main_option("script_location", str(script_location))
    return config


def migrate(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Bring the read model's schema up to `revision` (Alembic `upgrade`)."""
    with resources.as_file(resources.files("migrations")) as script_location:
        config = _alembic_config(script_location)
        if isinstance(engine_or_url, str):
            engine = make_engine(engine_or_url)
            try:
                _upgrade(config, engine, revision)
            finally:
                engine.dispose()
        else:
            _upgrade(config, engine_or_url, revision)


def _upgrade(config: Config, engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_is_current(engine: Engine) -> bool:
    """Whether the read model is at the newest migration (a process may serve it)."""
    with resources.as_file(resources.files("migrations")) as script_location:
        heads = set(ScriptDirectory.from_config(_alembic_config(script_location)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads
