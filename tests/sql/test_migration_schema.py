"""The Alembic migration builds exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from core.database import make_engine, migrate

TABLES = {
    "intervention",
    "panel_member",
    "meeting",
    "finding",
    "action",
    "deadline",
    "audit_entry",
    "notification",
    "api_user",
    "api_token",
    "account_event",
    "reference_counter",
    "intervention_reference",
    "web_session",
}


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def test_upgrade_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)

        assert _differences(engine) == []
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_a_url_is_repeatable(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)

    engine = make_engine(database_url)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_removes_every_table(engine: Engine) -> None:
    with resources.as_file(resources.files("migrations")) as folder:
        config = Config(str(Path(folder) / "alembic.ini"))
        config.set_main_option("script_location", str(folder))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")

    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    # The comparison is not vacuous: with the tables gone, it reports every one.
    added = {diff[1].name for diff in _differences(engine) if diff[0] == "add_table"}
    assert added == TABLES


def test_sqlite_engine_creates_its_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "read-model.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()

    assert path.exists()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}
