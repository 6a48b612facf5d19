"""A plan's lifecycle: an officer approves it, then publishes it to the schools."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api import plan_lifecycle
from api.deps import Officer, SessionDep
from api.errors import not_found
from api.models import PlanRow
from api.schemas import MAX_ID, ErrorResponse, PlanStatusResponse, plan_status_response

router = APIRouter(prefix="/api/v1", tags=["plans"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse, "description": "The plan's status does not allow it"},
}


def _plan_for_update(session: SessionDep, plan_id: int) -> PlanRow:
    plan = session.get(PlanRow, plan_id, with_for_update=True)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan


@router.post("/plans/{plan_id}/approve", response_model=PlanStatusResponse, responses=RESPONSES)
def approve_plan(
    plan_id: PlanId, user: Officer, request: Request, session: SessionDep
) -> PlanStatusResponse:
    """Approve a draft plan: the officer's name and the time are recorded (audited).
    Schools still see nothing until it is published."""
    plan = _plan_for_update(session, plan_id)
    plan_lifecycle.approve(session, request, user, plan)
    session.commit()
    return plan_status_response(plan, superseded=[])


@router.post("/plans/{plan_id}/publish", response_model=PlanStatusResponse, responses=RESPONSES)
def publish_plan(
    plan_id: PlanId, user: Officer, request: Request, session: SessionDep
) -> PlanStatusResponse:
    """Publish an approved plan to its schools; the scenario's plan published before is
    superseded and its schools see the new times instead (audited)."""
    plan = _plan_for_update(session, plan_id)
    superseded = plan_lifecycle.publish(session, request, user, plan)
    session.commit()
    return plan_status_response(plan, superseded=superseded)
