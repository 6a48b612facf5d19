"""Backups: `schoolrun backup` then `schoolrun restore` into a fresh database (the
restore drill) gives back every table with the same row count and checksum, on SQLite
and PostgreSQL, and the restored service serves the same plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import World, create_pg_database, drop_pg_database, make_settings, solve_world
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import audit
from api.backups import backup, fingerprints, read_manifest, restore
from api.config import get_settings, normalise_database_url
from api.db import make_engine, make_session_factory
from api.main import create_app
from routing.cli import main as schoolrun


def _cli(url: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SCHOOLRUN_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return schoolrun(argv)
    finally:
        get_settings.cache_clear()


def test_the_restore_drill_gives_back_every_table(
    fresh_any: World,
    tiny_files: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    w = fresh_any
    solve_world(w, tiny_files)
    plan_before = w.client.get(f"/api/v1/plans/{w.plan_id}", headers=w.headers["officer"]).json()
    out = tmp_path / "backups" / "schoolrun.backup"
    assert _cli(w.settings.database_url, ["backup", str(out)], monkeypatch) == 0
    manifest = read_manifest(out)
    with w.app.state.engine.connect() as conn:
        live = fingerprints(conn)
    assert manifest == live
    assert manifest["pupils"].num_rows == 6 and manifest["plan_trips"].num_rows > 0
    assert manifest["audit_log"].num_rows > 0

    if w.backend == "postgres":
        target = normalise_database_url(create_pg_database(request.getfixturevalue("pg_server")))
        request.addfinalizer(lambda: drop_pg_database(target))
    else:
        target = f"sqlite:///{tmp_path / 'restored' / 'schoolrun.db'}"
    assert _cli(target, ["restore", str(out)], monkeypatch) == 0
    # A second restore over the restored database is refused without --replace.
    assert _cli(target, ["restore", str(out)], monkeypatch) == 2

    engine = make_engine(target)
    with engine.connect() as conn:
        assert fingerprints(conn) == manifest
    assert audit.verify(make_session_factory(engine)).is_intact
    # The restored service answers with the same plan.
    app = create_app(make_settings(target, tmp_path / "restored-state"))
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/token",
            data={"username": "officer", "password": "correct horse battery staple"},
        ).json()["access_token"]
        plan_after = client.get(
            f"/api/v1/plans/{w.plan_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert plan_after == plan_before
    engine.dispose()


def test_a_changed_restored_row_is_caught_by_the_checksum(fresh: World, tmp_path: Path) -> None:
    out = tmp_path / "b.db"
    backup(fresh.app.state.engine, out)
    target = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    assert restore(target, out) == []
    with target.begin() as conn:
        conn.execute(text("UPDATE users SET is_demo = 1 WHERE username = 'finance'"))
    # Restoring again over it (replace) puts the backup's row back and matches.
    assert restore(target, out, replace=True) == []
    manifest = read_manifest(out)
    with target.begin() as conn:
        conn.execute(text("DELETE FROM api_keys"))
        assert fingerprints(conn)["api_keys"] != manifest["api_keys"]
    target.dispose()
