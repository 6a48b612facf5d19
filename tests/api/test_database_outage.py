"""PostgreSQL stopped for 30 s under load: only 503 with Retry-After (never a 500),
/ready false, no partial rows, and recovery within 10 s of the restart without
restarting the app.

The test runs its own PostgreSQL cluster (initdb under /tmp, a free port), started and
stopped by the test: the shared server at 127.0.0.1:5432 is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from api_support import World, add_users, make_settings, upload_tiny
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from api.models import ScenarioRow

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OUTAGE_S = 30.0
RECOVERY_LIMIT_S = 10.0

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    # initdb and postgres refuse to run as root; run them as the postgres user when root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@dataclass
class Cluster:
    data: Path
    port: int

    def ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args),
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        self.ctl("-o", options, "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip(f"no PostgreSQL server binaries at {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="schoolrun-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    cluster = Cluster(data, _free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Load:
    statuses: list[tuple[float, str, int, str | None]] = field(default_factory=list)
    created: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def _reader(client: TestClient, headers: dict[str, str], load: Load) -> None:
    while not load.stop.is_set():
        for url in ("/api/v1/scenarios", "/ready"):
            r = client.get(url, headers=headers)
            load.statuses.append(
                (time.monotonic(), url, r.status_code, r.headers.get("retry-after"))
            )


def _writer(client: TestClient, headers: dict[str, str], files: dict[str, bytes],
            load: Load) -> None:  # fmt: skip
    while not load.stop.is_set():
        r = client.post(
            "/api/v1/scenarios",
            data={"name": "tiny"},
            files=[("files", (n, c, "text/csv")) for n, c in files.items()],
            headers=headers,
        )
        load.statuses.append(
            (time.monotonic(), "POST", r.status_code, r.headers.get("retry-after"))
        )
        if r.status_code == 201:
            load.created += 1
        load.stop.wait(0.2)


def test_postgres_stopped_for_30_s_gives_only_503_and_recovers(
    own_cluster: Cluster, tmp_path: Path, tiny_files: dict[str, bytes]
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{own_cluster.port}/postgres"
    settings = make_settings(url, tmp_path)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        w = World(backend="postgres", app=app, client=client, settings=settings)
        add_users(w)
        upload_tiny(client, w.headers["officer"], tiny_files)
        load = Load()
        threads = [
            threading.Thread(target=_reader, args=(client, w.headers["officer"], load)),
            threading.Thread(target=_reader, args=(client, w.headers["finance"], load)),
            threading.Thread(target=_writer, args=(client, w.headers["officer"], tiny_files, load)),
        ]
        for t in threads:
            t.start()
        try:
            load.stop.wait(3)
            own_cluster.stop()
            stopped_at = time.monotonic()
            load.stop.wait(OUTAGE_S)
            own_cluster.start()
            started_at = time.monotonic()
            recovered_at = None
            while time.monotonic() - started_at < 3 * RECOVERY_LIMIT_S:
                done = [s for s in load.statuses if s[0] > started_at and s[2] == 200]
                if any(s[1] == "/api/v1/scenarios" for s in done) and any(
                    s[1] == "/ready" for s in done
                ):
                    recovered_at = min(s[0] for s in done if s[1] == "/ready")
                    break
                load.stop.wait(0.2)
            load.stop.wait(2)
        finally:
            load.stop.set()
            for t in threads:
                t.join(timeout=30)
        with app.state.session_factory() as session:
            num_scenarios = session.scalar(select(func.count()).select_from(ScenarioRow))
    statuses = list(load.statuses)
    kinds = {s[2] for s in statuses}
    assert kinds <= {200, 201, 503}, sorted(kinds)
    during = [s for s in statuses if stopped_at + 1 < s[0] < stopped_at + OUTAGE_S - 1]
    assert during and all(s[2] == 503 for s in during), {s[2] for s in during}
    assert all(s[3] is not None for s in statuses if s[2] == 503)
    assert any(s[1] == "/ready" for s in during)  # /ready said false during the outage
    assert recovered_at is not None and recovered_at - started_at <= RECOVERY_LIMIT_S
    # no partial rows: exactly the uploads answered 201 exist (plus the first)
    assert num_scenarios == load.created + 1
    print(
        f"outage: {len(during)} answers during it, all 503; "
        f"recovered {recovered_at - started_at:.1f} s after the restart; "
        f"{len(statuses)} requests in all, {load.created} uploads"
    )
