"""Signing in to the pages with a password, and the browser sessions that follow.

A session is 32 random bytes (`secrets`) in the browser's cookie; the database keeps only their
SHA-256, so a copy of the database signs nobody in. A session identifies the same
`ApiUserPublic` a bearer token does, so every permission check is the token's.

Each session ends at the first of: its absolute expiry (set when it starts), a pause longer
than the idle limit since it was last used, its revocation (signing out; a new password ends
every session of the user). Its last use is recorded at most once a minute, so a session may
end up to a minute before the idle limit. A disabled user (`qi users disable`) neither signs in
nor uses a session while disabled: checked at every request, as their tokens are.

A password set, a sign-in and a sign-out are changes to the account (the sign-in starts a
credential as `qi tokens issue` does; the sign-out ends one, as `qi logout` does): each is
recorded in the account history (`core.users`) in its own transaction. A refused sign-in is
not (it changes nothing; the API throttles its client and logs it), nor a session's expiry.

A session's CSRF token is an HMAC of its ID: the same on every form of the session, useless
without the cookie, and never stored.

A live session may hold one notice for its next page (`leave_notice`), taken as it is read
(`take_notice`), so it is shown once: a page says what was just done without it being in the
address. A notice is short text the pages write, never what a person typed.

Every function takes `now`, so tests choose the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import col, select

from core.database import session
from core.passwords import hash_password, needs_rehash, password_problem, verify_password
from core.settings import Settings
from core.users import record_account_event
from models.errors import ErrorType, Problem, ProblemError
from models.tables import NOTICE_LENGTH, AccountAction, ApiUser, ApiUserPublic, WebSession

__all__ = [
    "SessionPolicy",
    "SignedIn",
    "account_open",
    "csrf_matches",
    "csrf_token",
    "end_session",
    "leave_notice",
    "set_password",
    "sign_in",
    "signed_in",
    "take_notice",
]

MAX_ID_LENGTH = 100  # a cookie longer than any ID we issue is not looked up
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionPolicy:
        return cls(idle=timedelta(minutes=settings.session_idle_minutes),
                   lifetime=timedelta(hours=settings.session_lifetime_hours))


@dataclass(frozen=True)
class SignedIn:
    """A live session: whose it is, and the CSRF token its forms carry."""

    user: ApiUserPublic
    csrf_token: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def account_open(user: ApiUser) -> bool:
    """Whether the account may sign in and keep its sessions: the one place both ask. An
    account disabled by the operator (`disabled_at`) may not."""
    return user.disabled_at is None


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def set_password(engine: Engine, name: str, password: str, now: datetime, *,
                 operator: str) -> ApiUserPublic:
    """Give user `name` a new password, ending every session they have, recorded with
    `operator` as who made the change; a password that breaks the rule, or an unknown name,
    changes nothing."""
    problem = password_problem(password)
    if problem is not None:
        raise ProblemError([Problem(field="password", rule=problem)], ErrorType.INVALID_INPUT)
    hashed = hash_password(password)  # before the transaction: it takes a while
    user_id = select(ApiUser.id).where(col(ApiUser.name) == name).scalar_subquery()
    with session(engine) as db:  # writes first, as SQLite in WAL mode wants
        changed = db.execute(update(ApiUser).where(col(ApiUser.name) == name)
                             .values(password_hash=hashed))
        if not getattr(changed, "rowcount", 0):
            raise ProblemError([Problem(field="name", rule=f"no user {name!r}")],
                               ErrorType.UNKNOWN_REFERENCE)
        ended = db.execute(update(WebSession).where(col(WebSession.user_id) == user_id)
                           .where(col(WebSession.revoked_at).is_(None)).values(revoked_at=now))
        user = db.exec(select(ApiUser).where(col(ApiUser.name) == name)).one()
        count = getattr(ended, "rowcount", 0) or 0
        record_account_event(db, operator, AccountAction.PASSWORD_SET, name,
                             f"{count} session{'' if count == 1 else 's'} ended", now)
        db.commit()
        return ApiUserPublic.model_validate(user)


def sign_in(engine: Engine, name: str, password: str, policy: SessionPolicy,
            now: datetime) -> str | None:
    """A new session's ID for the cookie, if `name` and `password` are right and the account is
    open; else None, after the same work whichever was wrong."""
    with session(engine) as db:
        user = db.exec(select(ApiUser).where(col(ApiUser.name) == name)).first()
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or user.id is None:
        return None
    if not account_open(user):
        return None
    session_id = secrets.token_urlsafe(32)
    expires_at = now + policy.lifetime
    with session(engine) as db:
        if stored is not None and needs_rehash(stored):
            db.execute(update(ApiUser).where(col(ApiUser.id) == user.id)
                       .values(password_hash=hash_password(password)))
        db.add(WebSession(user_id=user.id, id_hash=_hash(session_id), created_at=now,
                          last_seen_at=now, expires_at=expires_at))
        record_account_event(db, user.name, AccountAction.SIGNED_IN, user.name,
                             f"session expires {_when(expires_at)}", now)
        db.commit()
    return session_id


def signed_in(engine: Engine, session_id: str, policy: SessionPolicy,
              now: datetime) -> SignedIn | None:
    """The live session `session_id` names, recording its use; None if it has ended."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return None
    query = (select(WebSession, ApiUser).join(ApiUser)
             .where(col(WebSession.id_hash) == _hash(session_id)))
    with session(engine) as db:
        found = db.exec(query).first()
    if found is None:
        return None
    stored, user = found
    if (stored.revoked_at is not None or now >= stored.expires_at
            or now >= stored.last_seen_at + policy.idle or not account_open(user)):
        return None
    if now - stored.last_seen_at >= TOUCH_EVERY:
        with session(engine) as db:
            db.execute(update(WebSession).where(col(WebSession.id) == stored.id)
                       .values(last_seen_at=now))
            db.commit()
    return SignedIn(user=ApiUserPublic.model_validate(user), csrf_token=csrf_token(session_id))


