"""Money: what a route and a plan cost, ride-time statistics, plan vs today's arrangement.

The one place that handles money (the team's money model):

- a vehicle's ``day_rate_pence`` covers the AM and the PM run, so a route (one run) costs
  half the day rate + ``cost_per_mile_pence`` x miles + half the passenger assistant's day
  cost when it has one (:func:`route_cost_pence`);
- a plan's day cost is the sum of its routes' ``cost_pence`` (the baseline's contract
  prices are in those too); annual = day x ``policy.school_days_per_year``;
- a pupil the plan leaves unassigned still has to get to school: they are priced
  separately as a solo journey in the cheapest vehicle that fits them (an *estimate*,
  flagged as such in :class:`FallbackJourney` and kept apart from the routes' cost).

Everything here returns plain data; the CLI and the API format and print it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from routing.model import (
    METRES_PER_MILE,
    Plan,
    Policy,
    Pupil,
    RouteStart,
    Run,
    Scenario,
    StopKind,
    VehicleType,
)
from routing.network import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    pupil_location_id,
    school_location_id,
)

if TYPE_CHECKING:
    from routing.checks import Violation

_METRES_PER_MILE = Fraction(repr(METRES_PER_MILE))  # exactly 1609.344
_EARTH_RADIUS_M = 6_371_000.0
RIDE_THRESHOLDS_MIN = (45, 75)
"""The councils' ride-time benchmarks reported by :func:`ride_stats` (primary, secondary)."""

FALLBACK_NOTE = (
    "Estimated: pupils the plan leaves unassigned are priced as a solo journey in the "
    "cheapest vehicle that fits them; no such journey has been planned or checked."
)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def route_cost_pence(
    vehicle_type: VehicleType, distance_m: int, has_assistant: bool, policy: Policy
) -> int:
    """What one route (one run) costs under the money model.

    Parameters
    ----------
    vehicle_type
        The vehicle type the route uses (day rate and cost per mile).
    distance_m
        The route's distance in metres (as counted by the policy's ``route_start``).
    has_assistant
        Whether the route has a passenger assistant.
    policy
        The policy (assistant day cost).

    Returns
    -------
    int
        Half the day rate + cost per mile x miles + half the assistant's day cost if
        any, computed exactly and rounded half up to whole pence.
    """
    fixed = Fraction(vehicle_type.day_rate_pence, 2)
    if has_assistant:
        fixed += Fraction(policy.assistant_day_cost_pence, 2)
    return run_cost_pence(fixed, vehicle_type.cost_per_mile_pence, distance_m)


def run_cost_pence(fixed_pence: Fraction, cost_per_mile_pence: int, distance_m: int) -> int:
    """A run's fixed share of the day plus its mileage, exact, rounded half up to pence.

    The one rounding rule of the money model: :func:`route_cost_pence` and the solver's
    route prices both come through here, so the checker recomputes the same penny.
    """
    mileage = cost_per_mile_pence * Fraction(distance_m) / _METRES_PER_MILE
    return _round_half_up(fixed_pence + mileage)


def format_gbp(pence: int) -> str:
    """Pence as '£1,234' (whole pounds) or '£12.34' below £100, for tables."""
    if abs(pence) < 10_000:
        return f"£{pence / 100:,.2f}"
    return f"£{round(pence / 100):,}"


# --------------------------------------------------------------------------- plan cost


@dataclass(frozen=True, slots=True)
class FallbackJourney:
    """An *estimated* solo journey for a pupil the plan leaves unassigned on one run."""

    pupil_id: str
    run: Run
    school_id: str
    vehicle_type: str
    has_assistant: bool
    distance_m: int
    cost_pence: int
    reason: str  # why the pupil is unassigned (from the plan)
    is_estimate: bool = True


@dataclass(frozen=True, slots=True)
class SchoolCost:
    """One school's share of a plan: shared routes apportioned by pupils on board."""

    school_id: str
    num_pupils: int  # distinct pupils of the school the plan carries or prices as fallback
    routes_day_pence: int
    fallback_day_pence: int
    day_pence: int
    annual_pence: int
    per_pupil_day_pence: int


@dataclass(frozen=True, slots=True)
class VehicleTypeCost:
    """Routes, vehicles and cost of one vehicle type in a plan.

    ``num_vehicles`` is the larger of the AM and PM route counts (a vehicle works both
    runs); ``num_assistants`` likewise.
    """

    vehicle_type: str
    num_routes_am: int
    num_routes_pm: int
    num_vehicles: int
    num_assistants: int
    day_pence: int
    annual_pence: int


