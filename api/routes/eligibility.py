"""Eligibility for free transport (s508B) with reasons, and the walk behind a decision,
for officers (audited: decisions are about named pupils' homes and needs)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from api import audit, features
from api.deps import Officer, ReadSessionDep
from api.errors import not_found
from api.pseudonyms import pupil_pseudonym, pupil_resource
from api.schemas import (
    MAX_ID,
    EligibilityDecisionResponse,
    EligibilityResponse,
    ErrorResponse,
)

router = APIRouter(prefix="/api/v1/scenarios", tags=["eligibility"])

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
PupilId = Annotated[str, Path(min_length=1, max_length=100, description="Pupil id")]
AsOf = Annotated[
    date | None,
    Query(description="Assessment date for ages from dates of birth (default: year group)"),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.get("/{scenario_id}/eligibility", response_model=EligibilityResponse, responses=NOT_FOUND)
def read_eligibility(
    scenario_id: ScenarioId,
    user: Officer,
    request: Request,
    session: ReadSessionDep,
    school_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    as_of: AsOf = None,
) -> EligibilityResponse:
    """One decision per pupil: eligible or not, the rule applied and the reason, the
    shortest walking distance and the statutory limit (2 miles under 8, 3 from 8).

    Distances are measured on the scenario's walk network; where it has none they are
    estimated, ``is_indicative`` is true and each reason says so (audited).
    """
    decisions = features.eligibility_decisions(
        session, scenario_id, school_id=school_id, as_of=as_of
    )
    if decisions is None:
        raise not_found("scenario", scenario_id)
    session.rollback()  # end the read before the audit row takes the write lock
    audit.record_now(
        request,
        user,
        "scenario.eligibility",
        f"scenario:{scenario_id}",
        school_id=school_id,
        num_pupils=len(decisions),
    )
    return EligibilityResponse(
        scenario_id=scenario_id,
        school_id=school_id,
        num_pupils=len(decisions),
        num_eligible=sum(d.is_eligible for d in decisions),
        is_indicative=any(d.is_indicative for d in decisions),
        decisions=[EligibilityDecisionResponse.from_domain(d) for d in decisions],
    )


@router.get(
    "/{scenario_id}/eligibility/{pupil_id}/route",
    response_class=JSONResponse,
    responses={
        **NOT_FOUND,
        200: {
            "content": {"application/geo+json": {}},
            "description": "A FeatureCollection: the walk (LineString, or a straight line "
            "marked geometry=straight when indicative) carrying the decision, and the home "
            "and school points",
        },
    },
)
def read_eligibility_route(
    scenario_id: ScenarioId,
    pupil_id: PupilId,
    user: Officer,
    request: Request,
    session: ReadSessionDep,
    as_of: AsOf = None,
) -> JSONResponse:
    """The walking route behind one pupil's decision as GeoJSON, for an appeal (audited)."""
    route = features.eligibility_route(session, scenario_id, pupil_id, as_of=as_of)
    if route is None:
        raise not_found("pupil", pupil_id)
    session.rollback()
    pseudonym = pupil_pseudonym(request.app.state.pseudonym_key, scenario_id, pupil_id)
    audit.record_now(
        request, user, "scenario.eligibility_route", pupil_resource(scenario_id, pseudonym)
    )
    return JSONResponse(route, media_type="application/geo+json")
