"""SIGKILL a worker process at each of four points of a job, five times each: every job
ends with exactly one plan, written by the worker that claimed it after the lease expired.

The points (api/fault_points.py): just after claiming; inside the solver, at its first
progress report; after the solve, before the write; during the write (plan rows and the
job's new state sent, the commit not). The doomed worker is a real process started with
``SCHOOLRUN_FAULT_PAUSE_AT``: it stops at the point and writes a marker file, and this
test then kills it with SIGKILL, so each kill lands exactly where it is meant to.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from api_support import World, add_users, fresh_app, upload_tiny
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_worker_kill import database_url, start_worker, wait_for

from api.fault_points import FaultPoint
from api.models import JobRow, PlanRouteRow, PlanRow, PlanStopRow, PlanTripRow

pytestmark = pytest.mark.slow
__all__ = ["database_url"]  # the fixture, shared with test_worker_kill
TRIALS = 5
LEASE_S = 2.0


def _count(world: World, table: type, *where: object) -> int:
    with world.factory() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def _kill_at(point: FaultPoint, trial: int, env: dict[str, str], tmp_path: Path) -> str:
    """Start a worker that pauses at ``point``, SIGKILL it there; the job id it held."""
    markers = tmp_path / f"{point.value}-{trial}"
    markers.mkdir()
    name = f"doomed-{point.value}-{trial}"
    log = tmp_path / f"{name}.log"
    doomed = start_worker(
        name,
        {**env, "SCHOOLRUN_FAULT_PAUSE_AT": point.value, "SCHOOLRUN_FAULT_PAUSE_DIR": str(markers)},
        log,
    )
    try:
        wait_for(
            lambda: any(markers.glob(f"{point.value}.*")) or doomed.poll() is not None,
            120,
            f"worker {name} to reach {point.value}",
        )
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL, log.read_text()
    (marker,) = markers.glob(f"{point.value}.*")
    assert marker.name == f"{point.value}.{doomed.pid}"
    return marker.read_text()


@pytest.mark.parametrize("point", list(FaultPoint))
def test_sigkill_at_each_point_leaves_exactly_one_plan(
    tmp_path: Path, tiny_files: dict[str, bytes], database_url: str, point: FaultPoint
) -> None:
    app, settings = fresh_app(
        tmp_path, lease_s=LEASE_S, database_url=database_url, max_concurrent_solves_per_user=50
    )
    env = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": settings.database_url,
        "SCHOOLRUN_STATE_DIR": str(tmp_path),
        "SCHOOLRUN_LEASE_S": str(LEASE_S),
        "SCHOOLRUN_HEARTBEAT_S": "0.5",
        "SCHOOLRUN_WORKER_POLL_S": "0.1",
        "SCHOOLRUN_SOLVE_NUM_WORKERS": "1",
    }
    env.pop("DATABASE_URL", None)
    with TestClient(app) as client:
        world = World(backend="", app=app, client=client, settings=settings)
        add_users(world)
        scenario_id = upload_tiny(client, world.headers["officer"], tiny_files)
        rescuer = world.worker(worker_id="rescuer")
        job_ids = []
        for trial in range(TRIALS):
            # AM and PM, so that the first progress report comes with PM still to solve.
            job_id = client.post(
                f"/api/v1/scenarios/{scenario_id}/plans",
                json={"run": "both", "time_limit_s": 1, "seed": trial},
                headers=world.headers["officer"],
            ).json()["job_id"]
            job_ids.append(job_id)
            assert _kill_at(point, trial, env, tmp_path) == job_id
            with world.factory() as session:
                killed = session.get(JobRow, job_id)
                assert killed is not None
                assert (killed.state, killed.attempts) == ("running", 1)
                assert killed.lease_owner == f"doomed-{point.value}-{trial}"
            # Nothing of the plan is visible: not even the rows sent before the kill.
            assert _count(world, PlanRow, PlanRow.job_id == job_id) == 0
            assert _count(world, PlanRow) == trial

            # The lease expires (no more heartbeats), then the job is claimed again.
            wait_for(rescuer.run_once, LEASE_S + 60, f"job {job_id} to be claimed again")
            with world.factory() as session:
                done = session.get(JobRow, job_id)
                assert done is not None
                assert (done.state, done.attempts, done.lease_owner) == ("succeeded", 2, None)
                assert killed.lease_expires_at is not None and done.started_at is not None
                assert done.finished_at is not None
                assert done.finished_at >= killed.lease_expires_at

        with world.factory() as session:
            states = dict(
                session.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
            )
            per_job = dict(
                session.execute(select(PlanRow.job_id, func.count()).group_by(PlanRow.job_id)).all()
            )
            plan_ids = list(session.scalars(select(PlanRow.id)))
        assert states == {"succeeded": TRIALS}
        assert per_job == {job_id: 1 for job_id in job_ids}
        # Each plan whole: every pupil journey of both runs and the stops behind them,
        # and no route, stop or journey row without its plan.
        for plan_id in plan_ids:
            plan = client.get(f"/api/v1/plans/{plan_id}", headers=world.headers["officer"])
            assert plan.status_code == 200 and plan.json()["runs"] == ["AM", "PM"]
            assert _count(world, PlanTripRow, PlanTripRow.plan_id == plan_id) == 12
        routes_in_plans = _count(world, PlanRouteRow, PlanRouteRow.plan_id.in_(plan_ids))
        assert _count(world, PlanRouteRow) == routes_in_plans > 0
        assert _count(world, PlanTripRow) == 12 * TRIALS
        assert _count(world, PlanStopRow) > 0
