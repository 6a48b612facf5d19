"""The Alembic migrations build exactly the tables the models describe, on SQLite and
PostgreSQL, and /ready says when the schema is behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from api_support import fresh_app
from fastapi.testclient import TestClient

from api.db import make_engine
from api.migrate import alembic_config, is_at_head, upgrade_to_head
from api.models import Base


def schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        assert is_at_head(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    assert schema_diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(pg_url: str) -> None:
    from api.config import normalise_database_url

    assert schema_diff(normalise_database_url(pg_url)) == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    config = alembic_config(url)
    command.downgrade(config, "base")
    assert not is_at_head(engine)
    upgrade_to_head(engine)
    assert is_at_head(engine)
    engine.dispose()


def test_ready_is_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    app, settings = fresh_app(tmp_path)
    with TestClient(app) as client:
        assert client.get("/ready").status_code == 200
        command.downgrade(alembic_config(settings.database_url), "0001")
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["schema_at_head"] is False


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_processes_starting_together_migrate_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    import threading

    url = (
        request.getfixturevalue("pg_url")
        if backend == "postgres"
        else f"sqlite:///{tmp_path / 'm.db'}"
    )
    from api.config import normalise_database_url

    url = normalise_database_url(url)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            upgrade_to_head(engine)
        except BaseException as err:  # collected and asserted below
            errors.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert schema_diff(url) == []


def test_plans_written_before_the_lifecycle_become_drafts(tmp_path: Path) -> None:
    """Migration 0008: no existing plan was signed off, so none reaches schools."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0007")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO scenarios (id, name, policy, network, incompatible_pairs, "
                "current_routes, num_pupils, num_schools, created_at) "
                "VALUES (1, 'old', '{}', '{}', '[]', '[]', 0, 0, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text(
            "INSERT INTO plans (id, scenario_id, scenario_name, runs, travel_model, "
            "solve_seconds, objective, notes, summary, school_ids, created_at) "
            "VALUES (1, 1, 'old', '[]', 'm', 1.0, 0, '[]', '{}', '[]', '2026-01-01 00:00:00')"
        ))  # fmt: skip
    upgrade_to_head(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, approved_by, published_at FROM plans")).one()
    engine.dispose()
    assert tuple(row) == ("draft", None, None)
