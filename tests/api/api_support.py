"""Helpers for the service tests: a tiny scenario, databases (SQLite file and a
throwaway PostgreSQL database per run), an app with one user per role, and a solved plan.

The PostgreSQL tests skip, saying why, only when no server answers at 127.0.0.1:5432
(or ``SCHOOLRUN_TEST_PG_URL``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Role
from api.config import Settings
from api.main import create_app
from api.retention import RetentionPeriods
from api.users import add_user, create_api_key
from api.worker import Worker
from routing.model import (
    Needs,
    Pupil,
    Scenario,
    School,
    SchoolKind,
    VehicleRequirement,
)
from routing.synthetic import default_vehicle_types

PG_ADMIN_URL = os.environ.get(
    "SCHOOLRUN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_JWT_SECRET = "test-secret-" + "x" * 40
# The retention periods the retention tests purge with (days; the settings' defaults).
PERIODS = RetentionPeriods(
    superseded_scenario_days=365, plan_days=730, job_days=90, sign_in_days=30, audit_days=2190
)
PASSWORD = "correct horse battery staple"

# Pupil names and postcodes that finance and school responses must never contain
# (school users may see first names and initials only).
PUPILS = (
    # id, school, first name, last name, postcode, wheelchair
    ("P001", "S1", "Amira", "Khanworth", "RM3 1XY", False),
    ("P002", "S1", "Benedikt", "Stokesley", "RM4 2XY", False),
    ("P003", "S1", "Carys", "Doylestone", "RM5 3XY", True),
    ("P004", "S2", "Devraj", "Patelmore", "RM6 4XY", False),
    ("P005", "S2", "Ellowen", "Frostwick", "RM7 5XY", False),
    # An id a spreadsheet would run as a formula: exports must neutralise it.
    ("=P006", "S2", "Finnick", "Grayholm", "RM8 6XY", False),
)


def tiny_scenario() -> Scenario:
    """Two schools, six pupils (one wheelchair user): solvable in about a second a run."""
    schools = (
        School("S1", "Oak School", 0.20, 51.56, SchoolKind.SPECIAL, 8 * 3600 + 45 * 60,
               15 * 3600 + 15 * 60, postcode="RM1 1AA"),
        School("S2", "Elm School", 0.24, 51.58, SchoolKind.RESOURCED, 9 * 3600,
               15 * 3600 + 30 * 60, postcode="RM2 2BB"),
    )  # fmt: skip
    pupils = tuple(
        Pupil(
            pupil_id=pid,
            school_id=school,
            lon=0.19 + 0.01 * i,
            lat=51.55 + 0.005 * i,
            year_group=3 + i,
            first_name=first,
            last_name=last,
            postcode=postcode,
            needs=Needs(
                wheelchair=wheelchair,
                vehicle_requirement=VehicleRequirement.WHEELCHAIR_ACCESSIBLE
                if wheelchair
                else VehicleRequirement.NONE,
                boarding_s=180 if wheelchair else 60,
            ),
        )
        for i, (pid, school, first, last, postcode, wheelchair) in enumerate(PUPILS)
    )
    return Scenario("tiny", schools, pupils, default_vehicle_types())


# --------------------------------------------------------------------------- databases


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def create_pg_database(admin_url: str) -> str:
    name = f"schoolrun_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(database_url: str, state_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "state_dir": state_dir,
        "jwt_secret": TEST_JWT_SECRET,
        "lease_s": 5.0,
        "heartbeat_s": 0.5,
        "worker_poll_s": 0.1,
        "solve_num_workers": 1,
        "max_time_limit_s": 5.0,
        # The session-scoped worlds sign in once; a suite on a loaded machine outlasts
        # the 15-minute default (tests/api/test_tokens.py checks the default itself).
        "access_token_ttl_s": 4 * 3600,
        **overrides,
    }
    return Settings(**values)


# --------------------------------------------------------------------------- apps


@dataclass
class World:
    """An app with one user per role (two schools), the tiny scenario and one plan."""

    backend: str
    app: FastAPI
    client: TestClient
    settings: Settings
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    scenario_id: int = 0
    job_id: str = ""
    plan_id: int = 0
    api_key: str = ""
    route_id: str = ""
    comparison_job_id: str = ""
    comparison_id: int = 0

    @property
    def factory(self) -> Any:
        return self.app.state.session_factory

    def worker(self, **kwargs: Any) -> Worker:
        return Worker(self.settings, self.factory, **kwargs)


def token_headers(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


USERS = (
    ("officer", Role.OFFICER, ()),
    ("finance", Role.FINANCE, ()),
    ("school1", Role.SCHOOL, ("S1",)),
    ("school2", Role.SCHOOL, ("S2",)),
)


def add_users(world: World) -> None:
    for username, role, schools in USERS:
        add_user(
            username,
            role.value,
            password=PASSWORD,
            school_ids=schools,
            session_factory=world.factory,
        )
        world.headers[username] = token_headers(world.client, username)
    add_user("robot", "officer", password=PASSWORD, session_factory=world.factory)
    world.api_key = create_api_key("robot", "ci", session_factory=world.factory)


def upload_tiny(client: TestClient, headers: dict[str, str], files: dict[str, bytes]) -> int:
    response = client.post(
        "/api/v1/scenarios",
        data={"name": "tiny"},
        files=[("files", (name, content, "text/csv")) for name, content in files.items()],
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def solve_world(world: World, files: dict[str, bytes]) -> None:
    world.scenario_id = upload_tiny(world.client, world.headers["officer"], files)
    response = world.client.post(
        f"/api/v1/scenarios/{world.scenario_id}/plans",
        json={"run": "both", "time_limit_s": 1},
        headers=world.headers["officer"],
    )
    assert response.status_code == 202, response.text
    world.job_id = response.json()["job_id"]
    assert world.worker().run_once()
    job = world.client.get(f"/api/v1/jobs/{world.job_id}", headers=world.headers["officer"])
    assert job.json()["state"] == "succeeded", job.text
    world.plan_id = int(job.json()["plan_id"])
    publish_plan(world.client, world.headers["officer"], world.plan_id)
    plan = world.client.get(f"/api/v1/plans/{world.plan_id}", headers=world.headers["officer"])
    world.route_id = plan.json()["routes"][0]["route_id"]
    compare_world(world)


def publish_plan(client: TestClient, headers: dict[str, str], plan_id: int) -> None:
    """Approve and publish a plan as an officer, so that its schools see its times."""
    for step, status in (("approve", "approved"), ("publish", "published")):
        response = client.post(f"/api/v1/plans/{plan_id}/{step}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status


# A variant every tiny plan can take; the comparison plans the baseline and it (AM only).
WORLD_VARIANT = "nomix=mixed_schools=false"


def compare_world(world: World) -> None:
    """Run a real comparison job (baseline + one variant, 1 s a plan) through the worker."""
    response = world.client.post(
        f"/api/v1/scenarios/{world.scenario_id}/comparisons",
        json={"variants": [WORLD_VARIANT], "run": "AM", "time_limit_s": 1},
        headers=world.headers["finance"],
    )
    assert response.status_code == 202, response.text
    world.comparison_job_id = response.json()["job_id"]
    assert world.worker().run_once()
    job = world.client.get(
        f"/api/v1/jobs/{world.comparison_job_id}", headers=world.headers["finance"]
    )
    assert job.json()["state"] == "succeeded", job.text
    world.comparison_id = int(job.json()["comparison_id"])


def fresh_app(tmp_path: Path, **overrides: Any) -> tuple[FastAPI, Settings]:
    url = overrides.pop("database_url", None) or f"sqlite:///{tmp_path / 'schoolrun.db'}"
    settings = make_settings(url, tmp_path, **overrides)
    return create_app(settings), settings
