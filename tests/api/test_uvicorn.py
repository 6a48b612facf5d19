"""The service as it really runs: a uvicorn process on loopback with its in-process
worker, driven over HTTP from sign-in to a school's pickup list."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import PASSWORD

from api.db import make_engine, make_session_factory
from api.migrate import upgrade_to_head
from api.users import add_user

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(check: object, timeout_s: float) -> None:
    pause = threading.Event()
    for _ in range(int(timeout_s / 0.1)):
        if check():  # type: ignore[operator]
            return
        pause.wait(0.1)
    raise AssertionError(f"condition not met within {timeout_s} s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    add_user("officer", "officer", password=PASSWORD, session_factory=factory)
    add_user("school1", "school", password=PASSWORD, school_ids=["S1"], session_factory=factory)
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": url,
        "SCHOOLRUN_STATE_DIR": str(tmp_path),
        "SCHOOLRUN_IN_PROCESS_WORKER": "true",
        "SCHOOLRUN_WORKER_POLL_S": "0.2",
        "SCHOOLRUN_SOLVE_NUM_WORKERS": "1",
        "SCHOOLRUN_MAX_BODY_BYTES": "200000",
    }
    env.pop("DATABASE_URL", None)
    with (tmp_path / "uvicorn.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return process.poll() is not None  # died: stop waiting, fail below

    try:
        poll(ready, 60)
        assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_live_server_plans_in_the_background_and_serves_pickups(
    server: str, tiny_files: dict[str, bytes]
) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/api/v1/scenarios").status_code == 401

        def login(user: str) -> dict[str, str]:
            token = http.post("/api/v1/token", data={"username": user, "password": PASSWORD})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        officer, school = login("officer"), login("school1")
        upload = http.post(
            "/api/v1/scenarios", data={"name": "tiny"}, headers=officer,
            files=[("files", (n, c, "text/csv")) for n, c in tiny_files.items()],
        )  # fmt: skip
        assert upload.status_code == 201, upload.text
        submit = http.post(
            f"/api/v1/scenarios/{upload.json()['id']}/plans",
            json={"run": "AM", "time_limit_s": 1},
            headers={**officer, "Idempotency-Key": "live-1"},
        )
        assert submit.status_code == 202
        job_url = submit.headers["location"]
        poll(
            lambda: http.get(job_url, headers=officer).json()["state"] in ("succeeded", "failed"),
            90,
        )
        job = http.get(job_url, headers=officer).json()
        assert job["state"] == "succeeded", job
        for step in ("approve", "publish"):  # schools see published plans only
            done = http.post(f"/api/v1/plans/{job['plan_id']}/{step}", headers=officer)
            assert done.status_code == 200, done.text
        pickups = http.get(
            f"/api/v1/schools/S1/pickups?plan={job['plan_id']}",
            headers={**school, "X-Request-ID": "live-req-1"},
        )
        assert pickups.status_code == 200
        assert pickups.headers["x-request-id"] == "live-req-1"
        assert {p["name"] for p in pickups.json()["pupils"]} == {
            "Amira K.",
            "Benedikt S.",
            "Carys D.",
        }
        big = http.post(
            "/api/v1/scenarios/json",
            content=b"{" + b" " * 300_000 + b"}",
            headers={**officer, "Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert http.get("/").status_code == 200  # the static page
