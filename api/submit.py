"""Submitting a job (a plan or a comparison of variants): the one service both routes use.

The order is the same for every kind: the scenario must exist; a retry with an
Idempotency-Key answers with its first job (whatever it has become since, even past the
limits); then the limits of a solve, the kind's own checks of the request against the
scenario, the user's number of active jobs, and the queue. Handlers turn the request
into a :class:`JobRequest` (:func:`plan_job`, :func:`comparison_job`) and hand it to the
:class:`JobSubmitter` they are given (``JobSubmitterDep``), which answers 202's body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Response
from sqlalchemy.orm import Session, sessionmaker

from api import features, jobs
from api.config import Settings
from api.deps import IdempotencyKey, SessionDep, SessionFactoryDep, SettingsDep
from api.errors import ApiError, not_found
from api.models import JobRow, ScenarioRow
from api.policy_overrides import check_policy_overrides
from api.schemas import ComparisonRequest, JobResponse, PlanRequest
from routing.errors import InvalidScenarioError

RequestCheck = Callable[[Session, Settings, ScenarioRow], None]
"""The kind's own check of a request against the stored scenario (raises to refuse)."""


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What to queue: the job's kind, its parameters (the request body) and its checks."""

    kind: jobs.JobKind
    params: dict[str, Any]
    time_limit_s: float
    check: RequestCheck


@dataclass(frozen=True, slots=True)
class Submitted:
    """The job queued (or found, for a retry) and the ids of what it has produced."""

    job: JobRow
    plan_id: int | None = None
    comparison_id: int | None = None

    @property
    def location(self) -> str:
        return f"/api/v1/jobs/{self.job.id}"


def _earlier(
    session: Session, user_id: int, key: str | None, scenario_id: int, request: JobRequest
) -> Submitted | None:
    if key is None:
        return None
    earlier = jobs.find_by_idempotency_key(session, user_id, key)
    if earlier is None:
        return None
    fingerprint = jobs.params_fingerprint(scenario_id, request.params, request.kind)
    if earlier.params.get("_fingerprint") != fingerprint:
        msg = "This Idempotency-Key was already used for a different request."
        raise ApiError(422, "idempotency_key_reused", msg)
    return Submitted(earlier, *jobs.result_ids(session, earlier))


def _check_limits(
    session: Session, settings: Settings, user_id: int, row: ScenarioRow, request: JobRequest
) -> None:
    if request.time_limit_s > settings.max_time_limit_s:
        msg = (
            f"time_limit_s {request.time_limit_s:g} is over the limit of "
            f"{settings.max_time_limit_s:g} s per solve."
        )
        raise ApiError(422, "time_limit_too_long", msg)
    if row.num_pupils > settings.max_pupils_per_solve:
        msg = (
            f"The scenario has {row.num_pupils} pupils; the limit per solve is "
            f"{settings.max_pupils_per_solve}."
        )
        raise ApiError(422, "too_many_pupils", msg)
    request.check(session, settings, row)
    active = jobs.count_active(session, user_id)
    if active >= settings.max_concurrent_solves_per_user:
        msg = (
            f"You have {active} solves queued or running; the limit is "
            f"{settings.max_concurrent_solves_per_user}. Wait for one to finish."
        )
        raise ApiError(429, "too_many_solves", msg, headers={"Retry-After": "30"})


def submit_job(
    session: Session,
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    user_id: int,
    scenario_id: int,
    request: JobRequest,
    idempotency_key: str | None,
) -> Submitted:
    """Queue a job for the worker, or answer a retry with the job its key queued.

    Raises
    ------
    ApiError
        404 for an unknown scenario; 422 for a reused key, a time limit or scenario over
        the limits, or a request the kind's check refuses; 429 when the user already
        has the most jobs queued or running.
    """
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise not_found("scenario", scenario_id)
    earlier = _earlier(session, user_id, idempotency_key, scenario_id, request)
    if earlier is not None:
        return earlier
    _check_limits(session, settings, user_id, row, request)
    session.rollback()  # end the read before the queue's own transaction
    try:
        job, _created = jobs.enqueue(
            factory,
            scenario_id=scenario_id,
            user_id=user_id,
            params=request.params,
            idempotency_key=idempotency_key,
            kind=request.kind,
        )
    except jobs.IdempotencyConflictError as err:
        raise ApiError(422, "idempotency_key_reused", str(err)) from err
    return Submitted(job)


def plan_job(body: PlanRequest) -> JobRequest:
    """A plan job: policy overrides are checked against the stored policy now."""

    def check(_session: Session, _settings: Settings, row: ScenarioRow) -> None:
        check_policy_overrides(row.policy, dict(body.policy_overrides))

    return JobRequest(jobs.JobKind.PLAN, body.model_dump(), body.time_limit_s, check)


def comparison_job(body: ComparisonRequest) -> JobRequest:
    """A comparison job: at most ``max_variants_per_comparison`` variants, each of which
    must parse and apply to the scenario now (a bad one is a 422 naming it)."""

    def check(session: Session, settings: Settings, row: ScenarioRow) -> None:
        if len(body.variants) > settings.max_variants_per_comparison:
            msg = (
                f"{len(body.variants)} variants; the limit per comparison is "
                f"{settings.max_variants_per_comparison} (each is planned in full)."
            )
            raise ApiError(422, "too_many_variants", msg)
        domain = features.scenario_of(session, row.id)
        if domain is None:
            raise not_found("scenario", row.id)
        try:
            features.check_variants(domain, body.variants)
        except InvalidScenarioError as err:
            raise ApiError(422, "invalid_variant", str(err).split("\n", 1)[0]) from err

    return JobRequest(jobs.JobKind.COMPARISON, body.model_dump(), body.time_limit_s, check)


@dataclass(frozen=True, slots=True)
class JobSubmitter:
    """What a submit handler needs besides the request: a session, the queue and settings."""

    session: Session
    factory: sessionmaker[Session]
    settings: Settings
    idempotency_key: str | None

    def submit(
        self, user_id: int, scenario_id: int, request: JobRequest, response: Response
    ) -> JobResponse:
        """:func:`submit_job`, then the job's URL in ``Location`` and the job as the body."""
        submitted = submit_job(
            self.session,
            self.factory,
            self.settings,
            user_id=user_id,
            scenario_id=scenario_id,
            request=request,
            idempotency_key=self.idempotency_key,
        )
        response.headers["Location"] = submitted.location
        return JobResponse.from_row(submitted.job, submitted.plan_id, submitted.comparison_id)


def get_job_submitter(
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JobSubmitter:
    return JobSubmitter(session, factory, settings, idempotency_key)


JobSubmitterDep = Annotated[JobSubmitter, Depends(get_job_submitter)]
