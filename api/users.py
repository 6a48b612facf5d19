"""User and API-key administration (``schoolrun users add`` calls :func:`add_user`)."""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.auth import Role, hash_password, new_api_key
from api.config import get_settings
from api.db import make_engine, make_session_factory
from api.migrate import upgrade_to_head
from api.models import ApiKeyRow, UserRow, utc_now
from api.sign_in_sessions import revoke_all_for_user

MIN_PASSWORD_CHARS = 12


def generate_password() -> str:
    """A random password to show once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def _factory(database_url: str | None) -> sessionmaker[Session]:
    engine = make_engine(database_url or get_settings().database_url)
    upgrade_to_head(engine)
    return make_session_factory(engine)


def _check(role: str, school_ids: Sequence[str]) -> Role:
    try:
        parsed = Role(role)
    except ValueError as err:
        msg = f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}."
        raise ValueError(msg) from err
    if parsed is Role.SCHOOL and not school_ids:
        msg = "A school user needs at least one school id."
        raise ValueError(msg)
    if parsed is not Role.SCHOOL and school_ids:
        msg = f"Only school users are bound to schools, not {parsed.value!r}."
        raise ValueError(msg)
    return parsed


def add_user(
    username: str,
    role: str,
    *,
    password: str | None = None,
    school_ids: Sequence[str] = (),
    database_url: str | None = None,
    session_factory: sessionmaker[Session] | None = None,
    is_demo: bool = False,
) -> str:
    """Create a user and return their password (generated when none is given).

    Parameters
    ----------
    username
        Unique sign-in name.
    role
        ``officer``, ``finance`` or ``school``.
    password
        At least 12 characters; None generates one.
    school_ids
        The schools a ``school`` user may see (required for that role only).
    database_url, session_factory
        Where to write (default: the service settings).

    Returns
    -------
    str
        The password, to hand to the user once; only its argon2 hash is stored.

    Raises
    ------
    ValueError
        Unknown role, missing school ids, short password, or the name is taken.
    """
    parsed = _check(role, school_ids)
    if not username or len(username) > 150:
        msg = f"username must be 1-150 characters, got {username!r}."
        raise ValueError(msg)
    if password is None:
        password = generate_password()
    elif len(password) < MIN_PASSWORD_CHARS:
        msg = f"password must be at least {MIN_PASSWORD_CHARS} characters."
        raise ValueError(msg)
    factory = session_factory or _factory(database_url)
    with factory() as session, session.begin():
        if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
            msg = f"User {username!r} already exists."
            raise ValueError(msg)
        session.add(
            UserRow(
                username=username,
                password_hash=hash_password(password),
                role=parsed.value,
                school_ids=[str(s) for s in school_ids],
                is_active=True,
                is_demo=is_demo,
            )
        )
    return password


def set_password(username: str, password: str, *, session_factory: sessionmaker[Session]) -> None:
    """Replace a user's password."""
    with session_factory() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            msg = f"No user {username!r}."
            raise ValueError(msg)
        user.password_hash = hash_password(password)


def disable_user(
    username: str,
    *,
    database_url: str | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> int:
    """Disable an account and revoke everything it holds at once: every sign-in session
    (so its access and refresh tokens stop working) and every API key.

    Returns
    -------
    int
        The number of sessions and keys revoked.
    """
    factory = session_factory or _factory(database_url)
    now = utc_now()
    with factory() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            msg = f"No user {username!r}."
            raise ValueError(msg)
        user.is_active = False
        num_sessions = revoke_all_for_user(session, user.id, now)
        keys = session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.user_id == user.id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        num_keys = int(keys.rowcount)  # type: ignore[attr-defined]
        audit.append(
            session,
            user_id=user.id,
            username=user.username,
            role=user.role,
            action="user.disable",
            resource=f"user:{user.id}",
            detail={"num_sessions": num_sessions, "num_api_keys": num_keys},
        )
    return num_sessions + num_keys


def create_api_key(
    username: str,
    name: str = "default",
    *,
    database_url: str | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> str:
    """Create an API key for a (service) account; returns the key, shown only once."""
    factory = session_factory or _factory(database_url)
    key, prefix, digest = new_api_key()
    with factory() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            msg = f"No user {username!r}."
            raise ValueError(msg)
        session.add(ApiKeyRow(user_id=user.id, prefix=prefix, key_sha256=digest, name=name))
    return key


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m api.users add NAME --role ROLE [--school ID ...] [--api-key]``."""
    parser = argparse.ArgumentParser(prog="schoolrun users")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a user and print their password")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--school", action="append", default=[], help="school id (repeatable)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--api-key", action="store_true", help="also create an API key")
    key = sub.add_parser("api-key", help="create an API key for an existing user")
    key.add_argument("username")
    key.add_argument("--name", default="default")
    args = parser.parse_args(argv)
    try:
        if args.command == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            shown = add_user(args.username, args.role, password=password, school_ids=args.school)
            print(f"created {args.role} user {args.username!r}")
            if password is None:
                print(f"password: {shown}")
            if args.api_key:
                print(f"api key: {create_api_key(args.username)}")
        else:
            print(f"api key: {create_api_key(args.username, args.name)}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
