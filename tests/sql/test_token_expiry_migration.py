"""Tokens issued before tokens expired get an expiry from their creation date when the read
model is migrated (0005): the token lifetime the settings give then, default 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.database import make_engine, migrate, session
from core.users import Refusal, check_token, hash_token
from models.tables import ApiToken

NOW = datetime.now(UTC)
RECENT = "qi_" + "r" * 43
OLD = "qi_" + "o" * 43


def _issued_before(url: str, ages: dict[str, timedelta]) -> None:
    """A read model at 0004 holding a user with tokens issued `ages` ago."""
    migrate(url, "0004")
    users = sa.table("api_user", sa.column("id"), sa.column("name"), sa.column("role"),
                     sa.column("created_at", sa.DateTime(timezone=True)))
    tokens = sa.table("api_token", sa.column("user_id"), sa.column("prefix"),
                      sa.column("token_hash"), sa.column("created_at", sa.DateTime(timezone=True)))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(users.insert().values(id=1, name="c.okafor", role="coordinator",
                                               created_at=NOW - timedelta(days=400)))
            conn.execute(tokens.insert(), [
                {"user_id": 1, "prefix": token[:11], "token_hash": hash_token(token),
                 "created_at": NOW - age} for token, age in ages.items()])
    finally:
        engine.dispose()


@pytest.mark.parametrize(("setting", "lifetime"), [(None, 90), ("30", 30)])
def test_tokens_issued_before_expire_by_their_creation_date(
    database_url: str, monkeypatch: pytest.MonkeyPatch, setting: str | None, lifetime: int
) -> None:
    if setting is None:
        monkeypatch.delenv("QI_TOKEN_LIFETIME_DAYS", raising=False)
    else:
        monkeypatch.setenv("QI_TOKEN_LIFETIME_DAYS", setting)
    ages = {RECENT: timedelta(days=lifetime - 1), OLD: timedelta(days=lifetime + 1)}
    _issued_before(database_url, ages)

    migrate(database_url)

    engine = make_engine(database_url)
    try:
        with session(engine) as db:
            rows = {row.prefix: row for row in db.exec(sa.select(ApiToken)).scalars()}
        recent, old = (check_token(engine, token, now=datetime.now(UTC)) for token in (RECENT, OLD))
    finally:
        engine.dispose()
    for token in (RECENT, OLD):
        row = rows[token[:11]]
        assert row.expires_at - row.created_at == timedelta(days=lifetime)
    assert recent.accepted
    assert old.refusal is Refusal.EXPIRED
