"""Retention: with an injected clock every record past its period is deleted, the audit
chain still verifies, a rerun is a no-op, `schoolrun purge` and the worker run it."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from api_support import PERIODS, World, solve_world
from sqlalchemy import func, inspect, select, text

from api import audit
from api.config import get_settings
from api.models import (
    AuditRow,
    ComparisonRow,
    JobRow,
    PlanRow,
    PupilRow,
    ScenarioRow,
    SignInFailureRow,
    SignInSessionRow,
    utc_now,
)
from api.retention import RetentionPeriods, purge
from routing.cli import main as schoolrun


def counts(world: World) -> dict[str, int]:
    with world.factory() as session:
        tables = inspect(session.get_bind()).get_table_names()
        return {
            t: int(session.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0)
            for t in sorted(tables)
            if t != "alembic_version"
        }


def count(world: World, model: type) -> int:
    with world.factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def two_versions(fresh_any: World, tiny_files: dict[str, bytes]) -> World:
    """Scenario 'tiny' loaded twice (the first superseded), each planned and compared,
    a failed sign-in and a revoked sign-in session."""
    solve_world(fresh_any, tiny_files)
    solve_world(fresh_any, tiny_files)
    assert (
        fresh_any.client.post(
            "/api/v1/token", data={"username": "finance", "password": "wrong password!"}
        ).status_code
        == 401
    )
    login = fresh_any.client.post(
        "/api/v1/token", data={"username": "officer", "password": "correct horse battery staple"}
    ).json()
    fresh_any.client.post("/api/v1/token/revoke", data={"token": login["refresh_token"]})
    return fresh_any


def test_every_record_past_its_period_goes_and_a_rerun_is_a_no_op(two_versions: World) -> None:
    w = two_versions
    now = utc_now()
    assert count(w, ScenarioRow) == 2
    # Tomorrow nothing is old enough (sessions expire in 12 h: 30 days later they go).
    assert purge(w.factory, PERIODS, now + timedelta(days=1)).total == 0
    # 100 days on: jobs (90 d) and ended sign-ins (30 d) go; plans and scenarios stay.
    report = purge(w.factory, PERIODS, now + timedelta(days=100))
    assert report.deleted["jobs"] == 4 and report.deleted["sign_ins"] >= 2
    assert count(w, JobRow) == count(w, SignInFailureRow) == 0
    assert count(w, SignInSessionRow) == 0  # every session had ended by then
    assert count(w, PlanRow) == 2
    # 400 days on: the superseded scenario goes with its pupils, plan and comparison.
    report = purge(w.factory, PERIODS, now + timedelta(days=400))
    assert report.deleted["superseded_scenarios"] == 1
    with w.factory() as session:
        remaining = list(session.scalars(select(ScenarioRow.id)))
        assert remaining == [w.scenario_id]  # the newest of the name stays
        assert set(session.scalars(select(PupilRow.scenario_id))) == {w.scenario_id}
    assert count(w, PlanRow) == count(w, ComparisonRow) == 1
    # 800 days on: the remaining plan and comparison go; the current scenario stays.
    purge(w.factory, PERIODS, now + timedelta(days=800))
    assert count(w, PlanRow) == count(w, ComparisonRow) == 0
    assert count(w, ScenarioRow) == 1 and count(w, PupilRow) == 6
    # 7 years on: the audit rows go, leaving the purge record; the chain still verifies.
    before = count(w, AuditRow)
    report = purge(w.factory, PERIODS, now + timedelta(days=7 * 365))
    assert report.deleted["audit"] == before
    assert audit.verify(w.factory).is_intact
    assert count(w, AuditRow) == 1
    # A rerun at the same time changes nothing.
    snapshot = counts(w)
    assert purge(w.factory, PERIODS, now + timedelta(days=7 * 365)).total == 0
    assert counts(w) == snapshot


def test_the_purge_command_uses_the_settings(
    fresh: World,
    tiny_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    solve_world(fresh, tiny_files)
    monkeypatch.setenv("SCHOOLRUN_DATABASE_URL", fresh.settings.database_url)
    monkeypatch.setenv("SCHOOLRUN_RETENTION_JOB_DAYS", "0")
    get_settings.cache_clear()
    try:
        as_of = (utc_now() + timedelta(minutes=1)).isoformat()
        assert schoolrun(["purge", "--as-of", as_of]) == 0
    finally:
        get_settings.cache_clear()
    assert "jobs: 2 rows deleted" in capsys.readouterr().out
    assert count(fresh, JobRow) == 0
    assert count(fresh, PlanRow) == 1


def test_the_worker_purges_periodically(fresh: World, tiny_files: dict[str, bytes]) -> None:
    solve_world(fresh, tiny_files)
    worker = fresh.worker()
    worker.retention.clock = lambda: utc_now() + timedelta(days=100)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if worker.retention.last_report is not None:
                break
            worker.stop_event.wait(0.05)
    finally:
        worker.stop_event.set()
        thread.join(timeout=10)
    assert worker.retention.last_report is not None
    assert worker.retention.last_report.deleted["jobs"] == 2
    assert count(fresh, JobRow) == 0
    # and not again until the interval has passed
    assert worker.retention.run_if_due() is None


def test_settings_name_a_period_per_kind(tmp_path: Path) -> None:
    from api.config import Settings

    periods = RetentionPeriods.from_settings(Settings(state_dir=tmp_path))
    assert periods.superseded_scenario_days > 0 and periods.audit_days >= 6 * 365
