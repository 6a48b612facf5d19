"""pupils: can_use_public_transport, travel_training_suitable (modes judged suitable)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("can_use_public_transport", "travel_training_suitable")


def upgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
