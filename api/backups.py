"""Backups and restores: SQLite through its online backup API, PostgreSQL through
pg_dump / pg_restore, each with a manifest of every table's row count and checksum.

The manifest (``BACKUP.manifest.json``) holds the fingerprints of exactly what the
backup holds: for SQLite they are read from the copy; for PostgreSQL from the live
database inside the REPEATABLE READ transaction whose snapshot pg_dump is given
(``--snapshot``). ``restore`` refuses a database that already holds tables unless told
to replace them, and compares the restored tables with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, select, text

from api.models import Base

MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True, slots=True)
class TableFingerprint:
    """A table's row count and the SHA-256 of its rows in primary-key order."""

    num_rows: int
    sha256: str


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    return value


def fingerprints(conn: Connection) -> dict[str, TableFingerprint]:
    """Every application table's fingerprint, read through ``conn`` (one snapshot)."""
    out = {}
    present = set(inspect(conn).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in present:
            continue
        digest = hashlib.sha256()
        num = 0
        query = select(table).order_by(*table.primary_key.columns)
        for row in conn.execute(query):
            values = [_canonical(v) for v in row]
            digest.update(json.dumps(values, sort_keys=True, default=str).encode())
            digest.update(b"\n")
            num += 1
        out[table.name] = TableFingerprint(num, digest.hexdigest())
    if "alembic_version" in present:
        versions = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        out["alembic_version"] = TableFingerprint(
            len(versions), hashlib.sha256(json.dumps(versions).encode()).hexdigest()
        )
    return out


def _write_manifest(path: Path, prints: dict[str, TableFingerprint], backend: str) -> Path:
    manifest = Path(f"{path}{MANIFEST_SUFFIX}")
    body = {
        "backend": backend,
        "tables": {k: {"num_rows": v.num_rows, "sha256": v.sha256} for k, v in prints.items()},
    }
    manifest.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(path: Path) -> dict[str, TableFingerprint]:
    """The fingerprints a backup's manifest recorded."""
    body = json.loads(Path(f"{path}{MANIFEST_SUFFIX}").read_text())
    return {k: TableFingerprint(v["num_rows"], v["sha256"]) for k, v in body["tables"].items()}


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        msg = f"Back up a SQLite file, not {engine.url.render_as_string()!r}."
        raise ValueError(msg)
    return database


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        msg = f"{command[0]} is not installed (PostgreSQL client tools are needed)."
        raise RuntimeError(msg)
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if result.returncode != 0:
        msg = f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[:500]}"
        raise RuntimeError(msg)


def backup(engine: Engine, out: Path) -> dict[str, TableFingerprint]:
    """Write a consistent backup of the database to ``out`` (and its manifest).

    SQLite: the online backup API (readers and writers carry on). PostgreSQL: ``pg_dump
    --format=custom`` of the snapshot the manifest's checksums were read in.

    Returns
    -------
    dict[str, TableFingerprint]
        What the manifest records.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        copy = _engine_for_file(out)
        with copy.connect() as conn:
            prints = fingerprints(conn)
        copy.dispose()
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={out}", _libpq_url(engine)])  # fmt: skip
            prints = fingerprints(conn)
            conn.rollback()
    _write_manifest(out, prints, engine.dialect.name)
    return prints


def _engine_for_file(path: Path) -> Engine:
    from api.db import make_engine

    return make_engine(f"sqlite:///{path}")


def restore(engine: Engine, backup_file: Path, *, replace: bool = False) -> list[str]:
    """Restore ``backup_file`` into the database behind ``engine`` and check it.

    Returns
    -------
    list[str]
        Tables whose row count or checksum differs from the manifest (empty: all match).

    Raises
    ------
    ValueError
        If the database already has tables and ``replace`` is False.
    """
    with engine.connect() as conn:
        existing = inspect(conn).get_table_names()
    if existing and not replace:
        msg = f"The database already holds {len(existing)} tables; restore into a fresh one."
        raise ValueError(msg)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        source = sqlite3.connect(backup_file)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        flags = ["--clean", "--if-exists"] if existing else []
        dbname = f"--dbname={_libpq_url(engine)}"
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", *flags, dbname, str(backup_file)])  # fmt: skip
    expected = read_manifest(backup_file)
    with engine.connect() as conn:
        found = fingerprints(conn)
    return sorted(t for t in expected.keys() | found.keys() if expected.get(t) != found.get(t))
