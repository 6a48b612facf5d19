"""Fixtures for the service tests (helpers live in api_support.py).

The PostgreSQL tests skip, saying why, only when no server answers at 127.0.0.1:5432
(or ``SCHOOLRUN_TEST_PG_URL``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from api_support import (
    PG_ADMIN_URL,
    World,
    _pg_admin,
    add_users,
    create_pg_database,
    drop_pg_database,
    make_settings,
    solve_world,
    tiny_scenario,
)
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api import auth
from api.main import create_app
from routing.dataset import write_scenario


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 still, with test-sized cost: the default costs over a second a hash on this
    shared machine, and every fixture signs users in."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "password_hash", cheap)
        mp.setattr(auth, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
        yield


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The tiny scenario as the files of a scenario folder (what an upload sends)."""
    folder = tmp_path_factory.mktemp("tiny")
    write_scenario(tiny_scenario(), folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL server, or skip saying why."""

    try:
        with _pg_admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {err}".splitlines()[0])
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    url = create_pg_database(pg_server)
    yield url
    drop_pg_database(url)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_files: dict[str, bytes],
) -> Iterator[World]:
    """One solved world per backend, shared by the read-only flow tests."""
    state = tmp_path_factory.mktemp(f"world-{request.param}")
    pg = None
    if request.param == "postgres":
        pg = create_pg_database(request.getfixturevalue("pg_server"))
        url = pg
    else:
        url = f"sqlite:///{state / 'schoolrun.db'}"
    settings = make_settings(url, state)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            w = World(backend=request.param, app=app, client=client, settings=settings)
            add_users(w)
            solve_world(w, tiny_files)
            yield w
    finally:
        if pg is not None:
            drop_pg_database(pg)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """An empty app on its own SQLite file, with users (for tests that change state)."""
    settings = make_settings(f"sqlite:///{tmp_path / 'schoolrun.db'}", tmp_path)
    app = create_app(settings)
    with TestClient(app) as client:
        w = World(backend="sqlite", app=app, client=client, settings=settings)
        add_users(w)
        yield w


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_any(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Like ``fresh``, on SQLite and on a throwaway PostgreSQL database."""
    pg = None
    if request.param == "postgres":
        pg = create_pg_database(request.getfixturevalue("pg_server"))
    url = pg or f"sqlite:///{tmp_path / 'schoolrun.db'}"
    settings = make_settings(url, tmp_path)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            w = World(backend=request.param, app=app, client=client, settings=settings)
            add_users(w)
            yield w
    finally:
        if pg is not None:
            drop_pg_database(pg)
