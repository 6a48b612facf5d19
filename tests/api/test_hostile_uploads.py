"""Issue 15 through the service: a scenario upload with one hostile cell is refused with
row-level issues (422) or loads and solves to a succeeded or failed job with an error code;
never a 5xx, never a job stuck running.

Rutland's files are uploaded without their road network (the service plans them on the
approximate model), one cell changed by the same mutations as tests/property.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import World, add_users, make_settings
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.main import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
from hostile import REPO, mutate_script, mutations

SCRIPT = mutate_script()
_POLICY = (REPO / "data" / "rutland" / "policy.toml").read_text("utf-8")
TABLES = {
    **SCRIPT.read_tables(REPO / "data" / "rutland"),
    "policy.toml": _POLICY.split("[network]")[0],
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    state = tmp_path_factory.mktemp("hostile")
    app_settings = make_settings(f"sqlite:///{state / 'schoolrun.db'}", state)
    app = create_app(app_settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(backend="sqlite", app=app, client=client, settings=app_settings)
        add_users(world)
        yield world


def _upload_and_solve(world: World, tables: dict[str, str]) -> None:
    officer = world.headers["officer"]
    files = [("files", (name, text.encode("utf-8"), "text/csv")) for name, text in tables.items()]
    response = world.client.post(
        "/api/v1/scenarios", data={"name": "hostile"}, files=files, headers=officer
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        issues = response.json()["issues"]
        assert issues and all(i["file"] and i["field"] for i in issues), response.text
        return
    scenario_id = response.json()["id"]
    response = world.client.post(
        f"/api/v1/scenarios/{scenario_id}/plans",
        json={"run": "AM", "time_limit_s": 1},
        headers=officer,
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert world.worker().run_once()
    job = world.client.get(f"/api/v1/jobs/{job_id}", headers=officer).json()
    assert job["state"] in ("succeeded", "failed"), job
    if job["state"] == "failed":
        assert job["error_code"] and job["error"], job


@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations(SCRIPT, TABLES))
def test_a_hostile_upload_is_a_422_or_a_finished_job_never_a_5xx(
    service: World, mutation: object
) -> None:
    _upload_and_solve(service, SCRIPT.mutate(TABLES, mutation))


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations(SCRIPT, TABLES))
def test_many_hostile_uploads_are_422s_or_finished_jobs(service: World, mutation: object) -> None:
    _upload_and_solve(service, SCRIPT.mutate(TABLES, mutation))
