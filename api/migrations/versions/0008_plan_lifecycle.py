"""plans: status (draft/approved/published/superseded), who approved and when

Existing plans become drafts: none of them was signed off by an officer, and schools must
not see times no human approved (an officer approves and publishes the one in use; until
then its schools see no pickup list, which is the safe side of the two ways to be wrong).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN_COLUMNS = ("approved_at", "published_at", "superseded_at")


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="draft", nullable=False)
        )
        batch_op.add_column(sa.Column("approved_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=150), nullable=True))
        for name in WHEN_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_plans_approved_by_user_id_users",
            "users",
            ["approved_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_plans_scenario_status", ["scenario_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_scenario_status")
        batch_op.drop_constraint("fk_plans_approved_by_user_id_users", type_="foreignkey")
        for name in (*reversed(WHEN_COLUMNS), "approved_by", "approved_by_user_id", "status"):
            batch_op.drop_column(name)
