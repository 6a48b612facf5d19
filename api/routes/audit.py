"""The audit log, for officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import Officer, ReadSessionDep
from api.models import AuditRow
from api.schemas import AuditEntryResponse

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryResponse])
def list_audit(
    user: Officer,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryResponse]:
    """The newest audit rows (who read or exported pupil data, when, in which request)."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if request_id is not None:
        query = query.where(AuditRow.request_id == request_id)
    return [
        AuditEntryResponse(
            id=r.id,
            at=r.at,
            username=r.username,
            role=r.role,
            action=r.action,
            resource=r.resource,
            request_id=r.request_id,
            detail=dict(r.detail),
        )
        for r in session.scalars(query)
    ]
