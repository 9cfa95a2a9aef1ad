"""The notification ledger becomes an outbox: messages are queued with the change that causes
them and delivered by a loop that survives restarts, with every outcome kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Self-contained on purpose (no imports from `models`), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASON = 300


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(REASON), nullable=True))
    op.create_index("ix_notification_status", "notification", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_status", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        for column in ("last_error", "claimed_until", "next_attempt_at", "attempts", "body"):
            batch.drop_column(column)
