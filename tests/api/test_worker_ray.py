"""The service's worker hands a solve to Ray (``SCHOOLRUN_EXECUTOR=ray``): the job's parts
run as Ray tasks on a real local Ray, while the job's state, lease and its one plan row
stay with the worker and the database as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import World, add_users, make_settings
from fastapi.testclient import TestClient
from ray_support import local_ray
from sqlalchemy import func, select

from api.config import Settings
from api.main import create_app
from api.models import PlanRow
from routing import executor

pytestmark = pytest.mark.xdist_group("ray")

RUTLAND = Path(__file__).resolve().parents[2] / "data" / "rutland"
FILES = ("schools.csv", "pupils.csv", "vehicle_types.csv", "current_routes.csv")


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    yield from local_ray()


def test_executor_setting_reads_schoolrun_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHOOLRUN_EXECUTOR", "ray")
    monkeypatch.setenv("SCHOOLRUN_RAY_ADDRESS", "10.0.0.5:6379")
    settings = Settings(jwt_secret="x" * 40)
    assert (settings.executor, settings.ray_address) == ("ray", "10.0.0.5:6379")


def test_a_plan_job_solves_on_ray_and_stores_one_plan(
    ray_instance: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    submit = executor._RayExecutor.submit

    def counting(self: Any, fn: Any, /, *args: Any) -> Any:
        calls.append(fn.__name__)
        return submit(self, fn, *args)

    monkeypatch.setattr(executor._RayExecutor, "submit", counting)
    settings = make_settings(
        f"sqlite:///{tmp_path / 'schoolrun.db'}", tmp_path, executor="ray", solve_num_workers=2
    )
    with TestClient(create_app(settings)) as client:
        world = World(backend="sqlite", app=client.app, client=client, settings=settings)  # type: ignore[arg-type]
        add_users(world)
        officer = world.headers["officer"]
        upload = client.post(
            "/api/v1/scenarios",
            data={"name": "rutland"},
            files=[("files", (n, (RUTLAND / n).read_bytes(), "text/csv")) for n in FILES]
            + [("files", ("policy.toml", policy_without_network(), "text/plain"))],
            headers=officer,
        )
        assert upload.status_code == 201, upload.text
        job = client.post(
            f"/api/v1/scenarios/{upload.json()['id']}/plans",
            json={"run": "both", "time_limit_s": 5},
            headers=officer,
        )
        assert job.status_code == 202, job.text
        assert world.worker().run_once()
        done = client.get(f"/api/v1/jobs/{job.json()['job_id']}", headers=officer).json()
        assert done["state"] == "succeeded", done
        # 130 pupils a run, parts of at most 120: two parts a run, each a Ray task.
        assert calls == ["_solve_bin"] * 4
        with world.factory() as session:
            count = session.scalar(select(func.count()).select_from(PlanRow))
        assert count == 1
        plan = client.get(f"/api/v1/plans/{done['plan_id']}", headers=officer).json()
        assert plan["routes"]


def policy_without_network() -> bytes:
    """Rutland's policy without its [network] (an upload carries no road files)."""
    text = (RUTLAND / "policy.toml").read_text(encoding="utf-8")
    return text.split("[network]")[0].encode("utf-8")
