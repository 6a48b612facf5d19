"""The service's sub-commands of ``schoolrun``: serve, worker, users add.

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
