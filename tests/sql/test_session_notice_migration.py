"""Sessions keep one notice for their next page (0008): a session started before the migration
goes on with none, takes one left for it once, and the downgrade takes the column away and
leaves the sessions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from core.database import make_engine, migrate
from core.sessions import end_session, leave_notice, take_notice

NOW = datetime.now(UTC)
SESSION = "s" * 43  # the cookie's value; the database keeps its SHA-256
OTHER = "o" * 43


def _started_before(url: str) -> None:
    """A read model at 0007 holding a user signed in twice."""
    migrate(url, "0007")
    users = sa.table("api_user", sa.column("id"), sa.column("name"), sa.column("role"),
                     sa.column("created_at", sa.DateTime(timezone=True)))
    sessions = sa.table("web_session", sa.column("user_id"), sa.column("id_hash"),
                        sa.column("created_at", sa.DateTime(timezone=True)),
                        sa.column("last_seen_at", sa.DateTime(timezone=True)),
                        sa.column("expires_at", sa.DateTime(timezone=True)))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(users.insert().values(id=1, name="c.okafor", role="coordinator",
                                               created_at=NOW))
            conn.execute(sessions.insert(), [
                {"user_id": 1, "id_hash": hashlib.sha256(sid.encode()).hexdigest(),
                 "created_at": NOW, "last_seen_at": NOW, "expires_at": NOW + timedelta(hours=8)}
                for sid in (SESSION, OTHER)])
    finally:
        engine.dispose()


def _columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns("web_session")}
    finally:
        engine.dispose()


def test_a_session_from_before_takes_a_notice_left_for_it_once(database_url: str) -> None:
    _started_before(database_url)

    migrate(database_url)

    engine = make_engine(database_url)
    try:
        before = take_notice(engine, SESSION)
        left = leave_notice(engine, SESSION, "QI-2027-0001 convene_panel")
        replaced = leave_notice(engine, SESSION, "QI-2027-0001 schedule_meeting")
        others = take_notice(engine, OTHER)
        taken = take_notice(engine, SESSION)
        again = take_notice(engine, SESSION)
    finally:
        engine.dispose()
    assert (before, left, replaced, others) == (None, True, True, None)
    assert (taken, again) == ("QI-2027-0001 schedule_meeting", None)


def test_a_signed_out_or_unknown_session_keeps_no_notice(database_url: str) -> None:
    _started_before(database_url)
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        leave_notice(engine, SESSION, "QI-2027-0001 cancel")
        end_session(engine, SESSION, NOW)

        assert take_notice(engine, SESSION) is None
        assert leave_notice(engine, SESSION, "QI-2027-0001 cancel") is False
        assert leave_notice(engine, "n" * 43, "QI-2027-0001 cancel") is False
        with pytest.raises(ValueError, match="at most 100 characters"):
            leave_notice(engine, OTHER, "x" * 101)
    finally:
        engine.dispose()


def test_the_downgrade_takes_the_notices_away_and_keeps_the_sessions(database_url: str) -> None:
    _started_before(database_url)
    migrate(database_url)
    assert "notice" in _columns(database_url)

    engine = make_engine(database_url)
    try:
        with resources.as_file(resources.files("migrations")) as folder:
            config = Config(str(Path(folder) / "alembic.ini"))
            config.set_main_option("script_location", str(folder))
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "0007")
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT count(*) FROM web_session")).scalar()
    finally:
        engine.dispose()

    assert "notice" not in _columns(database_url)
    assert kept == 2
