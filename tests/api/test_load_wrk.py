"""Load on the pickup list: the 2,000-pupil Havering scenario planned and published,
``uvicorn --workers 2`` on loopback, Debian's ``wrk`` for 10 s (8 connections), through
``scripts/load_pickups.py``: every answer 2xx, no socket error, on SQLite and PostgreSQL.

The scenario is built by ``scripts/build_scenarios.py --only havering-2000`` from the
shared open data (``../shared/data``, or ``SCHOOLRUN_SHARED_DATA``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import create_pg_database, drop_pg_database

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCHOOLRUN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="module")
def scenario_2000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SHARED / "schools").is_dir():
        pytest.skip(f"no shared open data at {SHARED} to build havering-2000 from")
    out = tmp_path_factory.mktemp("scenarios")
    subprocess.run(
        [sys.executable, "scripts/build_scenarios.py", "--only", "havering-2000",
         "--shared", str(SHARED), "--out", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return out / "havering-2000"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None  # the script's own SQLite file in its workdir
        return
    url = create_pg_database(request.getfixturevalue("pg_server"))
    yield url
    drop_pg_database(url)


def test_wrk_on_2000_pupils_answers_every_request(
    tmp_path: Path, scenario_2000: Path, database_url: str | None
) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk; scripts/install_browser.sh)")
    command = [
        sys.executable, "scripts/load_pickups.py", "--self-host", "--scenario",
        str(scenario_2000), "--workdir", str(tmp_path), "--time-limit", "10",
        "--uvicorn-workers", "2", "--wrk-duration", "10", "--concurrency", "8", "--json",
    ]  # fmt: skip
    if database_url is not None:
        command += ["--database-url", database_url]
    env = {**os.environ}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == 0 and result["non_2xx"] == 0, result
    assert result["requests"] >= 20, result  # 10 s at even 2 req/s
    assert 0 < result["p50_ms"] <= result["p99_ms"] < 10_000, result
