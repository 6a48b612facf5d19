"""A worker process killed with SIGKILL mid-solve loses no job: after the lease expires a
second worker process claims it, solves it and writes exactly one plan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_support import (
    World,
    add_users,
    create_pg_database,
    drop_pg_database,
    fresh_app,
    upload_tiny,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.models import JobRow, PlanRow

REPO = Path(__file__).resolve().parents[2]
LEASE_S = 3.0


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own session, so the kill below takes the worker and anything it started. The child
    # has its own copy of the log's file descriptor, so ours can close at once.
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.worker", "--worker-id", name],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until true (bounded): the other process sets the pace here."""
    pause = threading.Event()
    for _ in range(int(timeout_s / 0.1)):
        if condition():
            return
        pause.wait(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schoolrun.db'}"
        return
    url = create_pg_database(request.getfixturevalue("pg_server"))
    yield url
    drop_pg_database(url)


def test_killed_worker_job_is_finished_once_by_another_worker(
    tmp_path: Path, tiny_files: dict[str, bytes], database_url: str
) -> None:
    app, settings = fresh_app(tmp_path, lease_s=LEASE_S, database_url=database_url)
    env = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": settings.database_url,
        "SCHOOLRUN_STATE_DIR": str(tmp_path),
        "SCHOOLRUN_LEASE_S": str(LEASE_S),
        "SCHOOLRUN_HEARTBEAT_S": "0.5",
        "SCHOOLRUN_WORKER_POLL_S": "0.2",
        "SCHOOLRUN_SOLVE_NUM_WORKERS": "1",
    }
    env.pop("DATABASE_URL", None)
    with TestClient(app) as client:
        world = World(backend="sqlite", app=app, client=client, settings=settings)
        add_users(world)
        scenario_id = upload_tiny(client, world.headers["officer"], tiny_files)
        # Both runs at 2 s each: long enough to be killed in the middle.
        job_id = client.post(
            f"/api/v1/scenarios/{scenario_id}/plans",
            json={"run": "both", "time_limit_s": 2},
            headers=world.headers["officer"],
        ).json()["job_id"]

        def job() -> JobRow:
            with world.factory() as session:
                row = session.get(JobRow, job_id)
                assert row is not None
                return row

        def plans() -> int:
            with world.factory() as session:
                return int(
                    session.scalar(
                        select(func.count()).select_from(PlanRow).where(PlanRow.job_id == job_id)
                    )
                    or 0
                )

        first = start_worker("doomed", env, tmp_path / "doomed.log")
        try:
            wait_for(
                lambda: (job().progress or {}).get("phase") == "solving",
                60,
                "the first worker to start solving",
            )
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        killed = job()
        assert (killed.state, killed.lease_owner, killed.attempts) == ("running", "doomed", 1)
        assert plans() == 0

        second = start_worker("rescuer", env, tmp_path / "rescuer.log")
        try:
            wait_for(lambda: job().state == "succeeded", 120, "the second worker to finish")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        done = job()
        log = (tmp_path / "rescuer.log").read_text()
        assert (done.state, done.attempts, done.lease_owner) == ("succeeded", 2, None), log
        assert killed.lease_expires_at is not None and done.finished_at is not None
        assert done.finished_at > killed.lease_expires_at
        assert f"claimed job {job_id} (attempt 2)" in log
        assert plans() == 1
        response = client.get(f"/api/v1/jobs/{job_id}", headers=world.headers["officer"])
        plan = client.get(
            f"/api/v1/plans/{response.json()['plan_id']}", headers=world.headers["officer"]
        )
        assert plan.status_code == 200 and plan.json()["runs"] == ["AM", "PM"]
