"""What a school sees: its own pupils' pickups, and the plans that include it.

A school user asking about another school, a plan without its school, or a plan not yet
published (``routing.lifecycle``), gets the same 404 as for an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select

from api import audit, features
from api.auth import Principal, Role
from api.deps import OfficerOrSchool, ReadSessionDep
from api.errors import not_found
from api.exports import document_response
from api.models import PlanRow
from api.plan_lifecycle import published_for_school
from api.plan_store import school_trips
from api.schemas import (
    MAX_ID,
    ErrorResponse,
    PickupListResponse,
    SchoolPlanResponse,
    pickup_response,
)
from routing.lifecycle import PlanStatus
from routing.model import Run

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])

SchoolId = Annotated[str, Path(min_length=1, max_length=100, description="School id (URN)")]


def _check_school(user: Principal, school_id: str) -> None:
    if not user.may_see_school(school_id):
        raise not_found("school", school_id)


def _check_published(user: Principal, session: ReadSessionDep, plan: int, school_id: str) -> None:
    """A school sees a plan's times only once an officer has published it."""
    if user.role is Role.SCHOOL and not published_for_school(session, plan, school_id):
        raise not_found("plan", plan)


@router.get(
    "/{school_id}/pickups",
    response_model=PickupListResponse,
    responses={404: {"model": ErrorResponse}},
)
def read_pickups(
    school_id: SchoolId,
    user: OfficerOrSchool,
    request: Request,
    session: ReadSessionDep,
    plan: Annotated[int, Query(ge=1, le=MAX_ID, description="Plan id")],
    run: Annotated[Run | None, Query(description="AM or PM; both when absent")] = None,
) -> Response:
    """The school's pupils in a plan: first name and initial, pickup and arrival times,
    vehicle and whether an assistant rides (audited)."""
    _check_school(user, school_id)
    _check_published(user, session, plan, school_id)
    trips = school_trips(session, plan, school_id, run)
    if not trips:
        # No journeys: is the school in the plan at all (all its pupils unassigned, or
        # none on this run), or is this a 404? Checked only here, off the hot path.
        school_ids = session.scalar(select(PlanRow.school_ids).where(PlanRow.id == plan))
        if school_ids is None or school_id not in school_ids:
            raise not_found("plan", plan)
    session.rollback()  # end the read before the audit row takes the write lock
    audit.record_now(
        request,
        user,
        "school.pickups",
        f"school:{school_id}/plan:{plan}",
        run=run.value if run else None,
        num_pupils=len(trips),
    )
    # The hot read of the service: the rows come from the database already in the
    # response's shape, so build it without validation and send it as is (returning
    # the model would make FastAPI validate every row a second time).
    body = PickupListResponse.model_construct(
        plan_id=plan,
        school_id=school_id,
        run=run.value if run else None,
        pupils=[pickup_response(t) for t in trips],
    )
    return Response(body.model_dump_json(), media_type="application/json")


PlanQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="Plan id")]
RunQuery = Annotated[Run, Query(description="AM (home to school) or PM (school to home)")]


def _pickups_export(
    school_id: str,
    plan: int,
    run: Run,
    fmt: Literal["csv", "html"],
    user: Principal,
    request: Request,
    session: ReadSessionDep,
) -> Response:
    _check_school(user, school_id)
    _check_published(user, session, plan, school_id)
    document = features.pickup_list_document(session, plan, school_id, run, fmt)
    if document is None:
        raise not_found("plan", plan)
    session.rollback()  # end the read before the audit row takes the write lock
    audit.record_now(
        request,
        user,
        f"school.pickups_{fmt}",
        f"school:{school_id}/plan:{plan}",
        run=run.value,
        num_pupils=document.num_rows,
    )
    return document_response(document, disposition="attachment" if fmt == "csv" else "inline")


@router.get(
    "/{school_id}/pickups.csv",
    response_class=Response,
    responses={404: {"model": ErrorResponse}, 200: {"content": {"text/csv": {}}}},
)
def export_pickups_csv(
    school_id: SchoolId,
    plan: PlanQuery,
    run: RunQuery,
    user: OfficerOrSchool,
    request: Request,
    session: ReadSessionDep,
) -> Response:
    """The school's pickup list for one run as CSV: pupil (first name and initial),
    pickup time, arrival time, vehicle, assistant. Cells a spreadsheet would run as a
    formula are neutralised (audited)."""
    return _pickups_export(school_id, plan, run, "csv", user, request, session)


@router.get(
    "/{school_id}/pickups.html",
    response_class=Response,
    responses={404: {"model": ErrorResponse}, 200: {"content": {"text/html": {}}}},
)
def export_pickups_html(
    school_id: SchoolId,
    plan: PlanQuery,
    run: RunQuery,
    user: OfficerOrSchool,
    request: Request,
    session: ReadSessionDep,
) -> Response:
    """The school's pickup list for one run as a printable HTML page, every value
    escaped (audited)."""
    return _pickups_export(school_id, plan, run, "html", user, request, session)


@router.get(
    "/{school_id}/plans",
    response_model=list[SchoolPlanResponse],
    responses={404: {"model": ErrorResponse}},
)
def list_school_plans(
    school_id: SchoolId, user: OfficerOrSchool, session: ReadSessionDep
) -> list[SchoolPlanResponse]:
    """Plans that carry (or leave unassigned) any pupil of this school, newest first;
    a school user sees published plans only."""
    _check_school(user, school_id)
    query = select(
        PlanRow.id,
        PlanRow.scenario_id,
        PlanRow.scenario_name,
        PlanRow.created_at,
        PlanRow.runs,
        PlanRow.school_ids,
        PlanRow.status,
    ).order_by(PlanRow.id.desc())
    if user.role is Role.SCHOOL:
        query = query.where(PlanRow.status == PlanStatus.PUBLISHED.value)
    rows = session.execute(query).all()
    return [
        SchoolPlanResponse(
            plan_id=r.id,
            scenario_id=r.scenario_id,
            scenario_name=r.scenario_name,
            created_at=r.created_at,
            runs=list(r.runs),
            status=r.status,
        )
        for r in rows
        if school_id in (r.school_ids or ())
    ]
