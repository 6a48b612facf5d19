"""Solve jobs: 202 + job id, Idempotency-Key, limits, and the lease protocol that makes a
job run to exactly one plan even when workers die or overlap (fake solves, no solver)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_support import World, add_users, fresh_app, upload_tiny
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from api import jobs
from api.config import Settings
from api.models import JobRow, PlanRow, PlanTripRow
from api.worker import SolveOutcome
from routing.errors import NoSolutionError
from routing.model import Plan, Route, Run, Scenario, SolveParams, SolveProgress, Stop, StopKind


def plan_url(scenario_id: int) -> str:
    return f"/api/v1/scenarios/{scenario_id}/plans"


@pytest.fixture
def scenario_id(fresh: World, tiny_files: dict[str, bytes]) -> int:
    return upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)


@pytest.fixture
def any_world(fresh_any: World, tiny_files: dict[str, bytes]) -> World:
    """SQLite and PostgreSQL: the lease protocol must hold on both."""
    fresh_any.scenario_id = upload_tiny(fresh_any.client, fresh_any.headers["officer"], tiny_files)
    return fresh_any


def one_route_plan(scenario: Scenario) -> Plan:
    """A hand-made AM plan carrying the first pupil (what a fake solve returns)."""
    pupil = scenario.pupils[0]
    school = scenario.school(pupil.school_id)
    stops = (
        Stop(StopKind.PICKUP, (pupil.pupil_id,), f"pupil:{pupil.pupil_id}", pupil.lon,
             pupil.lat, 30000, 30000, 30060),
        Stop(StopKind.DROPOFF, (pupil.pupil_id,), f"school:{school.school_id}", school.lon,
             school.lat, 31000, 31000, 31030, school.school_id),
    )  # fmt: skip
    route = Route("AM-1", Run.AM, "taxi", 4, 0, False, stops, 4000, 1030, 5200)
    return Plan(scenario.name, (route,), (), "fake travel model")


def fake_solve(
    scenario: Scenario,
    source_dir: Path | None,
    params: SolveParams,
    runs: tuple[Run, ...],
    progress: Any,
    settings: Settings,
) -> SolveOutcome:
    progress(SolveProgress(Run.AM, 1, 1, 0.1, best_cost_pence=5200, message="AM done"))
    return SolveOutcome(plan=one_route_plan(scenario), comparison={"fake": True})


def count_plans(world: World, job_id: str) -> int:
    with world.factory() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(PlanRow).where(PlanRow.job_id == job_id)
            )
            or 0
        )


def job_row(world: World, job_id: str) -> JobRow:
    with world.factory() as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return job


# --------------------------------------------------------------------------- submit


def test_submit_answers_202_with_a_queued_job_and_its_location(
    fresh: World, scenario_id: int
) -> None:
    response = fresh.client.post(
        plan_url(scenario_id),
        json={"run": "AM", "time_limit_s": 1},
        headers=fresh.headers["officer"],
    )
    assert response.status_code == 202
    job = response.json()
    assert job["state"] == "queued" and job["plan_id"] is None
    assert response.headers["location"] == f"/api/v1/jobs/{job['job_id']}"
    read = fresh.client.get(response.headers["location"], headers=fresh.headers["finance"])
    assert read.json()["state"] == "queued"


def test_same_idempotency_key_returns_the_same_job(fresh: World, scenario_id: int) -> None:
    headers = {**fresh.headers["officer"], "Idempotency-Key": "retry-1"}
    body = {"run": "AM", "time_limit_s": 1}
    first = fresh.client.post(plan_url(scenario_id), json=body, headers=headers)
    again = fresh.client.post(plan_url(scenario_id), json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    with fresh.factory() as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == 1
    # Another user's identical key is their own job.
    other = fresh.client.post(
        plan_url(scenario_id),
        json=body,
        headers={**fresh.headers["finance"], "Idempotency-Key": "retry-1"},
    )
    assert other.json()["job_id"] != first.json()["job_id"]


def test_idempotency_key_reused_for_a_different_request_is_422(
    fresh: World, scenario_id: int
) -> None:
    headers = {**fresh.headers["officer"], "Idempotency-Key": "k"}
    fresh.client.post(plan_url(scenario_id), json={"time_limit_s": 1}, headers=headers)
    response = fresh.client.post(plan_url(scenario_id), json={"time_limit_s": 2}, headers=headers)
    assert response.status_code == 422
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_retried_submission_after_success_returns_the_finished_job(
    fresh: World, scenario_id: int
) -> None:
    headers = {**fresh.headers["officer"], "Idempotency-Key": "done-1"}
    body = {"run": "AM", "time_limit_s": 1}
    job_id = fresh.client.post(plan_url(scenario_id), json=body, headers=headers).json()["job_id"]
    assert fresh.worker(solve=fake_solve).run_once()
    again = fresh.client.post(plan_url(scenario_id), json=body, headers=headers).json()
    assert again["job_id"] == job_id and again["state"] == "succeeded"
    assert again["plan_id"] is not None
    assert count_plans(fresh, job_id) == 1


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"time_limit_s": 6}, "time_limit_too_long", "limit of 5 s"),  # max_time_limit_s 5
        ({"time_limit_s": 1, "policy_overrides": {"warp_speed": 9}}, "invalid_scenario",
         "warp_speed"),  # unknown policy field
        ({"time_limit_s": 1, "policy_overrides": {"school_days_per_year": 0}},
         "invalid_scenario", "school_days"),  # the domain's own range check
        ({"time_limit_s": 1, "run": "noon"}, "invalid_request", "run"),  # not AM/PM/both
        ({"time_limit_s": 0}, "invalid_request", "time_limit_s"),  # must be > 0
    ],
)  # fmt: skip
def test_bad_plan_requests_get_422_naming_the_problem(
    fresh: World, scenario_id: int, body: dict[str, Any], code: str, words: str
) -> None:
    response = fresh.client.post(plan_url(scenario_id), json=body, headers=fresh.headers["officer"])
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert words in response.json()["message"]


@pytest.fixture
def strict(tmp_path: Path, tiny_files: dict[str, bytes]) -> Iterator[World]:
    app, settings = fresh_app(tmp_path, max_pupils_per_solve=5, max_concurrent_solves_per_user=2)
    with TestClient(app) as client:
        world = World(backend="sqlite", app=app, client=client, settings=settings)
        add_users(world)
        world.scenario_id = upload_tiny(client, world.headers["officer"], tiny_files)
        yield world


def test_scenario_over_the_pupil_limit_gets_422(strict: World) -> None:
    response = strict.client.post(
        plan_url(strict.scenario_id), json={"time_limit_s": 1}, headers=strict.headers["officer"]
    )
    assert response.status_code == 422
    assert response.json()["code"] == "too_many_pupils"
    assert (
        "6 pupils" in response.json()["message"]
        and "limit per solve is 5" in response.json()["message"]
    )


def test_third_concurrent_solve_gets_429_but_a_retry_still_answers(
    fresh: World, scenario_id: int
) -> None:
    headers = fresh.headers["officer"]
    for key in ("a", "b"):
        response = fresh.client.post(
            plan_url(scenario_id),
            json={"time_limit_s": 1},
            headers={**headers, "Idempotency-Key": key},
        )
        assert response.status_code == 202
    third = fresh.client.post(plan_url(scenario_id), json={"time_limit_s": 1}, headers=headers)
    assert third.status_code == 429
    assert third.json()["code"] == "too_many_solves"
    assert "limit is 2" in third.json()["message"]
    assert third.headers["retry-after"]
    retry = fresh.client.post(
        plan_url(scenario_id), json={"time_limit_s": 1}, headers={**headers, "Idempotency-Key": "a"}
    )
    assert retry.status_code == 202
    # Finishing one frees a slot.
    assert fresh.worker(solve=fake_solve).run_once()
    assert (
        fresh.client.post(
            plan_url(scenario_id), json={"time_limit_s": 1}, headers=headers
        ).status_code
        == 202
    )


def test_unknown_job_is_404(fresh: World) -> None:
    response = fresh.client.get("/api/v1/jobs/no-such-job", headers=fresh.headers["officer"])
    assert response.status_code == 404


# --------------------------------------------------------------------------- leases


def submit(world: World, scenario_id: int) -> str:
    response = world.client.post(
        plan_url(scenario_id),
        json={"run": "AM", "time_limit_s": 1},
        headers=world.headers["officer"],
    )
    return str(response.json()["job_id"])


def test_a_claimed_job_is_not_claimed_by_a_second_worker(any_world: World) -> None:
    job_id = submit(any_world, any_world.scenario_id)
    first = jobs.claim_next(any_world.factory, "w1", lease_s=60, max_attempts=3)
    second = jobs.claim_next(any_world.factory, "w2", lease_s=60, max_attempts=3)
    assert first is not None and first.id == job_id and first.lease_owner == "w1"
    assert second is None


def test_concurrent_claims_give_the_job_to_exactly_one_worker(any_world: World) -> None:
    submit(any_world, any_world.scenario_id)
    barrier = threading.Barrier(4)
    won: list[str] = []

    def claim(name: str) -> None:
        barrier.wait()
        if jobs.claim_next(any_world.factory, name, lease_s=60, max_attempts=3) is not None:
            won.append(name)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def expire_lease(world: World, job_id: str) -> None:
    with world.factory() as session, session.begin():
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_expired_lease_is_taken_over_and_the_late_worker_writes_nothing(any_world: World) -> None:
    job_id = submit(any_world, any_world.scenario_id)
    dead = jobs.claim_next(any_world.factory, "dead", lease_s=60, max_attempts=3)
    assert dead is not None
    expire_lease(any_world, job_id)
    assert any_world.worker(worker_id="alive", solve=fake_solve).run_once()
    job = job_row(any_world, job_id)
    assert (job.state, job.attempts, job.lease_owner) == ("succeeded", 2, None)
    # The first worker wakes up and tries to finish: its lease is gone, nothing is written.
    with any_world.factory() as session, pytest.raises(jobs.LeaseLostError), session.begin():
        jobs.finish_with_plan(session, job_id, "dead")
    assert count_plans(any_world, job_id) == 1


def test_the_database_refuses_a_second_plan_for_one_job(any_world: World) -> None:
    job_id = submit(any_world, any_world.scenario_id)
    assert any_world.worker(solve=fake_solve).run_once()
    with any_world.factory() as session, pytest.raises(IntegrityError), session.begin():
        session.add(
            PlanRow(
                job_id=job_id,
                scenario_id=any_world.scenario_id,
                scenario_name="x",
                runs=[],
                travel_model="",
                solve_seconds=0,
                objective=0,
                notes=[],
                summary={},
                school_ids=[],
            )
        )
    assert count_plans(any_world, job_id) == 1


def test_job_whose_workers_keep_dying_fails_after_max_attempts(any_world: World) -> None:
    job_id = submit(any_world, any_world.scenario_id)
    for attempt in range(any_world.settings.max_job_attempts):
        assert jobs.claim_next(any_world.factory, f"w{attempt}", lease_s=60, max_attempts=3)
        expire_lease(any_world, job_id)
    assert jobs.claim_next(any_world.factory, "last", lease_s=60, max_attempts=3) is None
    job = job_row(any_world, job_id)
    assert (job.state, job.error_code) == ("failed", "worker_lost")


def test_domain_error_fails_the_job_with_its_code_and_message(
    fresh: World, scenario_id: int
) -> None:
    def no_solution(*_args: Any) -> SolveOutcome:
        msg = "No plan at all: every vehicle type is unavailable."
        raise NoSolutionError(msg)

    job_id = submit(fresh, scenario_id)
    assert fresh.worker(solve=no_solution).run_once()
    body = fresh.client.get(f"/api/v1/jobs/{job_id}", headers=fresh.headers["officer"]).json()
    assert (body["state"], body["error_code"]) == ("failed", "no_solution")
    assert "every vehicle type" in body["error"]
    assert count_plans(fresh, job_id) == 0


def test_unexpected_error_fails_the_job_without_internals(
    fresh: World, scenario_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*_args: Any) -> SolveOutcome:
        raise RuntimeError("secret internal detail")

    job_id = submit(fresh, scenario_id)
    assert fresh.worker(solve=crash).run_once()
    body = fresh.client.get(f"/api/v1/jobs/{job_id}", headers=fresh.headers["officer"]).json()
    assert (body["state"], body["error_code"]) == ("failed", "internal_error")
    assert "secret" not in body["error"]
    assert "secret internal detail" in caplog.text  # but the log has it


def test_heartbeat_stores_progress_and_best_cost_while_solving(
    fresh: World, scenario_id: int
) -> None:
    job_id = submit(fresh, scenario_id)
    seen = threading.Event()
    snapshots: list[dict[str, Any]] = []

    def watched_solve(scenario: Scenario, *args: Any) -> SolveOutcome:
        progress = args[3]
        progress(SolveProgress(Run.AM, 1, 2, 0.5, best_cost_pence=7000, message="1 of 2"))
        # Wait (bounded) until the heartbeat thread has written it to the database.
        for _ in range(200):
            job = job_row(fresh, job_id)
            if job.best_cost_pence == 7000:
                snapshots.append(dict(job.progress or {}))
                seen.set()
                break
            seen.wait(0.05)
        return SolveOutcome(plan=one_route_plan(scenario), comparison=None)

    assert fresh.worker(solve=watched_solve).run_once()
    assert seen.is_set()
    assert snapshots[0]["parts_done"] == 1 and snapshots[0]["parts_total"] == 2
    with fresh.factory() as session:
        trips = list(session.scalars(select(PlanTripRow)))
    assert [(t.run, t.school_id, t.display_name) for t in trips] == [("AM", "S1", "Amira K.")]


def test_job_progress_says_rides_over_45_minutes_of_the_best_plan_so_far(
    fresh: World, scenario_id: int
) -> None:
    job_id = submit(fresh, scenario_id)
    seen = threading.Event()
    bodies: list[dict[str, Any]] = []

    def watched_solve(scenario: Scenario, *args: Any) -> SolveOutcome:
        progress = args[3]
        progress(SolveProgress(Run.AM, 2, 2, 0.5, best_cost_pence=7000, rides_over_45_min=4))
        # The PM run in hand: its rides are added to the finished AM run's.
        progress(SolveProgress(Run.PM, 1, 2, 0.9, best_cost_pence=3000, rides_over_45_min=2))
        for _ in range(200):
            if job_row(fresh, job_id).best_cost_pence == 10_000:
                url = f"/api/v1/jobs/{job_id}"
                bodies.append(fresh.client.get(url, headers=fresh.headers["officer"]).json())
                seen.set()
                break
            seen.wait(0.05)
        return SolveOutcome(plan=one_route_plan(scenario), comparison=None)

    assert fresh.worker(solve=watched_solve).run_once()
    assert seen.is_set()
    assert bodies[0]["best_cost_pence"] == 10_000
    assert bodies[0]["progress"]["rides_over_45_min"] == 6
    done = fresh.client.get(f"/api/v1/jobs/{job_id}", headers=fresh.headers["officer"]).json()
    # Done: the stored plan's own count (its one ride is 17 minutes).
    assert (done["progress"]["phase"], done["progress"]["rides_over_45_min"]) == ("done", 0)
