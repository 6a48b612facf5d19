"""An officer edits a plan (lock, pin, move, reorder), compares versions, re-plans.

Every edit answers at once with the independent checker's verdict and the cost change;
one that breaks a rule is refused (422 ``edit_refused``, naming the rule and the pupil,
``violations`` listing each) unless ``force`` keeps it as a draft marked broken. Moves,
pins and reorders make a new plan version (a draft; schools see nothing of it until an
officer approves and publishes it); locks change the plan in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status

from api import plan_edits
from api.deps import Officer, SessionDep, SettingsDep
from api.schemas import (
    MAX_ID,
    EditRequest,
    EditResponse,
    ErrorResponse,
    PlanChangesResponse,
    ReplanRequest,
    ReplanResponse,
)
from routing.model import Plan

router = APIRouter(prefix="/api/v1", tags=["plans"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse},
    422: {"model": ErrorResponse, "description": "The edit breaks a rule (edit_refused)"},
}


@router.post(
    "/plans/{plan_id}/edits",
    response_model=EditResponse,
    status_code=status.HTTP_201_CREATED,
    responses=RESPONSES,
)
def edit_plan(
    plan_id: PlanId,
    body: EditRequest,
    user: Officer,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> EditResponse:
    """Lock or unlock a route, pin a pupil, move a pupil or reorder a route's homes."""
    response = plan_edits.apply_edit(
        session, request, user, plan_id, body, cache_dir=settings.cache_dir
    )
    session.commit()
    return response


@router.get("/plans/{plan_id}/changes", response_model=PlanChangesResponse, responses=RESPONSES)
def read_plan_changes(
    plan_id: PlanId,
    user: Officer,
    session: SessionDep,
    since: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Plan to compare with")] = None,
) -> PlanChangesResponse:
    """What changed for each pupil (vehicle, home time, assistant) and the cost change,
    from plan ``since`` (default: the plan this version was edited from)."""
    return plan_edits.plan_changes(session, plan_id, since)


@router.post(
    "/plans/{plan_id}/replan",
    response_model=ReplanResponse,
    status_code=status.HTTP_201_CREATED,
    responses=RESPONSES,
)
def replan(
    plan_id: PlanId,
    body: ReplanRequest,
    user: Officer,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> ReplanResponse:
    """Re-plan an edited scenario against this plan with the least upheaval (its locked
    routes kept); the result is the plan's next version, a draft of that scenario."""
    row, found = plan_edits.replan_plan(
        session, request, user, plan_id, body.scenario_id,
        time_limit_s=body.time_limit_s, cache_dir=settings.cache_dir,
    )  # fmt: skip
    previous: Plan = plan_edits.load(session, plan_id).plan
    changes = plan_edits.changes_response(row.id, plan_id, previous, found.plan)
    session.commit()
    return ReplanResponse(
        plan_id=row.id, parent_plan_id=plan_id, scenario_id=row.scenario_id,
        version=row.version, status=row.status, kept_route_ids=list(found.kept_route_ids),
        seconds=round(found.seconds, 2), changes=changes,
    )  # fmt: skip
