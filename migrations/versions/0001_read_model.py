"""The read model: interventions, their child rows, the audit trail and the e-mail ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Self-contained on purpose (no imports from `models`): a migration must keep meaning what it
meant when written, whatever the models later become.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 200
KEY = 400
CODE = 40
SHORT = 200
PERSON = 120
EMAIL = 254
SUBJECT = 300


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _owner() -> sa.Column:
    return sa.Column("intervention_id", sa.String(ID), nullable=False)


def _owner_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"], ondelete="CASCADE")


INTERVENTION_INDEXES = ("state", "type_code", "provider_code", "next_deadline", "started_at")


def _create_intervention() -> None:
    op.create_table(
        "intervention",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("type_code", sa.String(CODE), nullable=False),
        sa.Column("type_name", sa.String(SHORT), nullable=False),
        sa.Column("provider_code", sa.String(CODE), nullable=False),
        sa.Column("provider_name", sa.String(SHORT), nullable=False),
        sa.Column("site", sa.String(SHORT), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("risk_band", sa.String(16), nullable=False),
        sa.Column("coordinator", sa.String(PERSON), nullable=False),
        _timestamp("started_at"),
        _timestamp("updated_at"),
        _timestamp("closed_at", nullable=True),
        sa.Column("next_deadline", sa.Date(), nullable=True),
        sa.Column("open_actions", sa.Integer(), nullable=False),
        sa.Column("overdue_actions", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in INTERVENTION_INDEXES:
        op.create_index(f"ix_intervention_{column}", "intervention", [column])


def _create_panel_and_meetings() -> None:
    op.create_table(
        "panel_member",
        _owner(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(PERSON), nullable=False),
        sa.Column("email", sa.String(EMAIL), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("chair", sa.Boolean(), nullable=False),
        sa.Column("interests_declared", sa.Boolean(), nullable=False),
        sa.Column("conflict", sa.String(16), nullable=False),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "seq"),
    )
    op.create_table(
        "meeting",
        _owner(),
        sa.Column("id", sa.String(CODE), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("learners", sa.Integer(), nullable=True),
        sa.Column("supervisors", sa.Integer(), nullable=True),
        sa.Column("leaders", sa.Integer(), nullable=True),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "id"),
    )


def _create_findings_and_actions() -> None:
    op.create_table(
        "finding",
        _owner(),
        sa.Column("id", sa.String(CODE), nullable=False),
        sa.Column("category", sa.String(48), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "id"),
    )
    op.create_table(
        "action",
        _owner(),
        sa.Column("id", sa.String(CODE), nullable=False),
        sa.Column("finding_id", sa.String(CODE), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(PERSON), nullable=False),
        sa.Column("owner_email", sa.String(EMAIL), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("accepted_by", sa.String(PERSON), nullable=True),
        sa.Column("transfer_reason", sa.Text(), nullable=True),
        sa.Column("transferred_to", sa.String(SHORT), nullable=True),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "id"),
    )
    op.create_table(
        "deadline",
        _owner(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(SHORT), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "seq"),
    )


def _create_audit_and_ledger() -> None:
    op.create_table(
        "audit_entry",
        _owner(),
        sa.Column("seq", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(PERSON), nullable=False),
        sa.Column("command", sa.String(CODE), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(KEY), nullable=False),
        _owner_fk(),
        sa.PrimaryKeyConstraint("intervention_id", "seq"),
        sa.UniqueConstraint("idempotency_key", name="uq_audit_entry_idempotency_key"),
    )
    op.create_table(
        "notification",
        sa.Column("idempotency_key", sa.String(KEY), nullable=False),
        sa.Column("intervention_id", sa.String(ID), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(SUBJECT), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("created_at"),
        _timestamp("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index("ix_notification_intervention_id", "notification", ["intervention_id"])


def upgrade() -> None:
    _create_intervention()
    _create_panel_and_meetings()
    _create_findings_and_actions()
    _create_audit_and_ledger()


def downgrade() -> None:
    op.drop_index("ix_notification_intervention_id", table_name="notification")
    op.drop_table("notification")
    for table in ("audit_entry", "deadline", "action", "finding", "meeting", "panel_member"):
        op.drop_table(table)
    for column in INTERVENTION_INDEXES:
        op.drop_index(f"ix_intervention_{column}", table_name="intervention")
    op.drop_table("intervention")
