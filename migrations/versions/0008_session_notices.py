"""A browser session keeps what its next page says once (that a command was done), so the
confirmation needs no place in the page's address.

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-25

Self-contained on purpose (no imports from `models`), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE = 100


def upgrade() -> None:
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("notice", sa.String(NOTICE), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_session") as batch:
        batch.drop_column("notice")
