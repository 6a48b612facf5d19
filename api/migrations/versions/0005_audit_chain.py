"""audit_log hash chain: prev_hash and row_hash on every row, existing rows chained

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from api.audit_chain import GENESIS_HASH, ChainFields, row_hash

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    table = sa.table(
        "audit_log",
        sa.column("id", sa.BigInteger()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("user_id", sa.Integer()),
        sa.column("username", sa.String()),
        sa.column("role", sa.String()),
        sa.column("action", sa.String()),
        sa.column("resource", sa.String()),
        sa.column("request_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    prev = GENESIS_HASH
    for row in bind.execute(sa.select(table).order_by(table.c.id)).mappings().all():
        at: datetime = row["at"]
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        fields = ChainFields(
            at=at,
            user_id=row["user_id"],
            username=row["username"],
            role=row["role"],
            action=row["action"],
            resource=row["resource"],
            request_id=row["request_id"],
            detail=dict(row["detail"] or {}),
            prev_hash=prev,
        )
        digest = row_hash(fields)
        bind.execute(
            table.update().where(table.c.id == row["id"]).values(prev_hash=prev, row_hash=digest)
        )
        prev = digest


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
