"""The audit log is hash-chained, `schoolrun audit verify` finds any changed or missing
row, and on PostgreSQL the application role cannot UPDATE or DELETE audit rows."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from alembic import command
from api_support import PASSWORD, PERIODS, World, _pg_admin, make_settings, token_headers
from fastapi.testclient import TestClient
from sqlalchemy import delete, text, update

from api import audit
from api.config import get_settings, normalise_database_url
from api.db import make_engine, make_session_factory
from api.db_roles import grant_app_role
from api.main import create_app
from api.migrate import alembic_config, upgrade_to_head
from api.models import AuditRow, utc_now
from api.retention import purge
from api.users import add_user
from routing.cli import main as schoolrun


def _append(world: World, n: int) -> None:
    for i in range(n):
        with world.factory() as session, session.begin():
            audit.append(
                session,
                user_id=1,
                username="officer",
                role="officer",
                action="plan.read",
                resource=f"plan:{i}",
                detail={"num_routes": i},
            )


def _cli_verify(url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SCHOOLRUN_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return schoolrun(["audit", "verify"])
    finally:
        get_settings.cache_clear()


def test_each_row_carries_the_hash_of_the_one_before(fresh_any: World) -> None:
    response = fresh_any.client.get("/api/v1/me", headers=fresh_any.headers["officer"])
    assert response.status_code == 200
    _append(fresh_any, 3)
    with fresh_any.factory() as session:
        rows = list(session.query(AuditRow).order_by(AuditRow.id))
    assert len(rows) >= 3
    assert rows[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    report = audit.verify(fresh_any.factory)
    assert report.is_intact, report.problems
    assert report.head_hash == rows[-1].row_hash


@pytest.mark.parametrize(
    ("change", "words"),
    [
        # a field rewritten: that row's hash no longer matches
        (lambda ids: update(AuditRow).where(AuditRow.id == ids[2]).values(username="x"), "changed"),
        # a detail rewritten
        (
            lambda ids: update(AuditRow).where(AuditRow.id == ids[1]).values(detail={"n": 0}),
            "changed",
        ),
        # a row removed from the middle: the next row's link breaks
        (lambda ids: delete(AuditRow).where(AuditRow.id == ids[2]), "missing"),
        # the first row removed: the chain no longer starts at the genesis
        (lambda ids: delete(AuditRow).where(AuditRow.id == ids[0]), "missing"),
    ],
)
def test_verify_finds_a_changed_or_missing_row(
    fresh_any: World, monkeypatch: pytest.MonkeyPatch, change: object, words: str
) -> None:
    _append(fresh_any, 5)
    url = fresh_any.settings.database_url
    assert _cli_verify(url, monkeypatch) == 0
    with fresh_any.factory() as session:
        ids = list(session.scalars(text("SELECT id FROM audit_log ORDER BY id")))
    with fresh_any.factory() as session, session.begin():
        session.execute(change(ids))  # type: ignore[operator]
    report = audit.verify(fresh_any.factory)
    assert not report.is_intact
    assert any(words in p for p in report.problems), report.problems
    assert _cli_verify(url, monkeypatch) == 1


# The advisory lock is PostgreSQL's; SQLite's BEGIN IMMEDIATE serialises writers itself.
@pytest.mark.postgres
@pytest.mark.parametrize("fresh_any", ["postgres"], indirect=True)
def test_concurrent_appends_keep_one_chain_on_postgres(fresh_any: World) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _append(fresh_any, 15)
        except BaseException as err:  # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify(fresh_any.factory)
    assert report.num_rows >= 60
    assert report.is_intact, report.problems[:3]


def test_the_migration_chains_rows_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, user_id, username, role, action, resource,"
                    " request_id, detail) VALUES (:at, 1, 'o', 'officer', 'plan.read',"
                    " :res, 'r', '{\"n\": 1}')"
                ),
                {"at": f"2026-11-0{i + 1} 10:00:00.123456", "res": f"plan:{i}"},
            )
    upgrade_to_head(engine)
    report = audit.verify(make_session_factory(engine))
    engine.dispose()
    assert report.num_rows == 3
    assert report.is_intact, report.problems


# --------------------------------------------------------------------------- roles


@pytest.fixture
def owner_and_app_roles(pg_server: str) -> Iterator[tuple[str, str, str]]:
    """A database owned by a fresh owner role, a fresh app role; dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    owner, app_role, db = f"sr_owner_{suffix}", f"sr_app_{suffix}", f"schoolrun_roles_{suffix}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'CREATE ROLE "{app_role}" LOGIN')
        conn.execute(f'CREATE DATABASE "{db}" OWNER "{owner}"')
    base = pg_server.rsplit("/", 1)[0].split("//", 1)[1].split("@", 1)[-1]
    try:
        yield f"postgresql://{owner}@{base}/{db}", f"postgresql://{app_role}@{base}/{db}", app_role
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{app_role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')


@pytest.mark.postgres
def test_the_application_role_cannot_update_or_delete_audit_rows(
    owner_and_app_roles: tuple[str, str, str], tmp_path: Path
) -> None:
    owner_url, app_url, app_role = owner_and_app_roles
    owner_engine = make_engine(normalise_database_url(owner_url))
    upgrade_to_head(owner_engine)
    grant_app_role(owner_engine, app_role)
    add_user(
        "officer", "officer", password=PASSWORD, session_factory=make_session_factory(owner_engine)
    )
    # The service runs as the application role: it signs in, reads, and audits.
    app = create_app(make_settings(normalise_database_url(app_url), tmp_path))
    with TestClient(app) as client:
        headers = token_headers(client, "officer")
        assert client.get("/api/v1/scenarios", headers=headers).status_code == 200
        with app.state.session_factory() as session, session.begin():
            audit.append(session, user_id=1, username="officer", role="officer",
                         action="plan.read", resource="plan:1")  # fmt: skip
        assert client.get("/api/v1/audit", headers=headers).status_code == 200
    with psycopg.connect(app_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= 1  # type: ignore[index]
        for statement in (
            "UPDATE audit_log SET username = 'someone else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # Everything else the service does still works for it.
        conn.execute("UPDATE users SET is_demo = false")
    # The worker's periodic purge, as the application role, leaves the audit to the owner.
    later = utc_now() + timedelta(days=7 * 365)
    app_engine = make_engine(normalise_database_url(app_url))
    report = purge(make_session_factory(app_engine), PERIODS, later)
    app_engine.dispose()
    assert "audit" in report.skipped and report.deleted["sign_ins"] >= 1
    # The owner can (retention of the audit runs as the owner).
    report = purge(make_session_factory(owner_engine), PERIODS, later)
    assert report.deleted["audit"] >= 1
    assert audit.verify(make_session_factory(owner_engine)).is_intact
    owner_engine.dispose()
