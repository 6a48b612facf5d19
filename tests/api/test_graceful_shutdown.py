"""SIGTERM the API (a uvicorn process with its in-process worker) and a separate worker
process while 20 jobs are queued or running and two requests are half sent: both
requests finish (201 and 202, stored), both processes exit 0, and after a restart every
job, the one submitted during the shutdown included, ends succeeded with one plan.

The requests in flight stream their bodies: the first half goes, the test waits until the
server has read it (its socket's receive queue is empty, /proc/net/tcp), sends SIGTERM,
sees the listening socket close, then sends the second half.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import PASSWORD
from sqlalchemy import func, select
from test_uvicorn import free_port
from test_worker_kill import start_worker, wait_for

from api.db import make_engine, make_session_factory
from api.migrate import upgrade_to_head
from api.models import JobRow, PlanRow, ScenarioRow
from api.users import add_user

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
NUM_JOBS = 20


def start_api(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def unread_bytes(port: int) -> int | None:
    """Bytes the server has not yet read on its established connections of ``port``
    (None when there is no such connection): the rx_queue column of /proc/net/tcp."""
    total, seen = 0, False
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if int(local.split(":")[1], 16) == port and state == "01":  # ESTABLISHED
            seen = True
            total += int(queues.split(":")[1], 16)
    return total if seen else None


class HalfSent:
    """A request whose body goes in two halves, the second when ``release`` is set."""

    def __init__(self, base: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.release = threading.Event()
        self.first_sent = threading.Event()
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None
        half = len(body) // 2

        def chunks() -> Iterator[bytes]:
            yield body[:half]
            self.first_sent.set()  # asked for more: the first half is on the wire
            self.release.wait(120)
            yield body[half:]

        def send() -> None:
            try:
                with httpx.Client(base_url=base, timeout=120) as http:
                    self.response = http.post(path, content=chunks(), headers=headers)
            except BaseException as err:  # reported by the test
                self.error = err

        self.thread = threading.Thread(target=send, daemon=True)
        self.thread.start()

    def result(self) -> httpx.Response:
        self.thread.join(120)
        assert self.error is None, repr(self.error)
        assert self.response is not None
        return self.response


def multipart(files: dict[str, bytes], name: str) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        "http://x/",
        data={"name": name},
        files=[("files", (n, c, "text/csv")) for n, c in files.items()],
    )
    return request.read(), request.headers["content-type"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'schoolrun.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    add_user("officer", "officer", password=PASSWORD, session_factory=make_session_factory(engine))
    engine.dispose()
    values = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": url,
        "SCHOOLRUN_STATE_DIR": str(tmp_path),
        "SCHOOLRUN_IN_PROCESS_WORKER": "true",
        "SCHOOLRUN_LEASE_S": "5",
        "SCHOOLRUN_HEARTBEAT_S": "0.5",
        "SCHOOLRUN_WORKER_POLL_S": "0.2",
        "SCHOOLRUN_SOLVE_NUM_WORKERS": "1",
        "SCHOOLRUN_MAX_CONCURRENT_SOLVES_PER_USER": str(NUM_JOBS + 5),
    }
    values.pop("DATABASE_URL", None)
    return values


def test_sigterm_finishes_requests_in_flight_and_loses_no_job(
    tmp_path: Path, tiny_files: dict[str, bytes], env: dict[str, str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api_log, worker_log = tmp_path / "uvicorn.log", tmp_path / "worker.log"
    api = start_api(port, env, api_log)
    worker = start_worker("separate", env, worker_log)
    processes = [api, worker]
    try:
        wait_for(lambda: ready(base) or api.poll() is not None, 60, "the API to be ready")
        assert api.poll() is None, api_log.read_text()
        http = httpx.Client(base_url=base, timeout=60)
        token = http.post("/api/v1/token", data={"username": "officer", "password": PASSWORD})
        officer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        upload = http.post(
            "/api/v1/scenarios", data={"name": "tiny"}, headers=officer,
            files=[("files", (n, c, "text/csv")) for n, c in tiny_files.items()],
        )  # fmt: skip
        assert upload.status_code == 201, upload.text
        scenario_id = upload.json()["id"]
        submit = {"run": "AM", "time_limit_s": 1}
        job_ids = []
        for _ in range(NUM_JOBS):
            response = http.post(f"/api/v1/scenarios/{scenario_id}/plans", json=submit,
                                 headers=officer)  # fmt: skip
            assert response.status_code == 202, response.text
            job_ids.append(response.json()["job_id"])
        http.close()

        factory = make_session_factory(make_engine(env["SCHOOLRUN_DATABASE_URL"]))

        def states() -> dict[str, int]:
            with factory() as session:
                rows = session.execute(select(JobRow.state, func.count()).group_by(JobRow.state))
                return {state: int(n) for state, n in rows}

        wait_for(lambda: states().get("running", 0) >= 1, 60, "a job to be running")

        body, content_type = multipart(tiny_files, "uploaded-during-shutdown")
        in_flight = [
            HalfSent(base, "/api/v1/scenarios", {**officer, "Content-Type": content_type}, body),
            HalfSent(
                base,
                f"/api/v1/scenarios/{scenario_id}/plans",
                {**officer, "Content-Type": "application/json"},
                json.dumps({**submit, "seed": 7}).encode(),
            ),
        ]
        for request in in_flight:
            assert request.first_sent.wait(30)
        wait_for(lambda: unread_bytes(port) == 0, 30, "the server to read the first halves")
        at_sigterm = states()
        assert sum(at_sigterm.values()) == NUM_JOBS and at_sigterm.get("running", 0) >= 1
        api.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                httpx.get(f"{base}/health", timeout=1)
            except httpx.ConnectError:
                return True
            return False

        wait_for(refused, 30, "the API to stop accepting connections")
        assert api.poll() is None  # still running: it waits for the requests in flight
        for request in in_flight:
            request.release.set()
        uploaded, submitted = (request.result() for request in in_flight)
        assert uploaded.status_code == 201, uploaded.text
        assert submitted.status_code == 202, submitted.text
        job_ids.append(submitted.json()["job_id"])
        # uvicorn re-raises the signal it caught once its shutdown is complete.
        assert api.wait(timeout=120) == -signal.SIGTERM
        assert "Application shutdown complete." in api_log.read_text(), api_log.read_text()
        assert worker.wait(timeout=120) == 0, worker_log.read_text()[-3000:]
        after = states()
        assert after.get("failed", 0) == 0 and sum(after.values()) == NUM_JOBS + 1, after

        # Restart both: every job ends succeeded, one plan each.
        api = start_api(port, env, api_log)
        worker = start_worker("separate-2", env, tmp_path / "worker-2.log")
        processes += [api, worker]
        wait_for(lambda: ready(base) or api.poll() is not None, 60, "the API to be back")
        wait_for(lambda: states() == {"succeeded": NUM_JOBS + 1}, 600, "every job to finish")
        with httpx.Client(base_url=base, timeout=60) as http:
            answers: list[dict[str, Any]] = [
                http.get(f"/api/v1/jobs/{job_id}", headers=officer).json() for job_id in job_ids
            ]
        assert all(a["state"] == "succeeded" and a["plan_id"] for a in answers), answers
        with factory() as session:
            per_job = dict(
                session.execute(select(PlanRow.job_id, func.count()).group_by(PlanRow.job_id)).all()
            )
            names = set(session.scalars(select(ScenarioRow.name)))
        assert per_job == {job_id: 1 for job_id in job_ids}
        assert names == {"tiny", "uploaded-during-shutdown"}
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
