"""API users and their bearer tokens (hashed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Self-contained on purpose (no imports from `models`), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = 40
PERSON = 120
EMAIL = 254
PREFIX = 16
SHA256_HEX = 64


def upgrade() -> None:
    op.create_table(
        "api_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(PERSON), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("provider_code", sa.String(CODE), nullable=True),
        sa.Column("email", sa.String(EMAIL), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(PREFIX), nullable=False),
        sa.Column("token_hash", sa.String(SHA256_HEX), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["api_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_token_prefix", "api_token", ["prefix"])
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_index("ix_api_token_prefix", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("api_user")
