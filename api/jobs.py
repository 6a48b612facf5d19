"""The solve queue, kept in the database so that jobs outlive any process.

A worker claims a job by a compare-and-set UPDATE (portable to SQLite and PostgreSQL):
the row changes only if it is still queued, or running under a lease that has expired.
The worker keeps its lease alive by heartbeat; the final write (plan + state) happens in
one transaction that first re-checks the lease, and ``plans.job_id`` is unique, so a job
retried after its worker died produces exactly one plan.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.models import ComparisonRow, JobRow, PlanRow


class JobKind(StrEnum):
    """What a job produces."""

    PLAN = "plan"  # a plan (routes, stops, trips) in ``plans``
    COMPARISON = "comparison"  # a variants table in ``comparisons``


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)


class LeaseLostError(Exception):
    """This worker no longer holds the job's lease (another worker took it over)."""


class IdempotencyConflictError(Exception):
    """An Idempotency-Key was reused for a different request."""


def _now() -> datetime:
    return datetime.now(UTC)


def params_fingerprint(
    scenario_id: int, params: dict[str, Any], kind: JobKind = JobKind.PLAN
) -> str:
    """What an Idempotency-Key is bound to: the scenario, the parameters and the kind
    (plan fingerprints leave the kind out, so they match those stored before kinds)."""
    doc: dict[str, Any] = {"scenario_id": scenario_id, "params": params}
    if kind is not JobKind.PLAN:
        doc["kind"] = kind.value
    blob = json.dumps(doc, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def find_by_idempotency_key(session: Session, user_id: int, key: str) -> JobRow | None:
    return session.scalar(
        select(JobRow).where(JobRow.user_id == user_id, JobRow.idempotency_key == key)
    )


def count_active(session: Session, user_id: int) -> int:
    """Jobs of this user still queued or running."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state.in_(ACTIVE_STATES))
        )
        or 0
    )


def enqueue(
    factory: sessionmaker[Session],
    *,
    scenario_id: int,
    user_id: int,
    params: dict[str, Any],
    idempotency_key: str | None,
    kind: JobKind = JobKind.PLAN,
) -> tuple[JobRow, bool]:
    """Queue a solve, or return the job an earlier request with the same key queued.

    ``kind`` says what the worker makes of it (a plan, or a variants comparison).

    Returns
    -------
    tuple[JobRow, bool]
        The job and whether this call created it.

    Raises
    ------
    IdempotencyConflictError
        The key was used before with a different scenario or parameters.
    """
    fingerprint = params_fingerprint(scenario_id, params, kind)
    stored = {**params, "_fingerprint": fingerprint}

    def existing(session: Session) -> JobRow | None:
        if idempotency_key is None:
            return None
        job = find_by_idempotency_key(session, user_id, idempotency_key)
        if job is not None and job.params.get("_fingerprint") != fingerprint:
            msg = "This Idempotency-Key was already used for a different request."
            raise IdempotencyConflictError(msg)
        return job

    with factory() as session, session.begin():
        job = existing(session)
        if job is not None:
            return job, False
    try:
        with factory() as session, session.begin():
            job = JobRow(
                id=str(uuid.uuid4()),
                kind=kind.value,
                scenario_id=scenario_id,
                user_id=user_id,
                idempotency_key=idempotency_key,
                state=JobState.QUEUED.value,
                params=stored,
                attempts=0,
            )
            session.add(job)
        return job, True
    except IntegrityError:
        # A concurrent retry with the same key won the insert: return its job.
        with factory() as session, session.begin():
            job = existing(session)
            if job is None:
                raise
            return job, False


def claim_next(
    factory: sessionmaker[Session], worker_id: str, *, lease_s: float, max_attempts: int
) -> JobRow | None:
    """Claim the oldest runnable job for ``worker_id`` (or None if there is none).

    Runnable: queued, or running with an expired lease (its worker died). A job whose
    workers died ``max_attempts`` times is failed instead of being tried again.
    """
    now = _now()
    runnable = or_(
        JobRow.state == JobState.QUEUED.value,
        (JobRow.state == JobState.RUNNING.value) & (JobRow.lease_expires_at < now),
    )
    with factory() as session, session.begin():
        candidates = list(
            session.scalars(select(JobRow).where(runnable).order_by(JobRow.created_at).limit(5))
        )
        for job in candidates:
            if job.attempts >= max_attempts:
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id, runnable)
                    .values(
                        state=JobState.FAILED.value,
                        error_code="worker_lost",
                        error=f"The job's worker stopped {job.attempts} times; not trying again.",
                        lease_owner=None,
                        finished_at=now,
                    )
                )
                continue
            result = session.execute(
                update(JobRow)
                .where(JobRow.id == job.id, runnable)
                .values(
                    state=JobState.RUNNING.value,
                    lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    heartbeat_at=now,
                    attempts=JobRow.attempts + 1,
                    started_at=func.coalesce(JobRow.started_at, now),
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                session.flush()
                session.expire(job)
                session.refresh(job)
                return job
    return None


def heartbeat(
    factory: sessionmaker[Session],
    job_id: str,
    worker_id: str,
    *,
    lease_s: float,
    progress: dict[str, Any] | None = None,
    best_cost_pence: int | None = None,
) -> bool:
    """Extend the lease (and store progress); False when the lease is no longer ours."""
    now = _now()
    values: dict[str, Any] = {
        "lease_expires_at": now + timedelta(seconds=lease_s),
        "heartbeat_at": now,
    }
    if progress is not None:
        values["progress"] = progress
    if best_cost_pence is not None:
        values["best_cost_pence"] = best_cost_pence
    with factory() as session, session.begin():
        result = session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.lease_owner == worker_id,
                JobRow.state == JobState.RUNNING.value,
            )
            .values(**values)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish_with_plan(session: Session, job_id: str, worker_id: str) -> None:
    """Mark the job succeeded inside ``session``'s transaction, if the lease is still ours.

    Call before adding the plan (or comparison) in the same transaction. Raises
    ``LeaseLostError`` when another worker has taken the job over, so the caller rolls
    back and writes nothing.
    """
    result = session.execute(
        update(JobRow)
        .where(
            JobRow.id == job_id,
            JobRow.lease_owner == worker_id,
            JobRow.state == JobState.RUNNING.value,
        )
        .values(state=JobState.SUCCEEDED.value, finished_at=_now(), lease_owner=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        msg = f"Worker '{worker_id}' lost the lease of job '{job_id}'."
        raise LeaseLostError(msg)


def fail(
    factory: sessionmaker[Session], job_id: str, worker_id: str, code: str, message: str
) -> bool:
    """Mark the job failed (if still ours) with an error code and message for the user."""
    with factory() as session, session.begin():
        result = session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.lease_owner == worker_id,
                JobRow.state == JobState.RUNNING.value,
            )
            .values(
                state=JobState.FAILED.value,
                error_code=code,
                error=message[:4000],
                finished_at=_now(),
                lease_owner=None,
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def plan_id_of(session: Session, job_id: str) -> int | None:
    return session.scalar(select(PlanRow.id).where(PlanRow.job_id == job_id))


def comparison_id_of(session: Session, job_id: str) -> int | None:
    return session.scalar(select(ComparisonRow.id).where(ComparisonRow.job_id == job_id))


def result_ids(session: Session, job: JobRow) -> tuple[int | None, int | None]:
    """The job's (plan id, comparison id), whichever its kind produced (None until done)."""
    if job.kind == JobKind.COMPARISON.value:
        return None, comparison_id_of(session, job.id)
    return plan_id_of(session, job.id), None
