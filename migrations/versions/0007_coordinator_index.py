"""An index on the intervention's coordinator: a coordinator's own list (the pages' dashboard,
its counts and downloads) reads their rows alone, not every row the service holds.

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-25

Self-contained on purpose (no imports from `models`), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_intervention_coordinator", "intervention", ["coordinator"])


def downgrade() -> None:
    op.drop_index("ix_intervention_coordinator", table_name="intervention")
