"""API users and bearer tokens, kept in the read model's database, and the account audit.

A token is `qi_` and 43 URL-safe characters from `secrets` (256 bits). Only its SHA-256 and its
first characters (the prefix, to tell tokens apart) are stored; the token is shown once, when
issued. A fast hash is enough for tokens this random: there is nothing to guess from. Each
token expires (`expires_at`, set when it is issued); a disabled user's tokens are refused.

Every change to an account (a user added, disabled, enabled or given another role; a token
issued, rotated or revoked; a password set, a browser signed in or out: `core.sessions`) is
recorded in `account_event` in the change's own transaction, with the operator who made it.
The record holds names, roles, prefixes and dates: no secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.database import session
from models.errors import ErrorType, Problem, ProblemError
from models.tables import (
    AccountAction,
    AccountEvent,
    AccountEventPublic,
    ApiToken,
    ApiTokenPublic,
    ApiUser,
    ApiUserCreate,
    ApiUserPublic,
    ApiUserRole,
)

__all__ = [
    "Authentication",
    "IssuedToken",
    "Refusal",
    "account_history",
    "add_user",
    "check_token",
    "hash_token",
    "issue_token",
    "list_tokens",
    "list_users",
    "record_account_event",
    "revoke_presented",
    "revoke_token",
    "rotate_token",
    "set_disabled",
    "set_role",
]

TOKEN_MARK = "qi_"
PREFIX_LENGTH = len(TOKEN_MARK) + 8
MAX_TOKEN_LENGTH = 200
_OPERATOR_LENGTH = 120


class IssuedToken(BaseModel):
    token: str
    prefix: str
    expires_at: datetime
    user: ApiUserPublic


class Refusal(StrEnum):
    """Why a presented token was not accepted; the client is told none of these apart."""

    UNKNOWN = "unknown token"
    REVOKED = "token revoked"
    EXPIRED = "token expired"
    DISABLED = "user disabled"


@dataclass(frozen=True)
class Authentication:
    """A token checked: the user it belongs to (when it matched one) and why it was refused,
    if it was. `prefix` names the token that matched, for the access log."""

    user: ApiUserPublic | None
    refusal: Refusal | None
    prefix: str | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unknown(field: str, rule: str) -> ProblemError:
    return ProblemError([Problem(field=field, rule=rule)], ErrorType.UNKNOWN_REFERENCE)


def _invalid(field: str, rule: str) -> ProblemError:
    return ProblemError([Problem(field=field, rule=rule)], ErrorType.INVALID_INPUT)


def record_account_event(db: Session, operator: str, action: AccountAction, user_name: str,
                         detail: str, at: datetime) -> None:
    """Add the account change to `db`'s transaction, so it is recorded if and only if the
    change is committed."""
    db.add(AccountEvent(at=at, operator=operator[:_OPERATOR_LENGTH], action=action,
                        user_name=user_name, detail=detail))


def _role_text(role: str, provider_code: str | None) -> str:
    return f"{role} of {provider_code}" if provider_code else role


def _find_user(db: Session, name: str) -> ApiUser:
    user = db.exec(select(ApiUser).where(col(ApiUser.name) == name)).first()
    if user is None or user.id is None:
        raise _unknown("name", f"no user {name!r}")
    return user


def add_user(engine: Engine, user: ApiUserCreate, *, operator: str) -> ApiUserPublic:
    """Add a user; a name already taken is refused."""
    now = datetime.now(UTC)
    row = ApiUser.model_validate(user, update={"created_at": now})
    try:
        with session(engine) as db:
            db.add(row)
            record_account_event(db, operator, AccountAction.USER_ADDED, user.name,
                                 _role_text(user.role, user.provider_code), now)
            db.commit()
            return ApiUserPublic.model_validate(row)
    except IntegrityError:
        raise _invalid("name", f"a user {user.name!r} already exists") from None


def list_users(engine: Engine) -> list[ApiUserPublic]:
    with session(engine) as db:
        rows = db.exec(select(ApiUser).order_by(col(ApiUser.name)))
        return [ApiUserPublic.model_validate(row) for row in rows]


def set_disabled(engine: Engine, name: str, disabled: bool, *, operator: str) -> ApiUserPublic:
    """Disable a user (none of their tokens is accepted from then on, nor their password, nor
    their browser sessions: `core.sessions`) or enable them again (their unexpired, unrevoked
    tokens and sessions work again). Asking for the state they are in changes
    nothing and says so."""
    now = datetime.now(UTC)
    with session(engine) as db:
        user = _find_user(db, name)
        if (user.disabled_at is not None) == disabled:
            raise _invalid("name", f"user {name!r} is already "
                           f"{'disabled' if disabled else 'enabled'}")
        user.disabled_at = now if disabled else None
        db.add(user)
        action = AccountAction.USER_DISABLED if disabled else AccountAction.USER_ENABLED
        record_account_event(db, operator, action, name,
                             "tokens refused" if disabled else "tokens accepted", now)
        db.commit()
        return ApiUserPublic.model_validate(user)


def set_role(engine: Engine, name: str, role: ApiUserRole, *, operator: str) -> ApiUserPublic:
    """Give a user another role (and the provider a provider lead needs); the next request
    they send is checked against it."""
    now = datetime.now(UTC)
    with session(engine) as db:
        user = _find_user(db, name)
        before = _role_text(user.role, user.provider_code)
        after = _role_text(role.role, role.provider_code)
        if before == after:
            raise _invalid("role", f"user {name!r} is already a {after}")
        user.role, user.provider_code = role.role, role.provider_code
        db.add(user)
        record_account_event(db, operator, AccountAction.ROLE_CHANGED, name,
                             f"{before} -> {after}", now)
        db.commit()
        return ApiUserPublic.model_validate(user)


def _new_token(db: Session, user: ApiUser, lifetime: timedelta, now: datetime) -> IssuedToken:
    if user.disabled_at is not None:
        raise _invalid("name", f"user {user.name!r} is disabled; enable them first "
                       "(qi users enable)")
    assert user.id is not None
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token),
                   created_at=now, expires_at=now + lifetime)
    db.add(row)
    return IssuedToken(token=token, prefix=row.prefix, expires_at=row.expires_at,
                       user=ApiUserPublic.model_validate(user))


def issue_token(engine: Engine, user_name: str, *, lifetime: timedelta,
                operator: str) -> IssuedToken:
    """A new token for the user, working for `lifetime`; the caller shows `token` once and
    never stores it."""
    now = datetime.now(UTC)
    with session(engine) as db:
        issued = _new_token(db, _find_user(db, user_name), lifetime, now)
        record_account_event(db, operator, AccountAction.TOKEN_ISSUED, user_name,
                             f"{issued.prefix} expires {issued.expires_at:%Y-%m-%d %H:%M} UTC", now)
        db.commit()
        return issued


def list_tokens(engine: Engine) -> list[ApiTokenPublic]:
    query = select(ApiToken, ApiUser).join(ApiUser).order_by(col(ApiToken.created_at))
    with session(engine) as db:
        return [
            ApiTokenPublic.model_validate(token, update={"user_name": user.name})
            for token, user in db.exec(query)
        ]


def _unrevoked(db: Session, prefix: str) -> tuple[ApiToken, ApiUser]:
    """The one token not yet revoked (expired or not) that starts with `prefix`."""
    query = (
        select(ApiToken, ApiUser)
        .join(ApiUser)
        .where(col(ApiToken.prefix).startswith(prefix, autoescape=True))
        .where(col(ApiToken.revoked_at).is_(None))
    )
    found = list(db.exec(query))
    if not found:
        raise _unknown("prefix", f"no token that starts with {prefix!r} is unrevoked")
    if len(found) > 1:
        raise _invalid("prefix", f"{len(found)} unrevoked tokens start with {prefix!r}; "
                       "give more of it")
    return found[0]


def revoke_token(engine: Engine, prefix: str, *, operator: str) -> ApiTokenPublic:
    """Revoke the one unrevoked token with this prefix; an ambiguous prefix revokes nothing."""
    now = datetime.now(UTC)
    with session(engine) as db:
        token, user = _unrevoked(db, prefix)
        token.revoked_at = now
        db.add(token)
        record_account_event(db, operator, AccountAction.TOKEN_REVOKED, user.name,
                             token.prefix, now)
        db.commit()
        return ApiTokenPublic.model_validate(token, update={"user_name": user.name})


def rotate_token(engine: Engine, prefix: str, *, lifetime: timedelta,
                 operator: str) -> tuple[IssuedToken, ApiTokenPublic]:
    """A new token for the owner of the unrevoked token starting with `prefix`, which is
    revoked in the same transaction: the new token and the old, revoked."""
    now = datetime.now(UTC)
    with session(engine) as db:
        old, user = _unrevoked(db, prefix)
        issued = _new_token(db, user, lifetime, now)
        old.revoked_at = now
        db.add(old)
        record_account_event(
            db, operator, AccountAction.TOKEN_ROTATED, user.name,
            f"{old.prefix} -> {issued.prefix} expires {issued.expires_at:%Y-%m-%d %H:%M} UTC",
            now)
        db.commit()
        return issued, ApiTokenPublic.model_validate(old, update={"user_name": user.name})


def account_history(engine: Engine, user_name: str | None = None) -> list[AccountEventPublic]:
    """Every account change, oldest first; only those of `user_name` when given."""
    query = select(AccountEvent).order_by(col(AccountEvent.id))
    if user_name is not None:
        query = query.where(col(AccountEvent.user_name) == user_name)
    with session(engine) as db:
        return [AccountEventPublic.model_validate(row) for row in db.exec(query)]


def check_token(engine: Engine, token: str, *, now: datetime) -> Authentication:
    """Whose token this is and whether it is accepted at `now`: it must be known, unrevoked,
    unexpired and its user enabled. Hashes are compared in constant time."""
    if not token.startswith(TOKEN_MARK) or len(token) > MAX_TOKEN_LENGTH:
        return Authentication(user=None, refusal=Refusal.UNKNOWN)
    presented = hash_token(token)
    query = (
        select(ApiToken, ApiUser)
        .join(ApiUser)
        .where(col(ApiToken.prefix) == token[:PREFIX_LENGTH])
    )
    with session(engine) as db:
        for stored, owner in db.exec(query):
            if hmac.compare_digest(stored.token_hash, presented):
                user = ApiUserPublic.model_validate(owner)
                return Authentication(user=user, refusal=_refusal(stored, owner, now),
                                      prefix=stored.prefix)
    return Authentication(user=None, refusal=Refusal.UNKNOWN)


def _refusal(token: ApiToken, user: ApiUser, now: datetime) -> Refusal | None:
    if token.revoked_at is not None:
        return Refusal.REVOKED
    if token.expires_at <= now:
        return Refusal.EXPIRED
    if user.disabled_at is not None:
        return Refusal.DISABLED
    return None


def revoke_presented(engine: Engine, token: str) -> bool:
    """Revoke the unrevoked token presented (signing out), recorded with its own user as the
    operator; False when there is none."""
    if not token.startswith(TOKEN_MARK) or len(token) > MAX_TOKEN_LENGTH:
        return False
    presented = hash_token(token)
    query = (
        select(ApiToken, ApiUser)
        .join(ApiUser)
        .where(col(ApiToken.prefix) == token[:PREFIX_LENGTH])
        .where(col(ApiToken.revoked_at).is_(None))
    )
    now = datetime.now(UTC)
    with session(engine) as db:
        for stored, user in db.exec(query):
            if hmac.compare_digest(stored.token_hash, presented):
                stored.revoked_at = now
                db.add(stored)
                record_account_event(db, user.name, AccountAction.TOKEN_REVOKED, user.name,
                                     f"{stored.prefix} (signed out)", now)
                db.commit()
                return True
    return False
