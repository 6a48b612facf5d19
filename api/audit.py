"""The audit log: a row for every read or export of pupil data.

Rows name who (user id and name), in which role, what (action + resource), when and in
which request; ``detail`` holds counts and ids of plans or schools, never pupil data.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Principal
from api.models import AuditRow


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
    session.add(
        AuditRow(
            user_id=principal.user_id,
            username=principal.username,
            role=principal.role.value,
            action=action,
            resource=resource,
            request_id=getattr(request.state, "request_id", "") or "",
            detail=detail,
        )
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
