"""Every way to school per pupil of a plan, priced: a read the officer and finance can
make (``routing.modes``: a few seconds for a borough, no solve). Finance sees costs by
row number and school, never which pupil; the officer sees pupil ids. Audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api import audit, features
from api.auth import Role
from api.deps import OfficerOrFinance, ReadSessionDep, SettingsDep
from api.errors import not_found
from api.schemas import MAX_ID, ErrorResponse, ModesResponse

router = APIRouter(prefix="/api/v1", tags=["modes"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.get("/plans/{plan_id}/modes", response_model=ModesResponse, responses=NOT_FOUND)
def read_modes(
    plan_id: PlanId,
    user: OfficerOrFinance,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
) -> ModesResponse:
    """Per pupil: the place on the route (its saving if they left), personal budget,
    pass and travel training where suitable, solo taxi, the cheapest their needs allow;
    and the council-wide switches with their assumption."""
    data = features.plan_modes(
        session, plan_id, cache_dir=settings.cache_dir, with_pupil_ids=user.role is Role.OFFICER
    )
    if data is None:
        raise not_found("plan", plan_id)
    audit.record_now(request, user, "plan.modes", f"plan:{plan_id}", num_pupils=len(data["rows"]))
    return ModesResponse(**data)
