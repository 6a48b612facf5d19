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
from datetime import datetime, timedelta
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

from api import sign_in_sessions
from api.errors import ApiError
from api.models import ApiKeyRow, SignInSessionRow, UserRow

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


def load_secret(configured: str, state_dir: Path, filename: str = "jwt_secret") -> str:
    """The configured key, else one generated once and kept in ``state_dir/filename``."""
    if configured:
        return configured
    path = state_dir / filename
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


def load_jwt_secret(configured: str, state_dir: Path) -> str:
    """The configured signing key, else one generated once and kept in state_dir."""
    return load_secret(configured, state_dir, "jwt_secret")


@dataclass(frozen=True, slots=True)
class TokenRules:
    """How access tokens are signed and what a valid one must say."""

    secret: str
    algorithm: str
    issuer: str
    audience: str
    ttl_s: int


def create_access_token(user: UserRow, session_id: str, rules: TokenRules, now: datetime) -> str:
    """A short-lived signed token naming the user, their role and schools, and the
    sign-in session it belongs to (revoking the session ends it)."""
    payload: dict[str, Any] = {
        "sub": str(user.id),
        "role": user.role,
        "schools": sorted(str(s) for s in user.school_ids or ()),
        "sid": session_id,
        "iss": rules.issuer,
        "aud": rules.audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=rules.ttl_s)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, rules.secret, algorithm=rules.algorithm)


REQUIRED_CLAIMS = ("exp", "iat", "nbf", "sub", "sid", "iss", "aud", "role", "schools")
_BAD_TOKEN = "The access token is not valid or has expired."


def decode_access_token(token: str, rules: TokenRules) -> dict[str, Any]:
    """The claims of a valid token (signature, algorithm, time, issuer, audience checked).

    Raises
    ------
    jwt.PyJWTError
        Whatever is wrong with it.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        rules.secret,
        algorithms=[rules.algorithm],
        issuer=rules.issuer,
        audience=rules.audience,
        options={"require": list(REQUIRED_CLAIMS)},
    )
    return claims


def token_rules(request: Request) -> TokenRules:
    """The app's token rules (settings plus the loaded signing key)."""
    state = request.app.state
    settings = state.settings
    return TokenRules(
        secret=state.jwt_secret,
        algorithm=settings.jwt_algorithm,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=settings.access_token_ttl_s,
    )


def _user_from_token(session: Session, token: str, request: Request) -> UserRow:
    try:
        claims = decode_access_token(token, token_rules(request))
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as err:
        raise _unauthenticated(_BAD_TOKEN) from err
    user = session.get(UserRow, user_id)
    if user is None:
        raise _unauthenticated(_BAD_TOKEN)
    if not user.is_active:
        raise _unauthenticated("This account is disabled.")
    schools = sorted(str(s) for s in user.school_ids or ())
    if claims["role"] != user.role or claims["schools"] != schools:
        raise _unauthenticated("The account's role or schools changed: sign in again.")
    sign_in = session.get(SignInSessionRow, str(claims["sid"]))
    if not sign_in_sessions.is_active(sign_in, request.app.state.clock()) or (
        sign_in is not None and sign_in.user_id != user.id
    ):
        raise _unauthenticated("This sign-in was revoked or has ended: sign in again.")
    return user


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
            user = _user_from_token(session, token, request)
            via = "token"
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
