"""Retention: every kind of record is kept for its period (settings), then deleted.

Kinds and what "past its period" means:

* ``superseded_scenarios``: a scenario for which a newer one of the same name exists,
  that long after the newer one arrived; deleted with its pupils, needs, plans, trips,
  comparisons and jobs (the current scenario of a name is never purged).
* ``plans`` (and ``comparisons``): that long after they were made.
* ``jobs``: finished (succeeded or failed) that long ago.
* ``sign_ins``: failed sign-in records, and sign-in sessions that ended that long ago.
* ``audit``: rows older than the period, oldest first; an ``audit.purge`` row records the
  last removed row's hash so ``schoolrun audit verify`` still accepts the chain. On
  PostgreSQL the application role may not delete audit rows: run ``schoolrun purge`` as
  the owner for those (the worker's periodic purge skips them and says so).

``purge`` takes the time as an argument, so tests (and a dry run of next year) can
inject a clock; a second run at the same time finds nothing to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased, sessionmaker

from api import audit
from api.audit_chain import PURGE_ACTION
from api.config import Settings
from api.erasure import flush_sqlite_files
from api.jobs import JobState
from api.models import (
    AuditRow,
    ComparisonRow,
    JobRow,
    PlanRow,
    ScenarioRow,
    SignInFailureRow,
    SignInSessionRow,
    utc_now,
)

logger = logging.getLogger(__name__)
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """How long each kind is kept, in days."""

    superseded_scenario_days: int
    plan_days: int
    job_days: int
    sign_in_days: int
    audit_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            superseded_scenario_days=settings.retention_superseded_scenario_days,
            plan_days=settings.retention_plan_days,
            job_days=settings.retention_job_days,
            sign_in_days=settings.retention_sign_in_days,
            audit_days=settings.retention_audit_days,
        )


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """Rows deleted per kind, and the kinds skipped (with why)."""

    deleted: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _superseded_scenarios(session: Session, cutoff: datetime, _now: datetime) -> int:
    newer = aliased(ScenarioRow)
    superseded_at = (
        select(func.min(newer.created_at))
        .where(newer.name == ScenarioRow.name, newer.id > ScenarioRow.id)
        .scalar_subquery()
    )
    ids = list(session.scalars(select(ScenarioRow.id).where(superseded_at < cutoff)))
    if not ids:
        return 0
    return _count(session.execute(delete(ScenarioRow).where(ScenarioRow.id.in_(ids))))


def _plans(session: Session, cutoff: datetime, _now: datetime) -> int:
    plans = session.execute(delete(PlanRow).where(PlanRow.created_at < cutoff))
    comparisons = session.execute(delete(ComparisonRow).where(ComparisonRow.created_at < cutoff))
    return _count(plans) + _count(comparisons)


def _jobs(session: Session, cutoff: datetime, _now: datetime) -> int:
    finished = (JobState.SUCCEEDED.value, JobState.FAILED.value)
    return _count(
        session.execute(
            delete(JobRow).where(JobRow.state.in_(finished), JobRow.finished_at < cutoff)
        )
    )


def _sign_ins(session: Session, cutoff: datetime, _now: datetime) -> int:
    failures = session.execute(delete(SignInFailureRow).where(SignInFailureRow.at < cutoff))
    sessions = session.execute(
        delete(SignInSessionRow).where(
            or_(SignInSessionRow.expires_at < cutoff, SignInSessionRow.revoked_at < cutoff)
        )
    )
    return _count(failures) + _count(sessions)


def _audit(session: Session, cutoff: datetime, now: datetime) -> int:
    through_id = session.scalar(select(func.max(AuditRow.id)).where(AuditRow.at < cutoff))
    if through_id is None:
        return 0
    through_hash = session.scalar(select(AuditRow.row_hash).where(AuditRow.id == through_id))
    num = _count(session.execute(delete(AuditRow).where(AuditRow.id <= through_id)))
    audit.append(
        session,
        user_id=None,
        username="retention",
        role="system",
        action=PURGE_ACTION,
        resource="audit_log",
        detail={"through_id": through_id, "through_hash": through_hash, "num_rows": num},
        at=now,
    )
    return num


_KINDS: tuple[tuple[str, str, Callable[[Session, datetime, datetime], int]], ...] = (
    ("superseded_scenarios", "superseded_scenario_days", _superseded_scenarios),
    ("plans", "plan_days", _plans),
    ("jobs", "job_days", _jobs),
    ("sign_ins", "sign_in_days", _sign_ins),
    ("audit", "audit_days", _audit),
)


def purge(factory: sessionmaker[Session], periods: RetentionPeriods, now: datetime) -> PurgeReport:
    """Delete every record past its retention period at ``now``, one kind per transaction.

    Returns
    -------
    PurgeReport
        Rows deleted per kind; a kind the database role may not delete is skipped.
    """
    report = PurgeReport()
    for kind, period_name, purge_kind in _KINDS:
        cutoff = now - timedelta(days=getattr(periods, period_name))
        try:
            with factory() as session, session.begin():
                report.deleted[kind] = purge_kind(session, cutoff, now)
        except DBAPIError as err:
            if "permission denied" not in str(err.orig).lower():
                raise
            report.skipped[kind] = "this database role may not delete these rows"
            logger.warning("retention: %s skipped (no DELETE privilege)", kind)
    if report.total:
        with factory() as session:
            flush_sqlite_files(session.get_bind().engine)
    return report


class PeriodicPurge:
    """Runs :func:`purge` at most once per ``retention_purge_interval_s`` (for workers)."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.periods = RetentionPeriods.from_settings(settings)
        self.interval = timedelta(seconds=settings.retention_purge_interval_s)
        self.factory = factory
        self.clock: Callable[[], datetime] = utc_now
        self.last_run: datetime | None = None
        self.last_report: PurgeReport | None = None
        self._lock = threading.Lock()

    def run_if_due(self) -> PurgeReport | None:
        """Purge when the interval has passed since the last run; the report, or None."""
        now = self.clock()
        with self._lock:
            if self.last_run is not None and now - self.last_run < self.interval:
                return None
            self.last_run = now
        try:
            self.last_report = purge(self.factory, self.periods, now)
        except Exception:  # a failed purge must not stop the worker; it retries next time
            logger.exception("retention: purge failed")
            return None
        if self.last_report.total:
            logger.info("retention: purged %s", self.last_report.deleted)
        return self.last_report
