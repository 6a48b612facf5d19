"""Plans: submit a solve (202 + job), read a plan, export it, compare it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from api import audit, features, submit
from api.auth import Principal, Role
from api.deps import (
    Officer,
    OfficerOrFinance,
    ReadSessionDep,
    SessionDep,
)
from api.errors import ApiError, not_found
from api.exports import document_response, plan_csv, plan_geojson
from api.models import PlanRow
from api.plan_store import get_plan
from api.schemas import (
    MAX_ID,
    ComparisonResponse,
    ErrorResponse,
    JobResponse,
    PlanListItemResponse,
    PlanRequest,
    PlanResponse,
    PlanSummaryResponse,
    plan_response,
    plan_summary_response,
)
from routing.model import Run

router = APIRouter(prefix="/api/v1", tags=["plans"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.post(
    "/scenarios/{scenario_id}/plans",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobResponse,
    responses={**NOT_FOUND, 422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
def submit_plan(
    scenario_id: ScenarioId,
    body: PlanRequest,
    user: OfficerOrFinance,
    submitter: submit.JobSubmitterDep,
    response: Response,
) -> JobResponse:
    """Queue a solve of the scenario; answers 202 with the job at once.

    Poll ``GET /api/v1/jobs/{job_id}`` for progress; the plan id appears there when done.
    """
    return submitter.submit(user.user_id, scenario_id, submit.plan_job(body), response)


@router.get("/plans", response_model=list[PlanListItemResponse])
def list_plans(
    user: OfficerOrFinance,
    session: ReadSessionDep,
    scenario_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[PlanListItemResponse]:
    """Plans, newest first (optionally of one scenario)."""
    query = select(PlanRow).order_by(PlanRow.id.desc())
    if scenario_id is not None:
        query = query.where(PlanRow.scenario_id == scenario_id)
    return [
        PlanListItemResponse(
            id=p.id,
            scenario_id=p.scenario_id,
            scenario_name=p.scenario_name,
            created_at=p.created_at,
            status=p.status,
            runs=list(p.runs),
            day_cost_pence=p.summary.get("day_cost_pence"),
            num_routes=p.summary.get("num_routes"),
        )
        for p in session.scalars(query)
    ]


def _load_plan(session: SessionDep, plan_id: int) -> PlanRow:
    plan = get_plan(session, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan


def _export(
    plan: PlanRow, fmt: str, user: Principal, request: Request, session: SessionDep
) -> Response:
    audit.record(
        session,
        request,
        user,
        f"plan.export_{fmt}",
        f"plan:{plan.id}",
        num_routes=len(plan.routes),
    )
    session.commit()
    if fmt == "csv":
        return Response(
            plan_csv(plan),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="plan-{plan.id}.csv"'},
        )
    return JSONResponse(plan_geojson(plan), media_type="application/geo+json")


# The .csv/.geojson routes come first: /plans/{plan_id} would match "12.csv" too.
@router.get(
    "/plans/{plan_id}.csv",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}}}},
)
def export_plan_csv(
    plan_id: PlanId, user: Officer, request: Request, session: SessionDep
) -> Response:
    """The plan's stops as CSV (formula-safe), one row per stop."""
    return _export(_load_plan(session, plan_id), "csv", user, request, session)


@router.get(
    "/plans/{plan_id}.geojson",
    response_class=JSONResponse,
    responses={**NOT_FOUND, 200: {"content": {"application/geo+json": {}}}},
)
def export_plan_geojson(
    plan_id: PlanId, user: Officer, request: Request, session: SessionDep
) -> Response:
    """The plan's routes and stops as GeoJSON."""
    return _export(_load_plan(session, plan_id), "geojson", user, request, session)


@router.get(
    "/plans/{plan_id}",
    response_model=PlanResponse | PlanSummaryResponse,
    responses={
        **NOT_FOUND,
        200: {
            "content": {"application/geo+json": {}, "text/csv": {}},
            "description": "JSON for officers (stops) or finance (costs only); GeoJSON "
            "or CSV with ?format=",
        },
    },
)
def read_plan(
    plan_id: PlanId,
    user: OfficerOrFinance,
    request: Request,
    session: SessionDep,
    format: Annotated[Literal["json", "geojson", "csv"], Query()] = "json",
) -> Any:
    """A plan: routes with stops for officers, costs per route for finance.

    ``?format=geojson`` and ``?format=csv`` (officers) export the routes and stops;
    CSV cells that a spreadsheet would run as formulas are neutralised.
    """
    plan = _load_plan(session, plan_id)
    if user.role is Role.FINANCE:
        if format != "json":
            raise ApiError(403, "forbidden", "Finance may read plan costs, not export stops.")
        return plan_summary_response(plan)
    if format != "json":
        return _export(plan, format, user, request, session)
    audit.record(
        session, request, user, "plan.read", f"plan:{plan.id}", num_routes=len(plan.routes)
    )
    session.commit()
    return plan_response(plan)


@router.get("/plans/{plan_id}/comparison", response_model=ComparisonResponse, responses=NOT_FOUND)
def read_comparison(
    plan_id: PlanId, user: OfficerOrFinance, session: ReadSessionDep
) -> ComparisonResponse:
    """The plan against today's arrangement: cost per day and year, per pupil, by school
    and vehicle type, ride times."""
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return ComparisonResponse(
        plan_id=plan.id,
        scenario_id=plan.scenario_id,
        summary=plan.summary,
        comparison=plan.comparison,
    )


@router.get(
    "/plans/{plan_id}/routes/{route_id}/sheet",
    response_class=Response,
    responses={
        **NOT_FOUND,
        422: {"model": ErrorResponse},
        200: {"content": {"text/html": {}}},
    },
)
def read_route_sheet(
    plan_id: PlanId,
    route_id: Annotated[str, Path(min_length=1, max_length=100, description="Route id")],
    user: Officer,
    request: Request,
    session: ReadSessionDep,
    run: Annotated[
        Run | None, Query(description="The route's run, if its id is used on both runs")
    ] = None,
) -> Response:
    """The route sheet for the driver and passenger assistant as a printable HTML page:
    stops in order with times, pupils (first name and initial), postcodes and the
    boarding notes that matter on the day (wheelchair, assistant); no diagnoses or other
    needs (audited)."""
    runs = features.route_runs(session, plan_id, route_id)
    if run is not None:
        runs = [r for r in runs if r == run.value]
    if not runs:
        raise not_found("route", route_id)
    if len(runs) > 1:
        msg = f"Route '{route_id}' is on both runs of plan {plan_id}: give ?run=AM or PM."
        raise ApiError(422, "ambiguous_route", msg)
    document = features.route_sheet_document(session, plan_id, route_id, Run(runs[0]))
    if document is None:
        raise not_found("route", route_id)
    session.rollback()  # end the read before the audit row takes the write lock
    audit.record_now(
        request,
        user,
        "plan.route_sheet",
        f"plan:{plan_id}/route:{route_id}",
        run=runs[0],
        num_stops=document.num_rows,
    )
    return document_response(document)
