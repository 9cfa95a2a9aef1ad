"""Accounts: tokens expire, users can be disabled, and every account change is recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2027-02-01

Self-contained on purpose (no imports from `models` or `core`), like 0001. Tokens issued
before get an expiry computed from their creation date and the token lifetime the settings
give when this runs (QI_TOKEN_LIFETIME_DAYS, from the environment or `.env`, default 90 days):
a token older than that is expired from the upgrade on, and is rotated with
`qi tokens rotate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSON = 120
ACTION = 24
DETAIL = 300


class _Lifetime(BaseSettings):
    """The one setting this migration reads, read the way the service reads its settings."""

    model_config = SettingsConfigDict(env_prefix="QI_", env_file=".env", extra="ignore")
    token_lifetime_days: int = Field(90, ge=1)


def _expire_existing_tokens(lifetime: timedelta) -> None:
    tokens = sa.table(
        "api_token",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)):
        connection.execute(
            tokens.update().where(tokens.c.id == token_id)
            .values(expires_at=created_at + lifetime)
        )


def upgrade() -> None:
    with op.batch_alter_table("api_user") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    _expire_existing_tokens(timedelta(days=_Lifetime().token_lifetime_days))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)
    op.create_table(
        "account_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(PERSON), nullable=False),
        sa.Column("action", sa.String(ACTION), nullable=False),
        sa.Column("user_name", sa.String(PERSON), nullable=False),
        sa.Column("detail", sa.String(DETAIL), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_event_user_name", "account_event", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_account_event_user_name", table_name="account_event")
    op.drop_table("account_event")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("api_user") as batch:
        batch.drop_column("disabled_at")