@dataclass(frozen=True, slots=True)
class PlanCost:
    """What a plan costs a day and a year, per pupil, by school and by vehicle type.

    ``day_pence`` = ``routes_day_pence`` (the routes' own ``cost_pence``) +
    ``fallback_day_pence`` (the estimated solo journeys of unassigned pupils, listed in
    ``fallback``). ``num_pupils`` counts distinct pupils carried on a route or priced as a
    fallback; ``per_pupil_day_pence`` = ``day_pence`` / ``num_pupils``.
    """

    routes_day_pence: int
    fallback_day_pence: int
    day_pence: int
    annual_pence: int
    school_days_per_year: int
    num_pupils: int
    num_routed_pupils: int
    num_fallback_pupils: int
    per_pupil_day_pence: int
    num_routes: int
    num_vehicles: int
    num_assistants: int
    by_school: tuple[SchoolCost, ...]
    by_vehicle_type: tuple[VehicleTypeCost, ...]
    fallback: tuple[FallbackJourney, ...]

    @property
    def has_fallback(self) -> bool:
        """True when part of the cost is an estimate for unassigned pupils."""
        return bool(self.fallback)


def _apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split integer pence by weights so the parts add up exactly (largest remainder)."""
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        return {}
    base = {k: total * w // weight_sum for k, w in weights.items()}
    left = total - sum(base.values())
    order = sorted(weights, key=lambda k: (-(total * weights[k] % weight_sum), k))
    for k in order[:left]:
        base[k] += 1
    return base


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _solo_distance_m(
    scenario: Scenario, pupil: Pupil, run: Run, matrix: TravelMatrix | None
) -> int:
    """Distance of a pupil's solo journey on a run, as the policy counts distance."""
    school = scenario.school(pupil.school_id)
    home_id, gate_id = pupil_location_id(pupil.pupil_id), school_location_id(school.school_id)
    start, end = (home_id, gate_id) if run is Run.AM else (gate_id, home_id)
    depot = scenario.policy.route_start is RouteStart.DEPOT
    if matrix is not None and home_id in matrix and gate_id in matrix:
        a, b = matrix.index(start), matrix.index(end)
        metres = int(matrix.distance_m[a, b])
        if depot and DEPOT_LOCATION_ID in matrix:
            d = matrix.index(DEPOT_LOCATION_ID)
            metres += int(matrix.distance_m[d, a]) + int(matrix.distance_m[b, d])
        return metres
    direct = _haversine_m(pupil.lon, pupil.lat, school.lon, school.lat)
    metres_f = direct * scenario.policy.approx_circuity_factor
    if depot and scenario.policy.depot_lon is not None and scenario.policy.depot_lat is not None:
        to_home = _haversine_m(
            scenario.policy.depot_lon, scenario.policy.depot_lat, pupil.lon, pupil.lat
        )
        to_school = _haversine_m(
            scenario.policy.depot_lon, scenario.policy.depot_lat, school.lon, school.lat
        )
        metres_f += (to_home + to_school) * scenario.policy.approx_circuity_factor
    return round(metres_f)


def _fits(vt: VehicleType, pupil: Pupil) -> bool:
    """The vehicle type can carry this pupil alone (with an assistant if needed)."""
    if not vt.satisfies(pupil.needs.vehicle_requirement):
        return False
    seats = (0 if pupil.needs.wheelchair else 1) + (1 if pupil.needs.needs_assistant else 0)
    chairs = 1 if pupil.needs.wheelchair else 0
    return any(c.seats >= seats and c.wheelchair_places >= chairs for c in vt.configurations())


