"""The audit log: a row for every read or export of pupil data, hash-chained.

Rows name who (user id and name), in which role, what (action + resource), when and in
which request; ``detail`` holds counts and ids of plans or schools, never pupil data.
Each row carries the hash of the row before it (``api.audit_chain``); appends are
serialised (SQLite's write lock, a PostgreSQL advisory lock) so the chain has one order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.audit_chain import GENESIS_HASH, ChainFields, ChainReport, ChainRow, row_hash, verify_chain
from api.auth import Principal
from api.models import AuditRow, utc_now

AUDIT_LOCK_ID = 7_412_002  # PostgreSQL advisory lock serialising audit appends
VERIFY_BATCH_ROWS = 5_000


def append(
    session: Session,
    *,
    user_id: int | None,
    username: str,
    role: str,
    action: str,
    resource: str,
    request_id: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRow:
    """Add one chained audit row to ``session`` (the caller commits).

    The chain lock is held until the caller's transaction ends, so keep that short.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK_ID)))
    prev = session.scalar(select(AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1))
    fields = ChainFields(
        at=at or utc_now(),
        user_id=user_id,
        username=username,
        role=role,
        action=action,
        resource=resource,
        request_id=request_id,
        detail=dict(detail or {}),
        prev_hash=prev or GENESIS_HASH,
    )
    row = AuditRow(
        at=fields.at,
        user_id=fields.user_id,
        username=fields.username,
        role=fields.role,
        action=fields.action,
        resource=fields.resource,
        request_id=fields.request_id,
        detail=fields.detail,
        prev_hash=fields.prev_hash,
        row_hash=row_hash(fields),
    )
    session.add(row)
    session.flush()  # the next append in this session must see this row as the last
    return row


def record(
    session: Session,
    request: Request,
    principal: Principal,
    action: str,
    resource: str,
    **detail: Any,
) -> None:
    """Add an audit row to ``session`` (committed with the read it records).

    Parameters
    ----------
    session
        The request's session; the caller commits.
    request
        The request, for its id.
    principal
        Who is reading.
    action
        What they did, e.g. ``"plan.read"``, ``"plan.export_csv"``, ``"school.pickups"``.
    resource
        What they read, e.g. ``"plan:12"`` or ``"school:102362/plan:12"``.
    **detail
        Counts and ids only (no names, addresses or needs).
    """
    append(
        session,
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role.value,
        action=action,
        resource=resource,
        request_id=getattr(request.state, "request_id", "") or "",
        detail=detail,
    )


def record_now(
    request: Request,
    principal: Principal,
    action: str,
    resource: str,
    **detail: Any,
) -> None:
    """Write an audit row in its own short transaction (for handlers that only read)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session, session.begin():
        record(session, request, principal, action, resource, **detail)


def chain_fields(row: AuditRow) -> ChainFields:
    """The fields of a stored row that its hash covers."""
    return ChainFields(
        at=row.at,
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        action=row.action,
        resource=row.resource,
        request_id=row.request_id,
        detail=dict(row.detail),
        prev_hash=row.prev_hash,
    )


def _chain_rows(session: Session) -> Iterator[ChainRow]:
    query = select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=VERIFY_BATCH_ROWS)
    for row in session.scalars(query):
        yield ChainRow(id=row.id, fields=chain_fields(row), row_hash=row.row_hash)


def verify(factory: sessionmaker[Session]) -> ChainReport:
    """Recompute the whole chain from the database (``schoolrun audit verify``)."""
    with factory() as session:
        return verify_chain(_chain_rows(session))
