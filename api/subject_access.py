"""Subject access (UK GDPR art. 15): everything held on one pupil, as JSON or a ZIP of CSVs.

Every column of their ``pupils`` and ``pupil_needs`` rows; the parts of the scenario's
documents that name them (incompatible pairs, today's routes); in every plan of the
scenario their journeys (``plan_trips``), the stops that carry them and any entry
leaving them unplanned; and the audit rows about them (by pseudonym) and about the
scenario, plans and school lists that held them (who saw their data). CSV cells are
formula-safe (``routing.reports.csv_text``).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from api.models import (
    AuditRow,
    Base,
    PlanRouteRow,
    PlanRow,
    PlanStopRow,
    PlanTripRow,
    PlanUnassignedRow,
    PupilRow,
    ScenarioRow,
)
from api.pseudonyms import pupil_resource
from routing.reports import csv_text


def _columns(row: Base) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _plan_records(session: Session, scenario_id: int, pupil_id: str) -> list[dict[str, Any]]:
    """The pupil's journeys, stops and unassigned entries in every plan of the scenario:
    three queries whatever the number of plans (each filtered by the pupil's own rows)."""
    plans = dict(
        session.execute(
            select(PlanRow.id, PlanRow.created_at).where(PlanRow.scenario_id == scenario_id)
        ).all()
    )
    if not plans:
        return []
    journeys: dict[int, list[dict[str, Any]]] = {}
    for trip in session.scalars(
        select(PlanTripRow)
        .where(PlanTripRow.plan_id.in_(plans), PlanTripRow.pupil_id == pupil_id)
        .order_by(PlanTripRow.plan_id, PlanTripRow.run)
    ):
        journeys.setdefault(trip.plan_id, []).append(_columns(trip))
    # Only the routes that carry them (their journeys name them): a plan has thousands
    # of stops, the pupil's routes a few dozen.
    carrying = [
        (PlanRouteRow.plan_id == plan_id) & PlanRouteRow.route_id.in_({j["route_id"] for j in js})
        for plan_id, js in journeys.items()
    ]
    stops: dict[int, list[dict[str, Any]]] = {}
    if carrying:
        for stop, plan_id, route_id, run in session.execute(
            select(PlanStopRow, PlanRouteRow.plan_id, PlanRouteRow.route_id, PlanRouteRow.run)
            .join(PlanRouteRow, PlanStopRow.route_row_id == PlanRouteRow.id)
            .where(or_(*carrying))
            .order_by(PlanRouteRow.plan_id, PlanRouteRow.position, PlanStopRow.position)
        ):
            if pupil_id in stop.pupil_ids:
                stops.setdefault(plan_id, []).append(
                    {"route_id": route_id, "run": run, **_columns(stop)}
                )
    unassigned: dict[int, list[dict[str, Any]]] = {}
    for entry in session.scalars(
        select(PlanUnassignedRow)
        .where(PlanUnassignedRow.plan_id.in_(plans), PlanUnassignedRow.pupil_id == pupil_id)
        .order_by(PlanUnassignedRow.plan_id, PlanUnassignedRow.id)
    ):
        unassigned.setdefault(entry.plan_id, []).append(_columns(entry))
    return [
        {
            "plan_id": plan_id,
            "created_at": _plain(plans[plan_id]),
            "journeys": journeys.get(plan_id, []),
            "stops": stops.get(plan_id, []),
            "unassigned": unassigned.get(plan_id, []),
        }
        for plan_id in sorted(plans)
        if plan_id in journeys or plan_id in stops or plan_id in unassigned
    ]


def _starts_with(prefix: str, dialect: str) -> ColumnElement[bool]:
    """``resource`` starts with ``prefix`` (letters, digits, ':' and '/'), as a condition
    the index answers: SQLite's LIKE ignores case and so cannot use it, GLOB can."""
    if dialect == "sqlite":
        return AuditRow.resource.op("GLOB")(prefix + "*")
    return AuditRow.resource.like(prefix + "%")


def _audit_query(
    scenario_id: int, pseudonym: str, school_id: str, plan_ids: Sequence[int], dialect: str
) -> Select[Any]:
    # Equalities and literal prefixes only, so that the index on resource serves each
    # (PostgreSQL: varchar_pattern_ops, which answers both): no row-by-row scan of a
    # log that grows by every read.
    about = [
        AuditRow.resource == pupil_resource(scenario_id, pseudonym),
        AuditRow.resource == f"scenario:{scenario_id}",
    ]
    for plan_id in plan_ids:
        about += [
            AuditRow.resource == f"plan:{plan_id}",
            _starts_with(f"plan:{plan_id}/", dialect),
            AuditRow.resource == f"school:{school_id}/plan:{plan_id}",
        ]
    # Plain rows, not ORM objects: a busy scenario has thousands of audit rows about it.
    return select(*AuditRow.__table__.columns).where(or_(*about)).order_by(AuditRow.id)


def pupil_record(
    session: Session, scenario_id: int, pupil_id: str, pseudonym: str
) -> dict[str, Any] | None:
    """Everything held on one pupil of one scenario, or None when there is no such pupil."""
    pupil = session.scalar(
        select(PupilRow).where(PupilRow.scenario_id == scenario_id, PupilRow.pupil_id == pupil_id)
    )
    if pupil is None:
        return None
    scenario = session.get(ScenarioRow, scenario_id)
    assert scenario is not None  # the pupil row references it
    plans = _plan_records(session, scenario_id, pupil_id)
    audit_rows = session.execute(
        _audit_query(
            scenario_id,
            pseudonym,
            pupil.school_id,
            [p["plan_id"] for p in plans],
            session.get_bind().dialect.name,
        )
    ).mappings()
    return {
        "scenario": {"id": scenario.id, "name": scenario.name},
        "pseudonym": pseudonym,
        "pupil": _columns(pupil),
        "needs": _columns(pupil.needs) if pupil.needs is not None else {},
        "incompatible_pairs": [
            p
            for p in scenario.incompatible_pairs
            if pupil_id in (p.get("pupil_a"), p.get("pupil_b"))
        ],
        "current_routes": [
            r for r in scenario.current_routes if pupil_id in r.get("pupil_ids", [])
        ],
        "plans": plans,
        "audit": [{k: _plain(v) for k, v in r.items()} for r in audit_rows],
    }


def _table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return csv_text(columns, ({k: _cell(v) for k, v in row.items()} for row in rows))


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def record_zip(record: dict[str, Any]) -> bytes:
    """The record as a ZIP of formula-safe CSVs, one per kind of data."""
    journeys = [{"plan_id": p["plan_id"], **j} for p in record["plans"] for j in p["journeys"]]
    stops = [{"plan_id": p["plan_id"], **s} for p in record["plans"] for s in p["stops"]]
    unassigned = [{"plan_id": p["plan_id"], **u} for p in record["plans"] for u in p["unassigned"]]
    files = {
        "pupil.csv": [{"field": k, "value": v} for k, v in record["pupil"].items()],
        "needs.csv": [{"field": k, "value": v} for k, v in record["needs"].items()],
        "incompatible_pairs.csv": record["incompatible_pairs"],
        "current_routes.csv": record["current_routes"],
        "journeys.csv": journeys,
        "stops.csv": stops,
        "unassigned.csv": unassigned,
        "audit.csv": record["audit"],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            archive.writestr(name, _table(rows) if rows else "")
    return buffer.getvalue()
