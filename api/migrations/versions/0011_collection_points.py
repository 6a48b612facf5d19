"""collection points: scenarios.collection_points, pupils.can_use_collection_point,
plans.walks and plan_trips.pickup_place (who walks to which point, how far)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("collection_points", sa.JSON(), server_default="[]", nullable=False)
        )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "can_use_collection_point", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walks", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("plan_trips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pickup_place", sa.String(300), server_default="home", nullable=False)
        )


def downgrade() -> None:
    for table, column in (
        ("plan_trips", "pickup_place"),
        ("plans", "walks"),
        ("pupils", "can_use_collection_point"),
        ("scenarios", "collection_points"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
