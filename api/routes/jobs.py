"""Solve jobs: state, progress, best cost so far, and the plan when done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import jobs
from api.deps import OfficerOrFinance, ReadSessionDep
from api.errors import not_found
from api.models import JobRow
from api.schemas import ErrorResponse, JobResponse

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobResponse, responses={404: {"model": ErrorResponse}})
def read_job(
    job_id: Annotated[str, Path(min_length=1, max_length=64)],
    user: OfficerOrFinance,
    session: ReadSessionDep,
) -> JobResponse:
    """A job's kind (plan or comparison), state (queued, running, succeeded, failed),
    progress and best cost; ``plan_id`` or ``comparison_id`` when it has succeeded."""
    job = session.get(JobRow, job_id)
    if job is None:
        raise not_found("job", job_id)
    return JobResponse.from_row(job, *jobs.result_ids(session, job))
