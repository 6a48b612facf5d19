"""Finance what-ifs: submit the baseline and variants as one background job (202), read
the side-by-side table when it is done. Costs and counts only: no pupil names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from api import submit
from api.deps import (
    OfficerOrFinance,
    ReadSessionDep,
)
from api.errors import not_found
from api.models import ComparisonRow
from api.schemas import (
    MAX_ID,
    ComparisonRequest,
    ErrorResponse,
    JobResponse,
    VariantComparisonResponse,
    VariantRowResponse,
)

router = APIRouter(prefix="/api/v1", tags=["comparisons"])

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
ComparisonId = Annotated[int, Path(ge=1, le=MAX_ID, description="Comparison id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.post(
    "/scenarios/{scenario_id}/comparisons",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobResponse,
    responses={**NOT_FOUND, 422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
def submit_comparison(
    scenario_id: ScenarioId,
    body: ComparisonRequest,
    user: OfficerOrFinance,
    submitter: submit.JobSubmitterDep,
    response: Response,
) -> JobResponse:
    """Queue a comparison of the baseline plan and each variant; answers 202 with the job.

    Every variant is checked against the scenario now (a bad one is a 422 naming it and
    the token); the time limit applies to each run of each plan, and the job counts
    against the solves a user may have queued or running. Poll ``GET /api/v1/jobs/{id}``:
    ``comparison_id`` appears when done; read it at ``GET /api/v1/comparisons/{id}``.
    """
    return submitter.submit(user.user_id, scenario_id, submit.comparison_job(body), response)


@router.get(
    "/comparisons/{comparison_id}",
    response_model=VariantComparisonResponse,
    responses=NOT_FOUND,
)
def read_comparison_table(
    comparison_id: ComparisonId, user: OfficerOrFinance, session: ReadSessionDep
) -> VariantComparisonResponse:
    """The side-by-side table: per variant (and the baseline, and today's arrangement
    when known) annual cost, cost per pupil, vehicles by type, assistants, pupils over
    45 and 75 minutes, mean and worst ride time, and the change against the baseline."""
    row = session.get(ComparisonRow, comparison_id)
    if row is None:
        raise not_found("comparison", comparison_id)
    result = row.result or {}
    return VariantComparisonResponse(
        id=row.id,
        scenario_id=row.scenario_id,
        scenario_name=row.scenario_name,
        job_id=row.job_id,
        created_at=row.created_at,
        variants=[str(v) for v in row.variants],
        run=str(row.params.get("run", "both")),
        time_limit_s=float(row.params.get("time_limit_s", 0.0)),
        travel_model=str(result.get("travel_model", "")),
        rows=[VariantRowResponse(**r) for r in result.get("rows", [])],
    )
