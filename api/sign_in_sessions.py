"""Sign-in sessions: a refresh token per sign-in, rotated on each use, revocable.

A refresh token is ``SESSION_ID.SECRET``; only the SHA-256 of the secret is stored. Each
refresh replaces the secret, so a stolen token that was already used fails, and using
one revokes the whole session (the thief and the owner both have to sign in again).
Access tokens carry the session id (``sid``) and are refused once it is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.models import SignInSessionRow

_SEPARATOR = "."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(
    session: Session, user_id: int, now: datetime, ttl_s: int
) -> tuple[SignInSessionRow, str]:
    """A new sign-in session for ``user_id`` and its first refresh token."""
    secret = secrets.token_urlsafe(32)
    row = SignInSessionRow(
        id=str(uuid.uuid4()),
        user_id=user_id,
        refresh_sha256=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(row)
    return row, f"{row.id}{_SEPARATOR}{secret}"


def _find(session: Session, refresh_token: str) -> tuple[SignInSessionRow | None, bool]:
    """The session a refresh token names and whether its secret is the current one."""
    sid, _, secret = refresh_token.partition(_SEPARATOR)
    if not sid or not secret or len(sid) > 36:
        return None, False
    row = session.get(SignInSessionRow, sid)
    if row is None:
        return None, False
    return row, hmac.compare_digest(_digest(secret), row.refresh_sha256)


def is_active(row: SignInSessionRow | None, now: datetime) -> bool:
    """The session exists, was not revoked and has not expired."""
    return row is not None and row.revoked_at is None and row.expires_at > now


def rotate(
    session: Session, refresh_token: str, now: datetime
) -> tuple[SignInSessionRow, str] | None:
    """Swap a current refresh token for a new one; None when it is not (any more) valid.

    Presenting a secret that was already swapped revokes the session (token reuse).
    """
    row, is_current = _find(session, refresh_token)
    if row is None or not is_active(row, now):
        return None
    if not is_current:
        row.revoked_at = now
        return None
    secret = secrets.token_urlsafe(32)
    row.refresh_sha256 = _digest(secret)
    row.refreshed_at = now
    return row, f"{row.id}{_SEPARATOR}{secret}"


def revoke_by_refresh_token(session: Session, refresh_token: str, now: datetime) -> bool:
    """Revoke the session of a current refresh token; False when it names none."""
    row, is_current = _find(session, refresh_token)
    if row is None or not is_current or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def revoke_session(session: Session, sid: str, now: datetime) -> bool:
    """Revoke one session by id; False when there is no such live session."""
    row = session.get(SignInSessionRow, sid)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def revoke_all_for_user(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every live session of a user (when the account is disabled); the count."""
    result = session.execute(
        update(SignInSessionRow)
        .where(SignInSessionRow.user_id == user_id, SignInSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
