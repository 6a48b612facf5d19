"""Who is calling: passwords (argon2 via pwdlib), signed access tokens, API keys, roles.

Deny by default: a route is reachable only through an ``Allow(...)`` dependency that names
the roles that may call it; ``api.main`` refuses to start if any route other than the
public ones (health, ready, docs, token) lacks one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import ApiError
from api.models import ApiKeyRow, UserRow

TOKEN_URL = "/api/v1/token"
API_KEY_HEADER = "X-API-Key"
API_KEY_PREFIX = "sr"

password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so a wrong name costs as long as a
# wrong password and does not reveal which names exist.
_DUMMY_HASH = password_hash.hash("not-a-real-password")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


class Role(StrEnum):
    """What a user may see and do."""

    OFFICER = "officer"  # everything
    FINANCE = "finance"  # costs and aggregates; no names, addresses or needs
    SCHOOL = "school"  # its own schools' pupils: first name + initial, times, vehicle, PA


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    username: str
    role: Role
    school_ids: frozenset[str]
    via: str  # "token" or "api_key"

    def may_see_school(self, school_id: str) -> bool:
        return self.role is not Role.SCHOOL or school_id in self.school_ids


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-work check of ``password`` against ``hashed`` (None: no password set)."""
    if hashed is None:
        password_hash.verify(password, _DUMMY_HASH)
        return False
    return password_hash.verify(password, hashed)


def load_jwt_secret(configured: str, state_dir: Path) -> str:
    """The configured signing key, else one generated once and kept in state_dir."""
    if configured:
        return configured
    path = state_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another process created it first: use theirs
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_access_token(user: UserRow, secret: str, algorithm: str, ttl_s: int) -> str:
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": str(user.id),
        "role": user.role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=algorithm)


def authenticate_password(session: Session, username: str, password: str) -> UserRow | None:
    """The active user with this name and password, or None."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.is_active:
        verify_password(password, None)
        return None
    return user if verify_password(password, user.password_hash) else None


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as (full key shown once, lookup prefix, sha256 hex stored)."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hashlib.sha256(key.encode()).hexdigest()


def _user_from_api_key(session: Session, key: str) -> UserRow | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1]))
    if row is None or row.revoked_at is not None:
        return None
    # The key is 32 random bytes, so a fast hash is enough (argon2 guards guessable
    # passwords); compare in constant time.
    digest = hashlib.sha256(key.encode()).hexdigest()
    if not hmac.compare_digest(digest, row.key_sha256):
        return None
    return session.get(UserRow, row.user_id)


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "not_authenticated", message, headers={"WWW-Authenticate": "Bearer"})


def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller from a bearer token or an API key; 401 when neither is valid."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        if api_key:
            user = _user_from_api_key(session, api_key)
            via = "api_key"
            if user is None:
                raise _unauthenticated("The API key is not valid.")
        elif token:
            state = request.app.state
            try:
                payload = jwt.decode(
                    token,
                    state.jwt_secret,
                    algorithms=[state.settings.jwt_algorithm],
                    options={"require": ["exp", "sub"]},
                )
                user_id = int(payload["sub"])
            except (jwt.PyJWTError, ValueError, TypeError) as err:
                raise _unauthenticated("The access token is not valid or has expired.") from err
            user = session.get(UserRow, user_id)
            via = "token"
            if user is None:
                raise _unauthenticated("The access token is not valid or has expired.")
        else:
            raise _unauthenticated("Sign in first: send a bearer token or an X-API-Key header.")
        if not user.is_active:
            raise _unauthenticated("This account is disabled.")
        principal = Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            school_ids=frozenset(str(s) for s in user.school_ids or ()),
            via=via,
        )
    request.state.principal = principal
    return principal


class Allow:
    """A route's declaration of the roles that may call it (the only way in).

    Parameters
    ----------
    *roles
        The roles allowed; anyone else authenticated gets 403.
    """

    def __init__(self, *roles: Role) -> None:
        if not roles:
            msg = "Allow() needs at least one role."
            raise ValueError(msg)
        self.roles = frozenset(roles)

    # async: a pure check, so FastAPI need not hand it to the thread pool.
    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            msg = f"Role '{principal.role}' may not do this (allowed: {allowed})."
            raise ApiError(403, "forbidden", msg)
        return principal

    def __repr__(self) -> str:
        return f"Allow({', '.join(sorted(self.roles))})"
