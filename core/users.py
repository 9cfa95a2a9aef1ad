"""API users and bearer tokens, kept in the read model's database.

A token is `qi_` and 43 URL-safe characters from `secrets` (256 bits). Only its SHA-256 and its
first characters (the prefix, to tell tokens apart) are stored; the token is shown once, when
issued. A fast hash is enough for tokens this random: there is nothing to guess from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core.database import session
from models.errors import ErrorType, Problem, ProblemError
from models.tables import ApiToken, ApiTokenPublic, ApiUser, ApiUserCreate, ApiUserPublic

__all__ = [
    "IssuedToken",
    "add_user",
    "authenticate",
    "hash_token",
    "issue_token",
    "list_tokens",
    "list_users",
    "revoke_presented",
    "revoke_token",
]

TOKEN_MARK = "qi_"
PREFIX_LENGTH = len(TOKEN_MARK) + 8
MAX_TOKEN_LENGTH = 200


class IssuedToken(BaseModel):
    token: str
    prefix: str
    user: ApiUserPublic


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unknown(field: str, rule: str) -> ProblemError:
    return ProblemError([Problem(field=field, rule=rule)], ErrorType.UNKNOWN_REFERENCE)


def add_user(engine: Engine, user: ApiUserCreate) -> ApiUserPublic:
    """Add a user; a name already taken is refused."""
    row = ApiUser.model_validate(user, update={"created_at": datetime.now(UTC)})
    try:
        with session(engine) as db:
            db.add(row)
            db.commit()
            return ApiUserPublic.model_validate(row)
    except IntegrityError:
        raise ProblemError([Problem(field="name", rule=f"a user {user.name!r} already exists")],
                           ErrorType.INVALID_INPUT) from None


def list_users(engine: Engine) -> list[ApiUserPublic]:
    with session(engine) as db:
        rows = db.exec(select(ApiUser).order_by(col(ApiUser.name)))
        return [ApiUserPublic.model_validate(row) for row in rows]


def issue_token(engine: Engine, user_name: str) -> IssuedToken:
    """A new token for the user; the caller shows `token` once and never stores it."""
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    with session(engine) as db:
        user = db.exec(select(ApiUser).where(col(ApiUser.name) == user_name)).first()
        if user is None or user.id is None:
            raise _unknown("name", f"no user {user_name!r}")
        db.add(ApiToken(user_id=user.id, prefix=token[:PREFIX_LENGTH],
                        token_hash=hash_token(token), created_at=datetime.now(UTC)))
        db.commit()
        return IssuedToken(token=token, prefix=token[:PREFIX_LENGTH],
                           user=ApiUserPublic.model_validate(user))


def list_tokens(engine: Engine) -> list[ApiTokenPublic]:
    query = select(ApiToken, ApiUser).join(ApiUser).order_by(col(ApiToken.created_at))
    with session(engine) as db:
        return [
            ApiTokenPublic.model_validate(token, update={"user_name": user.name})
            for token, user in db.exec(query)
        ]


def revoke_token(engine: Engine, prefix: str) -> ApiTokenPublic:
    """Revoke the one live token with this prefix; an ambiguous prefix revokes nothing."""
    query = (
        select(ApiToken, ApiUser)
        .join(ApiUser)
        .where(col(ApiToken.prefix).startswith(prefix, autoescape=True))
        .where(col(ApiToken.revoked_at).is_(None))
    )
    with session(engine) as db:
        found = list(db.exec(query))
        if not found:
            raise _unknown("prefix", f"no live token starts with {prefix!r}")
        if len(found) > 1:
            raise ProblemError([Problem(field="prefix", rule=f"{len(found)} live tokens start "
                                        f"with {prefix!r}; give more of it")])
        token, user = found[0]
        token.revoked_at = datetime.now(UTC)
        db.add(token)
        db.commit()
        return ApiTokenPublic.model_validate(token, update={"user_name": user.name})


def authenticate(engine: Engine, token: str) -> ApiUserPublic | None:
    """The user a live token belongs to, or None. Hashes are compared in constant time."""
    if not token.startswith(TOKEN_MARK) or len(token) > MAX_TOKEN_LENGTH:
        return None
    presented = hash_token(token)
    query = (
        select(ApiToken, ApiUser)
        .join(ApiUser)
        .where(col(ApiToken.prefix) == token[:PREFIX_LENGTH])
        .where(col(ApiToken.revoked_at).is_(None))
    )
    with session(engine) as db:
        for stored, user in db.exec(query):
            if hmac.compare_digest(stored.token_hash, presented):
                return ApiUserPublic.model_validate(user)
    return None


def revoke_presented(engine: Engine, token: str) -> bool:
    """Revoke the live token presented (signing out); False when it was not live."""
    if not token.startswith(TOKEN_MARK) or len(token) > MAX_TOKEN_LENGTH:
        return False
    presented = hash_token(token)
    query = (
        select(ApiToken)
        .where(col(ApiToken.prefix) == token[:PREFIX_LENGTH])
        .where(col(ApiToken.revoked_at).is_(None))
    )
    with session(engine) as db:
        for stored in db.exec(query):
            if hmac.compare_digest(stored.token_hash, presented):
                stored.revoked_at = datetime.now(UTC)
                db.add(stored)
                db.commit()
                return True
    return False