def end_session(engine: Engine, session_id: str, now: datetime) -> bool:
    """Revoke the session (signing out), recorded with its own user as who made the change;
    False when it was not revoked already or never was."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return False
    query = (select(WebSession, ApiUser).join(ApiUser)
             .where(col(WebSession.id_hash) == _hash(session_id))
             .where(col(WebSession.revoked_at).is_(None)))
    with session(engine) as db:
        found = db.exec(query).first()
        if found is None:
            return False
        stored, user = found
        revoked = db.execute(update(WebSession).where(col(WebSession.id) == stored.id)
                             .where(col(WebSession.revoked_at).is_(None))
                             .values(revoked_at=now))
        if not getattr(revoked, "rowcount", 0):  # another request signed it out first
            return False
        record_account_event(db, user.name, AccountAction.SIGNED_OUT, user.name,
                             f"session of {_when(stored.created_at)}", now)
        db.commit()
    return True


def leave_notice(engine: Engine, session_id: str, notice: str) -> bool:
    """Keep `notice` for the session's next page, in place of one not shown yet; False when
    the session is not one there is (or it was revoked)."""
    if len(notice) > NOTICE_LENGTH:
        raise ValueError(f"a notice is at most {NOTICE_LENGTH} characters")
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return False
    with session(engine) as db:
        left = db.execute(update(WebSession).where(col(WebSession.id_hash) == _hash(session_id))
                          .where(col(WebSession.revoked_at).is_(None)).values(notice=notice))
        db.commit()
    return bool(getattr(left, "rowcount", 0))


def take_notice(engine: Engine, session_id: str) -> str | None:
    """The notice left for the session, if any, which is gone once read: of two pages that
    ask at once, one gets it."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return None
    query = (select(WebSession.id, WebSession.notice)
             .where(col(WebSession.id_hash) == _hash(session_id))
             .where(col(WebSession.revoked_at).is_(None)))
    with session(engine) as db:
        found = db.exec(query).first()
        if found is None or found[1] is None:
            return None
        row_id, notice = found
        taken = db.execute(update(WebSession).where(col(WebSession.id) == row_id)
                           .where(col(WebSession.notice) == notice).values(notice=None))
        db.commit()
    return notice if getattr(taken, "rowcount", 0) else None


def csrf_token(session_id: str) -> str:
    digest = hmac.new(session_id.encode(), b"qi-csrf-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_matches(session_id: str, presented: str | None) -> bool:
    """Whether a form's token is the session's (compared in constant time)."""
    return presented is not None and hmac.compare_digest(csrf_token(session_id).encode(),
                                                         presented.encode())
