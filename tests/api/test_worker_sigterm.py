"""SIGTERM a worker with 20 jobs queued: it finishes the job it is solving and exits 0;
nothing is lost (the rest stay queued, untouched); a second worker finishes them, each
with exactly one plan."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from api_support import World, add_users, fresh_app, upload_tiny
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_worker_kill import start_worker, wait_for

from api.models import JobRow, PlanRow

pytestmark = pytest.mark.slow
NUM_JOBS = 20


def test_sigterm_finishes_the_current_job_and_loses_none(
    tmp_path: Path, tiny_files: dict[str, bytes]
) -> None:
    app, settings = fresh_app(tmp_path, max_concurrent_solves_per_user=NUM_JOBS)
    env = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": settings.database_url,
        "SCHOOLRUN_STATE_DIR": str(tmp_path),
        "SCHOOLRUN_LEASE_S": "5",
        "SCHOOLRUN_HEARTBEAT_S": "0.5",
        "SCHOOLRUN_WORKER_POLL_S": "0.2",
        "SCHOOLRUN_SOLVE_NUM_WORKERS": "1",
    }
    env.pop("DATABASE_URL", None)
    with TestClient(app) as client:
        world = World(backend="sqlite", app=app, client=client, settings=settings)
        add_users(world)
        scenario_id = upload_tiny(client, world.headers["officer"], tiny_files)
        job_ids = []
        for _ in range(NUM_JOBS):
            response = client.post(
                f"/api/v1/scenarios/{scenario_id}/plans",
                json={"run": "AM", "time_limit_s": 1},
                headers=world.headers["officer"],
            )
            assert response.status_code == 202, response.text
            job_ids.append(response.json()["job_id"])

        def states() -> dict[str, int]:
            with world.factory() as session:
                rows = session.execute(select(JobRow.state, func.count()).group_by(JobRow.state))
                return {state: int(n) for state, n in rows}

        def solving() -> bool:
            with world.factory() as session:
                return any(
                    (p or {}).get("phase") == "solving"
                    for p in session.scalars(select(JobRow.progress))
                )

        first = start_worker("stopping", env, tmp_path / "stopping.log")
        try:
            wait_for(solving, 60, "the first worker to start solving")
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=60)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        log = (tmp_path / "stopping.log").read_text()
        assert first.returncode == 0, log
        after_term = states()
        # The job in hand was finished, not abandoned; the others were not touched.
        assert after_term.get("running", 0) == 0, after_term
        assert after_term.get("failed", 0) == 0, after_term
        assert after_term.get("succeeded", 0) >= 1
        assert sum(after_term.values()) == NUM_JOBS

        second = start_worker("finisher", env, tmp_path / "finisher.log")
        try:
            wait_for(lambda: states() == {"succeeded": NUM_JOBS}, 600, "every job to finish")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
        with world.factory() as session:
            per_job = dict(
                session.execute(select(PlanRow.job_id, func.count()).group_by(PlanRow.job_id)).all()
            )
            attempts = set(session.scalars(select(JobRow.attempts)))
    assert per_job == {job_id: 1 for job_id in job_ids}
    assert attempts == {1}  # no job was started twice