def fallback_journey(
    scenario: Scenario,
    pupil: Pupil,
    run: Run,
    reason: str,
    matrix: TravelMatrix | None = None,
) -> FallbackJourney:
    """The estimated solo journey of one pupil on one run, in the cheapest fitting vehicle.

    Parameters
    ----------
    scenario
        The scenario (vehicle types, policy, the pupil's school).
    pupil
        The pupil to price.
    run
        AM or PM.
    reason
        Why the pupil needs it (the plan's unassigned reason).
    matrix
        Travel matrix for the journey's distance; without one (or without the pupil in
        it) the great-circle distance x ``policy.approx_circuity_factor`` is used.

    Returns
    -------
    FallbackJourney
        The estimate, flagged ``is_estimate``. When no vehicle type fits the pupil, the
        cheapest type overall is used and the reason says so.
    """
    distance_m = _solo_distance_m(scenario, pupil, run, matrix)
    has_pa = pupil.needs.needs_assistant
    policy = scenario.policy
    fitting = [vt for vt in scenario.vehicle_types if _fits(vt, pupil)]
    if not fitting:
        fitting = list(scenario.vehicle_types)
        reason = f"{reason} (no vehicle type fits this pupil; priced on the cheapest)"
    priced = sorted((route_cost_pence(vt, distance_m, has_pa, policy), vt.name) for vt in fitting)
    cost, name = priced[0]
    return FallbackJourney(
        pupil_id=pupil.pupil_id,
        run=run,
        school_id=pupil.school_id,
        vehicle_type=name,
        has_assistant=has_pa,
        distance_m=distance_m,
        cost_pence=cost,
        reason=reason,
    )


def plan_cost(scenario: Scenario, plan: Plan, *, matrix: TravelMatrix | None = None) -> PlanCost:
    """Day and annual cost of a plan, per pupil, by school and by vehicle type.

    Parameters
    ----------
    scenario
        The scenario the plan is for.
    plan
        The plan (its routes' ``cost_pence`` are taken as they are: the checker verifies
        them against the money model; the baseline's come from contract prices).
    matrix
        Travel matrix for pricing unassigned pupils' fallback journeys (optional; without
        it their distance is estimated from great-circle distance).

    Returns
    -------
    PlanCost
        Totals with the routes and the estimated fallback journeys kept apart. A shared
        route's cost is apportioned to schools by the number of their pupils on it.
    """
    policy = scenario.policy
    days = policy.school_days_per_year
    pupils = scenario.pupils_by_id()
    routes_day = plan.cost_pence

    fallback: list[FallbackJourney] = []
    routed_pairs = {(r.run, pid) for r in plan.routes for pid in r.pupil_ids()}
    seen: set[tuple[Run, str]] = set()
    for u in plan.unassigned:
        pupil = pupils.get(u.pupil_id)
        key = (u.run, u.pupil_id)
        if pupil is None or key in seen or key in routed_pairs:
            continue
        seen.add(key)
        fallback.append(fallback_journey(scenario, pupil, u.run, u.reason, matrix))
    fallback_day = sum(f.cost_pence for f in fallback)

    school_routes: Counter[str] = Counter()
    school_fallback: Counter[str] = Counter()
    school_pupils: dict[str, set[str]] = {}
    for route in plan.routes:
        riders = [pupils[pid] for pid in dict.fromkeys(route.pupil_ids()) if pid in pupils]
        weights = Counter(p.school_id for p in riders)
        if not weights:
            weights = Counter({"": 1})  # an empty route: nobody to charge it to
        for school_id, share in _apportion(route.cost_pence, dict(weights)).items():
            school_routes[school_id] += share
        for p in riders:
            school_pupils.setdefault(p.school_id, set()).add(p.pupil_id)
    for f in fallback:
        school_fallback[f.school_id] += f.cost_pence
        school_pupils.setdefault(f.school_id, set()).add(f.pupil_id)
    by_school = []
    for school_id in sorted(set(school_routes) | set(school_fallback)):
        day = school_routes[school_id] + school_fallback[school_id]
        n = len(school_pupils.get(school_id, ()))
        by_school.append(
            SchoolCost(
                school_id=school_id,
                num_pupils=n,
                routes_day_pence=school_routes[school_id],
                fallback_day_pence=school_fallback[school_id],
                day_pence=day,
                annual_pence=day * days,
                per_pupil_day_pence=round(day / n) if n else 0,
            )
        )

    by_type = []
    for name in sorted({r.vehicle_type for r in plan.routes}):
        of_type = [r for r in plan.routes if r.vehicle_type == name]
        am = [r for r in of_type if r.run is Run.AM]
        pm = [r for r in of_type if r.run is Run.PM]
        day = sum(r.cost_pence for r in of_type)
        by_type.append(
            VehicleTypeCost(
                vehicle_type=name,
                num_routes_am=len(am),
                num_routes_pm=len(pm),
                num_vehicles=max(len(am), len(pm)),
                num_assistants=max(
                    sum(r.has_assistant for r in am), sum(r.has_assistant for r in pm)
                ),
                day_pence=day,
                annual_pence=day * days,
            )
        )

    routed_pupils = {pid for _, pid in routed_pairs}
    fallback_pupils = {f.pupil_id for f in fallback}
    all_pupils = routed_pupils | fallback_pupils
    day_total = routes_day + fallback_day
    return PlanCost(
        routes_day_pence=routes_day,
        fallback_day_pence=fallback_day,
        day_pence=day_total,
        annual_pence=day_total * days,
        school_days_per_year=days,
        num_pupils=len(all_pupils),
        num_routed_pupils=len(routed_pupils),
        num_fallback_pupils=len(fallback_pupils - routed_pupils),
        per_pupil_day_pence=round(day_total / len(all_pupils)) if all_pupils else 0,
        num_routes=len(plan.routes),
        num_vehicles=sum(t.num_vehicles for t in by_type),
        num_assistants=sum(t.num_assistants for t in by_type),
        by_school=tuple(by_school),
        by_vehicle_type=tuple(by_type),
        fallback=tuple(fallback),
    )


