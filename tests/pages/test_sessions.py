"""Sessions as the database keeps them: only hashes, an idle and an absolute expiry,
revocation, and the same user as a token. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from core.database import session
from core.sessions import (
    SessionPolicy,
    account_open,
    csrf_matches,
    csrf_token,
    end_session,
    set_password,
    sign_in,
    signed_in,
)
from core.users import account_history, check_token, set_disabled
from models.errors import ErrorType, ProblemError
from models.tables import AccountAction, ApiUser, WebSession
from tests.pages.conftest import OPERATOR, PASSWORD, add_with_password, token_for

POLICY = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NAME = "c.okafor"


@pytest.fixture
def user(engine: Engine) -> str:
    add_with_password(engine, NAME)
    return NAME


def test_the_right_password_starts_a_session_of_the_same_user_as_a_token(
    engine: Engine, user: str
) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    token_user = check_token(engine, token_for(engine, user), now=START).user

    assert session_id is not None
    live = signed_in(engine, session_id, POLICY, START)
    assert live is not None
    assert live.user == token_user


@pytest.mark.parametrize(("name", "password"), [(NAME, "not the password"), ("nobody", PASSWORD),
                                                (NAME, "")])
def test_a_wrong_name_or_password_starts_nothing(
    engine: Engine, user: str, name: str, password: str
) -> None:
    assert sign_in(engine, name, password, POLICY, START) is None
    with session(engine) as db:
        assert db.exec(select(WebSession)).all() == []


def test_a_user_without_a_password_cannot_sign_in(engine: Engine) -> None:
    from core.users import add_user
    from models.tables import ApiUserCreate
    from models.vocabulary import Role

    add_user(engine, ApiUserCreate(name="no.password", role=Role.viewer), operator=OPERATOR)

    assert sign_in(engine, "no.password", "", POLICY, START) is None
    assert sign_in(engine, "no.password", PASSWORD, POLICY, START) is None


def test_only_hashes_are_stored(engine: Engine, user: str) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None

    with engine.connect() as conn:
        stored = " ".join(str(value) for table in ("web_session", "api_user")
                          for row in conn.execute(text(f"SELECT * FROM {table}"))
                          for value in row)
    assert session_id not in stored
    assert PASSWORD not in stored
    assert csrf_token(session_id) not in stored
    assert "$argon2id$" in stored


def test_a_session_ends_after_the_idle_limit_without_use(engine: Engine, user: str) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None

    assert signed_in(engine, session_id, POLICY, START + timedelta(minutes=29)) is not None
    # Used at 09:29: alive until 09:59, not 09:30.
    assert signed_in(engine, session_id, POLICY, START + timedelta(minutes=58)) is not None
    assert signed_in(engine, session_id, POLICY,
                     START + timedelta(minutes=58) + POLICY.idle) is None


def test_a_session_used_all_day_ends_at_its_absolute_expiry(engine: Engine, user: str) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None

    now = START
    while now < START + POLICY.lifetime - timedelta(minutes=20):
        now += timedelta(minutes=20)
        assert signed_in(engine, session_id, POLICY, now) is not None, now
    assert signed_in(engine, session_id, POLICY, START + POLICY.lifetime) is None


def test_its_use_is_recorded_at_most_once_a_minute(engine: Engine, user: str) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None

    signed_in(engine, session_id, POLICY, START + timedelta(seconds=30))
    first = _last_seen(engine)
    signed_in(engine, session_id, POLICY, START + timedelta(seconds=90))

    assert first == START
    assert _last_seen(engine) == START + timedelta(seconds=90)


def _last_seen(engine: Engine) -> datetime:
    with session(engine) as db:
        return db.exec(select(WebSession)).one().last_seen_at


def test_an_ended_session_stays_ended(engine: Engine, user: str) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    other = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None
    assert other is not None

    assert end_session(engine, session_id, START)
    assert not end_session(engine, session_id, START)  # not live any more
    assert signed_in(engine, session_id, POLICY, START) is None
    assert signed_in(engine, other, POLICY, START) is not None  # the other browser's stays


def test_a_new_password_ends_every_session_and_the_old_one_stops_working(
    engine: Engine, user: str
) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None

    set_password(engine, user, "a different long password", START, operator=OPERATOR)

    assert signed_in(engine, session_id, POLICY, START) is None
    assert sign_in(engine, user, PASSWORD, POLICY, START) is None
    assert sign_in(engine, user, "a different long password", POLICY, START) is not None


@pytest.mark.parametrize(
    ("name", "password", "error_type", "field"),
    [
        (NAME, "too short", ErrorType.INVALID_INPUT, "password"),
        ("nobody", "long enough password", ErrorType.UNKNOWN_REFERENCE, "name"),
    ],
)
def test_a_bad_new_password_or_name_changes_nothing(
    engine: Engine, user: str, name: str, password: str, error_type: ErrorType, field: str
) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    with session(engine) as db:
        before = db.exec(select(ApiUser.password_hash)).all()

    with pytest.raises(ProblemError) as raised:
        set_password(engine, name, password, START, operator=OPERATOR)

    assert raised.value.error_type is error_type
    assert [p.field for p in raised.value.problems] == [field]
    with session(engine) as db:
        assert db.exec(select(ApiUser.password_hash)).all() == before
    assert session_id is not None
    assert signed_in(engine, session_id, POLICY, START) is not None


def test_an_old_hash_is_renewed_at_sign_in(engine: Engine, user: str) -> None:
    from argon2 import PasswordHasher

    older = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_user SET password_hash = :h"), {"h": older})

    assert sign_in(engine, user, PASSWORD, POLICY, START) is not None
    with session(engine) as db:
        renewed = db.exec(select(ApiUser.password_hash).where(col(ApiUser.name) == user)).one()
    assert renewed != older
    assert renewed is not None
    assert "m=19456,t=2,p=1" in renewed


def test_a_disabled_user_neither_signs_in_nor_keeps_their_session_until_enabled(
    engine: Engine, user: str
) -> None:
    session_id = sign_in(engine, user, PASSWORD, POLICY, START)
    assert session_id is not None
    with session(engine) as db:
        assert account_open(db.exec(select(ApiUser)).one())

    set_disabled(engine, user, True, operator=OPERATOR)

    with session(engine) as db:
        assert not account_open(db.exec(select(ApiUser)).one())
    assert signed_in(engine, session_id, POLICY, START) is None
    assert sign_in(engine, user, PASSWORD, POLICY, START) is None
    with session(engine) as db:
        assert len(db.exec(select(WebSession)).all()) == 1  # none started

    set_disabled(engine, user, False, operator=OPERATOR)

    # As with their tokens: a session neither expired nor revoked works again.
    assert signed_in(engine, session_id, POLICY, START) is not None


def _history(engine: Engine, name: str) -> list[tuple[str, AccountAction, str]]:
    return [(e.operator, e.action, e.detail) for e in account_history(engine, name)]


def test_a_password_a_sign_in_and_a_sign_out_are_in_the_account_history(
    engine: Engine, user: str
) -> None:
    first = sign_in(engine, user, PASSWORD, POLICY, START)
    second = sign_in(engine, user, PASSWORD, POLICY, START)
    assert first is not None
    assert second is not None
    assert end_session(engine, first, START)
    set_password(engine, user, "a different long password", START, operator=OPERATOR)

    assert _history(engine, user) == [
        (OPERATOR, AccountAction.USER_ADDED, "coordinator"),
        (OPERATOR, AccountAction.PASSWORD_SET, "0 sessions ended"),
        (user, AccountAction.SIGNED_IN, "session expires 2027-03-01 21:00 UTC"),
        (user, AccountAction.SIGNED_IN, "session expires 2027-03-01 21:00 UTC"),
        (user, AccountAction.SIGNED_OUT, "session of 2027-03-01 09:00 UTC"),
        (OPERATOR, AccountAction.PASSWORD_SET, "1 session ended"),
    ]
    recorded = " ".join(e.detail for e in account_history(engine, user))
    assert first not in recorded
    assert PASSWORD not in recorded


def test_refused_sign_ins_and_changes_are_not_in_the_account_history(
    engine: Engine, user: str
) -> None:
    before = _history(engine, user)

    assert sign_in(engine, user, "not the password", POLICY, START) is None
    assert not end_session(engine, "never-a-session", START)
    with pytest.raises(ProblemError):
        set_password(engine, user, "too short", START, operator=OPERATOR)

    assert _history(engine, user) == before


def test_the_csrf_token_is_the_sessions_own() -> None:
    assert csrf_matches("session-a", csrf_token("session-a"))
    assert not csrf_matches("session-b", csrf_token("session-a"))
    assert not csrf_matches("session-a", "")
    assert not csrf_matches("session-a", None)
    assert not csrf_matches("session-a", "jeton-à-moi")
    assert csrf_token("session-a") != "session-a"
