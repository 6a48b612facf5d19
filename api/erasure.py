"""Erasure of one pupil (UK GDPR art. 17): every row, plan, pickup list and export.

The pupil's row and needs go; their trips, unassigned entries and stops go from every
plan of the scenario (a stop shared with a sibling keeps the sibling); every JSON
document of the scenario, its plans, jobs and comparisons loses the id (lists drop it,
text mentioning it says ``[erased]``); stored route GeoJSON is redrawn from the amended
stops. Amended routes keep the times and costs planned with the pupil, and the plan
says so. The audit row names the pupil by pseudonym only. On SQLite deleted content is
overwritten (``secure_delete``, api.db) and the WAL is checkpointed and truncated, so the
id is gone from the files, not just from the queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from api.models import (
    ComparisonRow,
    JobRow,
    PlanRouteRow,
    PlanRow,
    PlanStopRow,
    PlanTripRow,
    PlanUnassignedRow,
    PupilRow,
    ScenarioRow,
)
from api.plan_store import plan_from_row
from routing.reports import routes_geojson

ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What an erasure removed (counts only: it names no one)."""

    num_plans_amended: int
    num_routes_amended: int
    num_trips_removed: int
    num_stops_removed: int


def _id_pattern(pupil_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_=-]){re.escape(pupil_id)}(?![A-Za-z0-9_-])")


def scrub(value: Any, pupil_id: str, pattern: re.Pattern[str] | None = None) -> Any:
    """``value`` without ``pupil_id``: dropped from lists, replaced in text."""
    pattern = pattern or _id_pattern(pupil_id)
    if isinstance(value, str):
        return ERASED if value == pupil_id else pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(v, pupil_id, pattern) for v in value if v != pupil_id]
    if isinstance(value, dict):
        return {k: scrub(v, pupil_id, pattern) for k, v in value.items()}
    return value


def _scrub_scenario(row: ScenarioRow, pupil_id: str) -> None:
    row.incompatible_pairs = [
        p for p in row.incompatible_pairs if pupil_id not in (p.get("pupil_a"), p.get("pupil_b"))
    ]
    routes = []
    for route in row.current_routes:
        kept = [p for p in route.get("pupil_ids", []) if p != pupil_id]
        if kept:
            routes.append({**route, "pupil_ids": kept})
    row.current_routes = scrub(routes, pupil_id)
    row.policy = scrub(row.policy, pupil_id)
    row.num_pupils = max(0, row.num_pupils - 1)


def _amend_route(session: Session, route: PlanRouteRow, pupil_id: str) -> int:
    """Remove the pupil from a route's stops; the number of stops removed."""
    removed = 0
    kept: list[PlanStopRow] = []
    for stop in route.stops:
        if pupil_id in stop.pupil_ids:
            stop.pupil_ids = [p for p in stop.pupil_ids if p != pupil_id]
            if not stop.pupil_ids:  # their home (or a school only they went to)
                session.delete(stop)
                removed += 1
                continue
        stop.location_id = scrub(stop.location_id, pupil_id)
        kept.append(stop)
    if not any(s.pupil_ids for s in kept):
        session.delete(route)  # it carried no one else
        return removed + len(kept)
    for position, stop in enumerate(kept):
        stop.position = position
    return removed


def _amend_plan(session: Session, plan: PlanRow, pupil_id: str, when: str) -> tuple[int, int]:
    routes = [r for r in plan.routes if any(pupil_id in s.pupil_ids for s in r.stops)]
    num_stops = sum(_amend_route(session, r, pupil_id) for r in routes)
    session.execute(
        delete(PlanUnassignedRow).where(
            PlanUnassignedRow.plan_id == plan.id, PlanUnassignedRow.pupil_id == pupil_id
        )
    )
    session.flush()
    session.expire(plan)
    pattern = _id_pattern(pupil_id)
    for unassigned in plan.unassigned:
        unassigned.reason = pattern.sub(ERASED, unassigned.reason)
    plan.summary = scrub(plan.summary, pupil_id)
    # A walk to a collection point says roughly where the pupil lives: it goes too.
    plan.walks = [w for w in plan.walks or () if w.get("pupil_id") != pupil_id]
    plan.comparison = scrub(plan.comparison, pupil_id) if plan.comparison is not None else None
    notes = scrub(list(plan.notes), pupil_id)
    if routes:
        notes.append(
            f"A pupil was erased on {when}: {len(routes)} routes lost their stops and still "
            "show the times and costs planned with them; plan again for exact figures."
        )
    plan.notes = notes
    # An officer's edits name pupils: the checker's violations, the note, the pins.
    plan.violations = scrub(plan.violations, pupil_id) if plan.violations is not None else None
    if plan.locks is not None:
        pins = [p for p in plan.locks.get("pins", []) if p.get("pupil_id") != pupil_id]
        plan.locks = scrub({**plan.locks, "pins": pins}, pupil_id)
    if plan.edit_note is not None:
        plan.edit_note = pattern.sub(ERASED, plan.edit_note)
    if plan.geojson is not None:
        plan.geojson = routes_geojson(plan_from_row(plan))
    return len(routes), num_stops


def erase_pupil(
    session: Session, scenario_id: int, pupil_id: str, now: datetime
) -> ErasureReport | None:
    """Remove one pupil from the scenario and everything made from it (caller commits).

    Returns
    -------
    ErasureReport or None
        None when the scenario has no such pupil.
    """
    pupil = session.scalar(
        select(PupilRow).where(PupilRow.scenario_id == scenario_id, PupilRow.pupil_id == pupil_id)
    )
    if pupil is None:
        return None
    scenario = session.get(ScenarioRow, scenario_id)
    assert scenario is not None  # the pupil row references it
    _scrub_scenario(scenario, pupil_id)
    session.delete(pupil)
    trips = session.execute(
        delete(PlanTripRow).where(
            PlanTripRow.pupil_id == pupil_id,
            PlanTripRow.plan_id.in_(select(PlanRow.id).where(PlanRow.scenario_id == scenario_id)),
        )
    )
    when = now.date().isoformat()
    num_plans = num_routes = num_stops = 0
    for plan in session.scalars(select(PlanRow).where(PlanRow.scenario_id == scenario_id)):
        routes, stops = _amend_plan(session, plan, pupil_id, when)
        num_plans += 1
        num_routes += routes
        num_stops += stops
    for job in session.scalars(select(JobRow).where(JobRow.scenario_id == scenario_id)):
        job.params = scrub(job.params, pupil_id)
        job.progress = scrub(job.progress, pupil_id) if job.progress is not None else None
        job.error = scrub(job.error, pupil_id) if job.error is not None else None
    for comp in session.scalars(
        select(ComparisonRow).where(ComparisonRow.scenario_id == scenario_id)
    ):
        comp.result = scrub(comp.result, pupil_id)
        comp.params = scrub(comp.params, pupil_id)
        comp.variants = scrub(comp.variants, pupil_id)
    session.flush()
    return ErasureReport(
        num_plans_amended=num_plans,
        num_routes_amended=num_routes,
        num_trips_removed=int(trips.rowcount),  # type: ignore[attr-defined]
        num_stops_removed=num_stops,
    )


def flush_sqlite_files(engine: Engine) -> bool:
    """SQLite: copy the WAL into the database and truncate it, so that no old page image
    holding erased data stays in the -wal file (deleted content is already zeroed).

    Returns False when a reader kept the checkpoint from finishing (PostgreSQL: True).
    """
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run in one
    try:
        cursor = raw.cursor()
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return not busy
