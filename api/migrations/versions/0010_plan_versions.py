"""plans: versions (parent plan, version number), broken drafts, the officer's locks

An officer's edit of a plan makes a new plan row, a draft whose ``parent_plan_id`` is the
plan edited and whose ``version`` is one more; ``is_broken`` marks a draft the officer
kept although it breaks a rule (``violations`` says which), which cannot be approved;
``locks`` holds the locked routes and pinned pupils (routing.plan_locks). Existing plans
become version 1 of themselves, not broken, with no locks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_plan_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("is_broken", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("violations", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("locks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("edit_note", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            "fk_plans_parent_plan_id_plans",
            "plans",
            ["parent_plan_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_plans_parent_plan_id", ["parent_plan_id"])


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_parent_plan_id")
        batch_op.drop_constraint("fk_plans_parent_plan_id_plans", type_="foreignkey")
        for name in ("edit_note", "locks", "violations", "is_broken", "version", "parent_plan_id"):
            batch_op.drop_column(name)
