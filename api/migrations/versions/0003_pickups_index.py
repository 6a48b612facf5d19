"""plan_trips: index in pickup-list order (plan, school, run, pickup time)

The (plan_id, school_id) index lost to the unique (plan_id, run, pupil_id) one on
SQLite, which then scanned every trip of the plan and sorted; this one serves the
pickup list's filter and order directly.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_trips", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_trips_plan_school")
        batch_op.create_index(
            "ix_plan_trips_pickups", ["plan_id", "school_id", "run", "pickup_s"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_trips", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_trips_pickups")
        batch_op.create_index("ix_plan_trips_plan_school", ["plan_id", "school_id"], unique=False)
