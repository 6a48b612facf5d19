"""A plan as one JSON file (``plan.json`` beside routes.csv), and back.

``schoolrun plan`` writes it so later commands (``modes``, ``lots``) read the very plan
the officer reviewed, stop by stop, instead of re-planning or re-parsing the CSV exports
(which drop the seating layout and the matrix location ids).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing.errors import InvalidScenarioError
from routing.model import (
    CollectionWalk,
    Plan,
    Route,
    Run,
    Scenario,
    Stop,
    StopKind,
    Unassigned,
    UnassignedCode,
)
from routing.plan_locks import PlanLocks

PLAN_FILE = "plan.json"
FORMAT_VERSION = 1


def _stop_dict(stop: Stop) -> dict[str, Any]:
    return {
        "kind": stop.kind.value,
        "pupil_ids": list(stop.pupil_ids),
        "location_id": stop.location_id,
        "lon": stop.lon,
        "lat": stop.lat,
        "arrival_s": stop.arrival_s,
        "service_start_s": stop.service_start_s,
        "departure_s": stop.departure_s,
        "school_id": stop.school_id,
    }


def _route_dict(route: Route) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "run": route.run.value,
        "vehicle_type": route.vehicle_type,
        "seats": route.seats,
        "wheelchair_places": route.wheelchair_places,
        "has_assistant": route.has_assistant,
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "cost_pence": route.cost_pence,
        "stops": [_stop_dict(s) for s in route.stops],
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (integers stay integers: seconds, metres, pence)."""
    return {
        "format_version": FORMAT_VERSION,
        "scenario_name": plan.scenario_name,
        "travel_model": plan.travel_model,
        "solve_seconds": plan.solve_seconds,
        "objective": plan.objective,
        "notes": list(plan.notes),
        "routes": [_route_dict(r) for r in plan.routes],
        "unassigned": [
            {"pupil_id": u.pupil_id, "run": u.run.value, "reason": u.reason, "code": u.code}
            for u in plan.unassigned
        ],
        "walks": [
            {
                "pupil_id": w.pupil_id,
                "point_id": w.point_id,
                "walk_m": w.walk_m,
                "is_estimated": w.is_estimated,
            }
            for w in plan.walks
        ],
    }


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """The inverse of :func:`plan_to_dict`."""
    routes = tuple(
        Route(
            route_id=str(r["route_id"]),
            run=Run(r["run"]),
            vehicle_type=str(r["vehicle_type"]),
            seats=int(r["seats"]),
            wheelchair_places=int(r["wheelchair_places"]),
            has_assistant=bool(r["has_assistant"]),
            stops=tuple(
                Stop(
                    kind=StopKind(s["kind"]),
                    pupil_ids=tuple(str(p) for p in s["pupil_ids"]),
                    location_id=str(s["location_id"]),
                    lon=float(s["lon"]),
                    lat=float(s["lat"]),
                    arrival_s=int(s["arrival_s"]),
                    service_start_s=int(s["service_start_s"]),
                    departure_s=int(s["departure_s"]),
                    school_id=str(s["school_id"]),
                )
                for s in r["stops"]
            ),
            distance_m=int(r["distance_m"]),
            duration_s=int(r["duration_s"]),
            cost_pence=int(r["cost_pence"]),
        )
        for r in data["routes"]
    )
    return Plan(
        scenario_name=str(data["scenario_name"]),
        routes=routes,
        unassigned=tuple(
            Unassigned(
                str(u["pupil_id"]), Run(u["run"]), str(u["reason"]), UnassignedCode(u["code"])
            )
            for u in data["unassigned"]
        ),
        travel_model=str(data["travel_model"]),
        solve_seconds=float(data["solve_seconds"]),
        objective=int(data["objective"]),
        notes=tuple(str(n) for n in data["notes"]),
        walks=tuple(
            CollectionWalk(
                str(w["pupil_id"]), str(w["point_id"]), int(w["walk_m"]), bool(w["is_estimated"])
            )
            for w in data.get("walks", ())  # plan files written before collection points
        ),
    )


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A plan and what later commands need of its scenario without loading it again.

    ``vehicle_seats`` is each vehicle type's ``capacity_seats``; ``school_names`` maps
    school ids to names (both empty for a plan file written without its scenario).
    """

    plan: Plan
    school_days_per_year: int = 190
    vehicle_seats: dict[str, int] = field(default_factory=dict)
    school_names: dict[str, str] = field(default_factory=dict)


def _scenario_dict(scenario: Scenario) -> dict[str, Any]:
    return {
        "school_days_per_year": scenario.policy.school_days_per_year,
        "vehicle_seats": {v.name: v.capacity_seats for v in scenario.vehicle_types},
        "school_names": {s.school_id: s.name for s in scenario.schools},
    }


def write_plan_json(plan: Plan, path: Path, scenario: Scenario | None = None) -> Path:
    """Write ``plan.json`` (with the scenario's school days, vehicle seats and school names)."""
    data = plan_to_dict(plan)
    if scenario is not None:
        data["scenario"] = _scenario_dict(scenario)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def read_plan(out_dir: Path) -> Plan:
    """The plan ``schoolrun plan --out OUT_DIR`` wrote (``OUT_DIR`` or the file itself).

    Raises
    ------
    InvalidScenarioError
        If ``OUT_DIR/plan.json`` is missing or not a plan file.
    """
    return read_plan_file(out_dir).plan


def read_plan_file(out_dir: Path) -> PlanFile:
    """The plan and its scenario facts (see :class:`PlanFile`, :func:`read_plan`)."""
    path = out_dir / PLAN_FILE if out_dir.is_dir() else out_dir
    if not path.is_file():
        msg = f"No plan file '{path}': run `schoolrun plan SCENARIO --out {out_dir}` first."
        raise InvalidScenarioError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        facts = data.get("scenario", {})
        return PlanFile(
            plan=plan_from_dict(data),
            school_days_per_year=int(facts.get("school_days_per_year", 190)),
            vehicle_seats={str(k): int(v) for k, v in facts.get("vehicle_seats", {}).items()},
            school_names={str(k): str(v) for k, v in facts.get("school_names", {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        msg = f"Plan file '{path}' is not a SchoolRun plan ({err})."
        raise InvalidScenarioError(msg) from err


LOCKS_FILE = "locks.json"


def read_locks(out_dir: Path) -> PlanLocks:
    """The officer's locks and pins kept beside a plan (``OUT_DIR/locks.json``; none: no locks)."""
    path = out_dir / LOCKS_FILE if out_dir.is_dir() else out_dir.parent / LOCKS_FILE
    if not path.is_file():
        return PlanLocks()
    try:
        return PlanLocks.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (KeyError, TypeError, ValueError, AssertionError) as err:
        msg = f"Locks file '{path}' is not a SchoolRun locks file ({err})."
        raise InvalidScenarioError(msg) from err


def write_locks(locks: PlanLocks, out_dir: Path) -> Path:
    """Write ``OUT_DIR/locks.json``."""
    path = out_dir / LOCKS_FILE
    path.write_text(json.dumps(locks.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path
