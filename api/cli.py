"""The service's sub-commands of ``schoolrun``: serve, worker, users,
audit verify, purge, backup, restore, db grant.

Registered through the ``schoolrun.commands`` entry point so that ``routing.cli`` never
imports ``api`` (imports point one way: api -> routing).
"""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_serve(args: argparse.Namespace) -> int:
    from api.main import serve

    serve(host=args.host, port=args.port)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from api.worker import main as worker_main

    argv = ["--once"] if args.once else []
    if args.worker_id:
        argv += ["--worker-id", args.worker_id]
    return worker_main(argv)


def _cmd_users_add(args: argparse.Namespace) -> int:
    from api.users import add_user

    password = add_user(
        args.username,
        args.role,
        password=args.password,
        school_ids=tuple(args.school or ()),
    )
    print(f"Created {args.role} user '{args.username}'.")
    if args.password is None:
        print(f"Generated password (shown once): {password}")
    return 0


def _cmd_users_disable(args: argparse.Namespace) -> int:
    from api.users import disable_user

    try:
        num = disable_user(args.username)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    print(f"Disabled '{args.username}'; revoked {num} sign-in sessions and API keys.")
    return 0


def _service_engine() -> Any:
    from api.config import get_settings
    from api.db import make_engine

    return make_engine(get_settings().database_url)


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from api.audit import verify
    from api.db import make_read_session_factory

    engine = _service_engine()
    try:
        report = verify(make_read_session_factory(engine))
    finally:
        engine.dispose()
    for problem in report.problems:
        print(problem)
    state = "intact" if report.is_intact else f"BROKEN ({len(report.problems)} problems)"
    print(f"Audit chain {state}: {report.num_rows} rows, head {report.head_id} {report.head_hash}")
    return 0 if report.is_intact else 1


def _cmd_purge(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from api.config import get_settings
    from api.db import make_session_factory
    from api.retention import RetentionPeriods, purge

    now = datetime.fromisoformat(args.as_of) if args.as_of else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    engine = _service_engine()
    try:
        report = purge(
            make_session_factory(engine), RetentionPeriods.from_settings(get_settings()), now
        )
    finally:
        engine.dispose()
    for kind, num in report.deleted.items():
        print(f"{kind}: {num} rows deleted")
    for kind, why in report.skipped.items():
        print(f"{kind}: skipped ({why})")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from api.backups import backup

    engine = _service_engine()
    started = time.perf_counter()
    try:
        prints = backup(engine, Path(args.out))
    finally:
        engine.dispose()
    rows = sum(p.num_rows for p in prints.values())
    print(
        f"Backed up {len(prints)} tables ({rows} rows) to {args.out} in "
        f"{time.perf_counter() - started:.1f} s; manifest {args.out}.manifest.json"
    )
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from api.backups import restore

    engine = _service_engine()
    started = time.perf_counter()
    try:
        mismatched = restore(engine, Path(args.backup), replace=args.replace)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    finally:
        engine.dispose()
    if mismatched:
        print(f"Restored, but these tables differ from the manifest: {', '.join(mismatched)}")
        return 1
    print(
        f"Restored {args.backup} in {time.perf_counter() - started:.1f} s; every table's "
        "row count and checksum match the manifest."
    )
    return 0


def _cmd_db_grant(args: argparse.Namespace) -> int:
    from api.db_roles import grant_app_role

    engine = _service_engine()
    try:
        statements = grant_app_role(engine, args.app_role)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    finally:
        engine.dispose()
    print(f"Granted {args.app_role!r} the service's rights ({len(statements)} statements).")
    return 0


def register(sub: Any) -> None:
    """Add the service's sub-commands to the ``schoolrun`` parser's sub-parsers."""
    serve = sub.add_parser("serve", help="start the web service on localhost")
    serve.add_argument("--host", default=None, help="default 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default 8000")
    serve.set_defaults(func=_cmd_serve)

    worker = sub.add_parser("worker", help="run a background solve worker")
    worker.add_argument("--once", action="store_true", help="run at most one job, then exit")
    worker.add_argument("--worker-id", default=None, help="name of this worker in job leases")
    worker.set_defaults(func=_cmd_worker)

    users = sub.add_parser("users", help="manage service users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["officer", "finance", "school"])
    add.add_argument("--school", action="append", help="school id (role school; repeatable)")
    add.add_argument("--password", default=None, help="omit to generate one")
    add.set_defaults(func=_cmd_users_add)
    disable = users_sub.add_parser(
        "disable", help="disable a user and revoke their sign-ins and API keys at once"
    )
    disable.add_argument("username")
    disable.set_defaults(func=_cmd_users_disable)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="recompute the hash chain; exit 1 naming any changed or missing row"
    )
    verify.set_defaults(func=_cmd_audit_verify)

    purge = sub.add_parser(
        "purge", help="delete every record past its retention period (SCHOOLRUN_RETENTION_*)"
    )
    purge.add_argument("--as-of", default=None, help="ISO time to purge as of (default: now)")
    purge.set_defaults(func=_cmd_purge)

    back = sub.add_parser("backup", help="write a consistent backup and its manifest")
    back.add_argument("out", help="backup file (SQLite database, or pg_dump custom format)")
    back.set_defaults(func=_cmd_backup)
    rest = sub.add_parser(
        "restore", help="restore a backup into a fresh database and check it against its manifest"
    )
    rest.add_argument("backup")
    rest.add_argument("--replace", action="store_true", help="overwrite a database with tables")
    rest.set_defaults(func=_cmd_restore)

    db = sub.add_parser("db", help="database administration (run as the schema owner)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    grant = db_sub.add_parser(
        "grant", help="PostgreSQL: give APP_ROLE the service's rights, the audit log append-only"
    )
    grant.add_argument("app_role")
    grant.set_defaults(func=_cmd_db_grant)
