"""audit_log: index on resource, for subject access

A subject access request reads the audit rows about the pupil, their scenario, plans
and school lists by resource (equalities and literal prefixes); without an index each
request scanned the whole log, which grows by every read. On PostgreSQL the index uses
varchar_pattern_ops, so it answers LIKE 'plan:7/%' as well as equality.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_resource",
        "audit_log",
        ["resource"],
        unique=False,
        postgresql_ops={"resource": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_resource", table_name="audit_log")
