"""Short references (QI-2027-0042): a counter per year, which intervention each names, and the
reference on the intervention's read-model row.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-11

Self-contained on purpose (no imports from `models`), like 0001. Interventions started before
keep no reference: none is made up for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 200
REFERENCE = 32


def upgrade() -> None:
    op.create_table(
        "reference_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "intervention_reference",
        sa.Column("intervention_id", sa.String(ID), nullable=False),
        sa.Column("reference", sa.String(REFERENCE), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("intervention_id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("intervention") as batch:
        batch.add_column(sa.Column("reference", sa.String(REFERENCE), nullable=True))
    op.create_index("ix_intervention_reference", "intervention", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_intervention_reference", table_name="intervention")
    with op.batch_alter_table("intervention") as batch:
        batch.drop_column("reference")
    op.drop_table("intervention_reference")
    op.drop_table("reference_counter")
