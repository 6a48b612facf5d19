"""The plan against today's arrangement: costs, savings, ride times, by school and type.

Builds today's arrangement with :mod:`routing.baseline`, prices both sides with
:mod:`routing.costing` and measures their rides with :mod:`routing.rides`; the tables and
the JSON-ready dict are plain data (the CLI and the API format them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from routing.baseline import check_current_plan, current_plan, unplaced_pupil_ids
from routing.checks import Violation
from routing.costing import FALLBACK_NOTE, PlanCost, plan_cost
from routing.matrix import TravelMatrix
from routing.model import Plan, Run, Scenario
from routing.rides import RideStats, ride_stats


@dataclass(frozen=True, slots=True)
class SchoolComparison:
    """One school: today's day cost against the plan's."""

    school_id: str
    num_pupils_current: int
    num_pupils_plan: int
    current_day_pence: int
    plan_day_pence: int
    saving_day_pence: int
    saving_annual_pence: int


@dataclass(frozen=True, slots=True)
class VehicleTypeComparison:
    """One vehicle type: vehicles and day cost today and in the plan."""

    vehicle_type: str
    current_num_vehicles: int
    plan_num_vehicles: int
    current_day_pence: int
    plan_day_pence: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """The plan against today's arrangement (the baseline of :mod:`routing.baseline`).

    Savings are current - plan (positive = the plan is cheaper), on the totals that
    include the estimated fallback journeys of unassigned pupils on either side
    (``plan_cost.has_fallback`` / ``current_cost.has_fallback`` say when they do).
    ``current_violations`` are the rules today's routes break, for information only.
    """

    plan_cost: PlanCost
    current_cost: PlanCost
    plan_rides: RideStats
    current_rides: RideStats
    saving_day_pence: int
    saving_annual_pence: int
    saving_pct: float
    saving_per_pupil_day_pence: int
    by_school: tuple[SchoolComparison, ...]
    by_vehicle_type: tuple[VehicleTypeComparison, ...]
    current_violations: tuple[Violation, ...]
    current_unplaced_pupil_ids: tuple[str, ...]
    runs: tuple[Run, ...]
    travel_model: str


def _plan_runs(plan: Plan) -> tuple[Run, ...]:
    present = {r.run for r in plan.routes} | {u.run for u in plan.unassigned}
    return tuple(run for run in Run if run in present) or tuple(Run)


def _restrict(plan: Plan, runs: Iterable[Run]) -> Plan:
    keep = set(runs)
    return Plan(
        scenario_name=plan.scenario_name,
        routes=tuple(r for r in plan.routes if r.run in keep),
        unassigned=tuple(u for u in plan.unassigned if u.run in keep),
        travel_model=plan.travel_model,
        solve_seconds=plan.solve_seconds,
        objective=plan.objective,
        notes=plan.notes,
    )


def compare(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    *,
    current: Plan | None = None,
) -> Comparison:
    """The plan against today's arrangement: costs, savings and ride times.

    Parameters
    ----------
    scenario
        The scenario (its ``current_routes`` are today's arrangement).
    matrix
        Travel matrix (the baseline's times, the fallback journeys' distances).
    plan
        The new plan.
    current
        Today's arrangement as a plan, if already built (default:
        :func:`routing.baseline.current_plan`).

    Returns
    -------
    Comparison
        Both sides' costs and ride times over the runs the plan covers, the saving in
        pence and percent, per pupil-day, by school and by vehicle type.
    """
    runs = _plan_runs(plan)
    baseline = _restrict(current if current is not None else current_plan(scenario, matrix), runs)
    plan_c = plan_cost(scenario, plan, matrix=matrix)
    current_c = plan_cost(scenario, baseline, matrix=matrix)
    saving_day = current_c.day_pence - plan_c.day_pence
    days = scenario.policy.school_days_per_year

    plan_schools = {s.school_id: s for s in plan_c.by_school}
    current_schools = {s.school_id: s for s in current_c.by_school}
    by_school = []
    for sid in sorted(set(plan_schools) | set(current_schools)):
        cur, new = current_schools.get(sid), plan_schools.get(sid)
        cur_day = cur.day_pence if cur else 0
        new_day = new.day_pence if new else 0
        by_school.append(
            SchoolComparison(
                school_id=sid,
                num_pupils_current=cur.num_pupils if cur else 0,
                num_pupils_plan=new.num_pupils if new else 0,
                current_day_pence=cur_day,
                plan_day_pence=new_day,
                saving_day_pence=cur_day - new_day,
                saving_annual_pence=(cur_day - new_day) * days,
            )
        )
    plan_types = {t.vehicle_type: t for t in plan_c.by_vehicle_type}
    current_types = {t.vehicle_type: t for t in current_c.by_vehicle_type}
    by_type = []
    for name in sorted(set(plan_types) | set(current_types)):
        cur_t, new_t = current_types.get(name), plan_types.get(name)
        by_type.append(
            VehicleTypeComparison(
                vehicle_type=name,
                current_num_vehicles=cur_t.num_vehicles if cur_t else 0,
                plan_num_vehicles=new_t.num_vehicles if new_t else 0,
                current_day_pence=cur_t.day_pence if cur_t else 0,
                plan_day_pence=new_t.day_pence if new_t else 0,
            )
        )
    return Comparison(
        plan_cost=plan_c,
        current_cost=current_c,
        plan_rides=ride_stats(scenario, plan),
        current_rides=ride_stats(scenario, baseline),
        saving_day_pence=saving_day,
        saving_annual_pence=saving_day * days,
        saving_pct=100 * saving_day / current_c.day_pence if current_c.day_pence else 0.0,
        saving_per_pupil_day_pence=current_c.per_pupil_day_pence - plan_c.per_pupil_day_pence,
        by_school=tuple(by_school),
        by_vehicle_type=tuple(by_type),
        current_violations=tuple(check_current_plan(scenario, matrix, baseline)),
        current_unplaced_pupil_ids=unplaced_pupil_ids(scenario),
        runs=runs,
        travel_model=matrix.model,
    )


@dataclass(frozen=True, slots=True)
class TableRow:
    """One line of a comparison table: a measure today, in the plan, and the change.

    ``unit`` is 'pence', 'min', 'count' or 'pct'; values are numbers, formatting is the
    caller's (``format_gbp`` for pence).
    """

    label: str
    unit: str
    current: float
    plan: float
    change: float


def comparison_table(comparison: Comparison) -> list[TableRow]:
    """The headline comparison as rows (cost, per pupil, vehicles, assistants, rides).

    ``change`` is plan - current (negative cost = a saving).
    """
    cur, new = comparison.current_cost, comparison.plan_cost
    cr, nr = comparison.current_rides, comparison.plan_rides
    rows: list[tuple[str, str, float, float]] = [
        ("Day cost", "pence", cur.day_pence, new.day_pence),
        ("Annual cost", "pence", cur.annual_pence, new.annual_pence),
        ("Per pupil-day", "pence", cur.per_pupil_day_pence, new.per_pupil_day_pence),
        (
            "  of which estimated (unassigned)",
            "pence",
            cur.fallback_day_pence,
            new.fallback_day_pence,
        ),
        ("Pupils", "count", cur.num_pupils, new.num_pupils),
        ("Vehicles", "count", cur.num_vehicles, new.num_vehicles),
        ("Passenger assistants", "count", cur.num_assistants, new.num_assistants),
        ("Mean ride", "min", cr.mean_min, nr.mean_min),
        ("95th percentile ride", "min", cr.p95_min, nr.p95_min),
        ("Longest ride", "min", cr.max_min, nr.max_min),
        ("Rides over 45 min", "count", cr.num_over_45_min, nr.num_over_45_min),
        ("Rides over 75 min", "count", cr.num_over_75_min, nr.num_over_75_min),
    ]
    return [TableRow(label, unit, c, p, p - c) for label, unit, c, p in rows]


def _rides_dict(stats: RideStats) -> dict[str, Any]:
    return {
        "num_rides": stats.num_rides,
        "mean_min": round(stats.mean_min, 1),
        "p95_min": round(stats.p95_min, 1),
        "max_min": round(stats.max_min, 1),
        "num_over_45_min": stats.num_over_45_min,
        "num_over_75_min": stats.num_over_75_min,
        "num_over_own_limit": stats.num_over_own_limit,
        "by_run": {s.run.value: _rides_dict(s) for s in stats.by_run if s.run is not None},
    }


def _cost_dict(cost: PlanCost) -> dict[str, Any]:
    return {
        "day_pence": cost.day_pence,
        "annual_pence": cost.annual_pence,
        "routes_day_pence": cost.routes_day_pence,
        "fallback_day_pence": cost.fallback_day_pence,
        "fallback_is_estimate": cost.has_fallback,
        "per_pupil_day_pence": cost.per_pupil_day_pence,
        "num_pupils": cost.num_pupils,
        "num_routed_pupils": cost.num_routed_pupils,
        "num_fallback_pupils": cost.num_fallback_pupils,
        "num_routes": cost.num_routes,
        "num_vehicles": cost.num_vehicles,
        "num_assistants": cost.num_assistants,
        "by_vehicle_type": [
            {
                "vehicle_type": t.vehicle_type,
                "num_vehicles": t.num_vehicles,
                "num_routes_am": t.num_routes_am,
                "num_routes_pm": t.num_routes_pm,
                "num_assistants": t.num_assistants,
                "day_pence": t.day_pence,
            }
            for t in cost.by_vehicle_type
        ],
    }


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready plain data (integer pence, minutes to 0.1)."""
    return {
        "runs": [r.value for r in comparison.runs],
        "travel_model": comparison.travel_model,
        "plan": {**_cost_dict(comparison.plan_cost), "rides": _rides_dict(comparison.plan_rides)},
        "current": {
            **_cost_dict(comparison.current_cost),
            "rides": _rides_dict(comparison.current_rides),
            "num_rule_breaks": len(comparison.current_violations),
            "rule_breaks_by_kind": dict(
                sorted(Counter(v.kind.value for v in comparison.current_violations).items())
            ),
            "unplaced_pupil_ids": list(comparison.current_unplaced_pupil_ids),
        },
        "saving_day_pence": comparison.saving_day_pence,
        "saving_annual_pence": comparison.saving_annual_pence,
        "saving_pct": round(comparison.saving_pct, 1),
        "saving_per_pupil_day_pence": comparison.saving_per_pupil_day_pence,
        "fallback_note": FALLBACK_NOTE
        if comparison.plan_cost.has_fallback or comparison.current_cost.has_fallback
        else "",
        "by_school": [
            {
                "school_id": s.school_id,
                "num_pupils_current": s.num_pupils_current,
                "num_pupils_plan": s.num_pupils_plan,
                "current_day_pence": s.current_day_pence,
                "plan_day_pence": s.plan_day_pence,
                "saving_day_pence": s.saving_day_pence,
                "saving_annual_pence": s.saving_annual_pence,
            }
            for s in comparison.by_school
        ],
        "by_vehicle_type": [
            {
                "vehicle_type": t.vehicle_type,
                "current_num_vehicles": t.current_num_vehicles,
                "plan_num_vehicles": t.plan_num_vehicles,
                "current_day_pence": t.current_day_pence,
                "plan_day_pence": t.plan_day_pence,
            }
            for t in comparison.by_vehicle_type
        ],
    }