# --------------------------------------------------------------------------- ride times


@dataclass(frozen=True, slots=True)
class RideStats:
    """Ride times (drop-off service start - pickup departure), in minutes.

    ``run`` None means both runs together; ``by_run`` holds each run's own stats (empty
    inside a per-run entry). ``num_over_own_limit`` counts rides over the pupil's own
    limit (``policy.max_ride_s_for``). ``p95_min`` is numpy's linear-interpolation
    95th percentile.
    """

    run: Run | None
    num_rides: int
    mean_min: float
    p95_min: float
    max_min: float
    num_over_45_min: int
    num_over_75_min: int
    num_over_own_limit: int
    by_run: tuple[RideStats, ...] = ()


def ride_times_s(plan: Plan) -> dict[tuple[Run, str], int]:
    """Each pupil's ride in seconds on each run (pupils without both stops are skipped)."""
    out: dict[tuple[Run, str], int] = {}
    for route in plan.routes:
        departed: dict[str, int] = {}
        for stop in route.stops:
            for pid in stop.pupil_ids:
                if stop.kind is StopKind.PICKUP:
                    departed.setdefault(pid, stop.departure_s)
                elif pid in departed:
                    out.setdefault((route.run, pid), stop.service_start_s - departed[pid])
    return out


def _stats(run: Run | None, rides: list[tuple[str, int]], scenario: Scenario) -> RideStats:
    pupils = scenario.pupils_by_id()
    seconds = np.asarray([s for _, s in rides], dtype=np.float64)
    over_own = sum(
        1 for pid, s in rides if pid in pupils and s > scenario.policy.max_ride_s_for(pupils[pid])
    )
    if seconds.size == 0:
        return RideStats(run, 0, 0.0, 0.0, 0.0, 0, 0, 0)
    lo, hi = RIDE_THRESHOLDS_MIN
    return RideStats(
        run=run,
        num_rides=int(seconds.size),
        mean_min=float(seconds.mean() / 60),
        p95_min=float(np.percentile(seconds, 95) / 60),
        max_min=float(seconds.max() / 60),
        num_over_45_min=int((seconds > lo * 60).sum()),
        num_over_75_min=int((seconds > hi * 60).sum()),
        num_over_own_limit=over_own,
    )


def ride_stats(scenario: Scenario, plan: Plan) -> RideStats:
    """Mean, 95th percentile and longest ride, and rides over 45 and 75 minutes.

    Parameters
    ----------
    scenario
        The scenario (for each pupil's own ride limit).
    plan
        The plan whose rides are measured.

    Returns
    -------
    RideStats
        Both runs together, with each run's stats in ``by_run`` (AM then PM, only runs
        the plan has rides in).
    """
    rides = ride_times_s(plan)
    per_run = []
    for run in Run:
        these = [(pid, s) for (r, pid), s in rides.items() if r is run]
        if these:
            per_run.append(_stats(run, these, scenario))
    overall = _stats(None, [(pid, s) for (_, pid), s in rides.items()], scenario)
    return RideStats(
        run=None,
        num_rides=overall.num_rides,
        mean_min=overall.mean_min,
        p95_min=overall.p95_min,
        max_min=overall.max_min,
        num_over_45_min=overall.num_over_45_min,
        num_over_75_min=overall.num_over_75_min,
        num_over_own_limit=overall.num_over_own_limit,
        by_run=tuple(per_run),
    )


# --------------------------------------------------------------------------- comparison


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
    from routing.baseline import check_current_plan, current_plan, unplaced_pupil_ids

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
