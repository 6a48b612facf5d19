"""Finance what-ifs: submit the baseline and variants as one background job (202), read
the side-by-side table when it is done. Costs and counts only: no pupil names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from api import features, jobs
from api.deps import (
    IdempotencyKey,
    OfficerOrFinance,
    ReadSessionDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
)
from api.errors import ApiError, not_found
from api.models import ComparisonRow, ScenarioRow
from api.schemas import (
    MAX_ID,
    ComparisonRequest,
    ErrorResponse,
    JobResponse,
    VariantComparisonResponse,
    VariantRowResponse,
)
from routing.errors import InvalidScenarioError

router = APIRouter(prefix="/api/v1", tags=["comparisons"])

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
ComparisonId = Annotated[int, Path(ge=1, le=MAX_ID, description="Comparison id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}
KIND = jobs.JobKind.COMPARISON


def _check_limits(body: ComparisonRequest, scenario: ScenarioRow, settings: SettingsDep) -> None:
    if body.time_limit_s > settings.max_time_limit_s:
        msg = (
            f"time_limit_s {body.time_limit_s:g} is over the limit of "
            f"{settings.max_time_limit_s:g} s per solve."
        )
        raise ApiError(422, "time_limit_too_long", msg)
    if len(body.variants) > settings.max_variants_per_comparison:
        msg = (
            f"{len(body.variants)} variants; the limit per comparison is "
            f"{settings.max_variants_per_comparison} (each is planned in full)."
        )
        raise ApiError(422, "too_many_variants", msg)
    if scenario.num_pupils > settings.max_pupils_per_solve:
        msg = (
            f"The scenario has {scenario.num_pupils} pupils; the limit per solve is "
            f"{settings.max_pupils_per_solve}."
        )
        raise ApiError(422, "too_many_pupils", msg)


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
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JobResponse:
    """Queue a comparison of the baseline plan and each variant; answers 202 with the job.

    Every variant is checked against the scenario now (a bad one is a 422 naming it and
    the token); the time limit applies to each run of each plan, and the job counts
    against the solves a user may have queued or running. Poll ``GET /api/v1/jobs/{id}``:
    ``comparison_id`` appears when done; read it at ``GET /api/v1/comparisons/{id}``.
    """
    scenario = session.get(ScenarioRow, scenario_id)
    if scenario is None:
        raise not_found("scenario", scenario_id)
    params = body.model_dump()
    if idempotency_key is not None:
        earlier = jobs.find_by_idempotency_key(session, user.user_id, idempotency_key)
        if earlier is not None:
            if earlier.params.get("_fingerprint") != jobs.params_fingerprint(
                scenario_id, params, KIND
            ):
                msg = "This Idempotency-Key was already used for a different request."
                raise ApiError(422, "idempotency_key_reused", msg)
            response.headers["Location"] = f"/api/v1/jobs/{earlier.id}"
            return JobResponse.from_row(earlier, *jobs.result_ids(session, earlier))
    _check_limits(body, scenario, settings)
    domain = features.scenario_of(session, scenario_id)
    if domain is None:
        raise not_found("scenario", scenario_id)
    try:
        features.check_variants(domain, body.variants)
    except InvalidScenarioError as err:
        raise ApiError(422, "invalid_variant", str(err).split("\n", 1)[0]) from err
    active = jobs.count_active(session, user.user_id)
    if active >= settings.max_concurrent_solves_per_user:
        msg = (
            f"You have {active} solves queued or running; the limit is "
            f"{settings.max_concurrent_solves_per_user}. Wait for one to finish."
        )
        raise ApiError(429, "too_many_solves", msg, headers={"Retry-After": "30"})
    session.rollback()
    try:
        job, _created = jobs.enqueue(
            factory,
            scenario_id=scenario_id,
            user_id=user.user_id,
            params=params,
            idempotency_key=idempotency_key,
            kind=KIND,
        )
    except jobs.IdempotencyConflictError as err:
        raise ApiError(422, "idempotency_key_reused", str(err)) from err
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobResponse.from_row(job, None, None)


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
