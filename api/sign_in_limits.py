"""Sign-in limits: at most N failed sign-ins per account name and per client address in
a sliding window; past that, every attempt (right password or not) gets 429."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import SignInFailureRow


@dataclass(frozen=True, slots=True)
class SignInLimit:
    """How many failures (``max_failures``) a window of ``window_s`` seconds allows."""

    max_failures: int
    window_s: int


def _wait_s(times: list[datetime], limit: SignInLimit, now: datetime) -> int | None:
    if len(times) < limit.max_failures:
        return None
    # Attempts open again when enough of the oldest failures leave the window.
    frees_at = times[len(times) - limit.max_failures] + timedelta(seconds=limit.window_s)
    return max(1, math.ceil((frees_at - now).total_seconds()))


def retry_after_s(
    session: Session, username: str, client_address: str, now: datetime, limit: SignInLimit
) -> int | None:
    """Seconds until this account and address may try again, or None when they may now."""
    since = now - timedelta(seconds=limit.window_s)
    waits = []
    for column, value in (
        (SignInFailureRow.username, username),
        (SignInFailureRow.client_address, client_address),
    ):
        times = list(
            session.scalars(
                select(SignInFailureRow.at)
                .where(column == value, SignInFailureRow.at > since)
                .order_by(SignInFailureRow.at)
            )
        )
        wait = _wait_s(times, limit, now)
        if wait is not None:
            waits.append(wait)
    return max(waits) if waits else None


def record_failure(session: Session, username: str, client_address: str, now: datetime) -> None:
    """Count one failed sign-in against the account name and the address."""
    session.add(
        SignInFailureRow(at=now, username=username[:150], client_address=client_address[:64])
    )
    session.flush()
