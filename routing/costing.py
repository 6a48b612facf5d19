"""Money: what a route and a plan cost, a day and a year (the team's money model).

- a vehicle's ``day_rate_pence`` covers the AM and the PM run, so a route (one run) costs
  half the day rate + ``cost_per_mile_pence`` x miles + half the passenger assistant's day
  cost when it has one (:func:`route_cost_pence`);
- a plan's day cost is the sum of its routes' ``cost_pence`` (``Plan.cost_pence``; the
  baseline's contract prices are in those too); annual = day x
  ``policy.school_days_per_year``;
- a pupil the plan leaves unassigned still has to get to school: they are priced
  separately as a solo journey in the cheapest vehicle that fits them (an *estimate*,
  flagged as such in :class:`FallbackJourney` and kept apart from the routes' cost);
- every penny is rounded by one rule, :func:`round_pence` (exact, half up).

A leaf: it imports the domain model and the travel matrix, no planner (the checker, the
baseline, the solver and :mod:`routing.comparison` import it). Everything here returns
plain data; ride times are :mod:`routing.rides`, today against the plan is
:mod:`routing.comparison`, text is :mod:`routing.summary`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    great_circle_m,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    METRES_PER_MILE,
    Plan,
    Policy,
    Pupil,
    RouteStart,
    Run,
    Scenario,
    VehicleType,
)

_METRES_PER_MILE = Fraction(repr(METRES_PER_MILE))  # exactly 1609.344

FALLBACK_NOTE = (
    "Estimated: pupils the plan leaves unassigned are priced as a solo journey in the "
    "cheapest vehicle that fits them; no such journey has been planned or checked."
)


def round_pence(pence: Fraction | int | float) -> int:
    """Whole pence, half up: the one rounding rule of the money model.

    Every penny the project computes comes through here (route prices, the solver's,
    the checker's and the baseline's, per-pupil shares, budgets), so two sides that price
    the same thing get the same penny. A ``Fraction`` is rounded exactly; a ``float`` is
    taken as the decimal it prints as (``round_pence(2.5) == 3``, ``round_pence(-2.5)
    == -2``), not as its binary value.
    """
    exact = Fraction(repr(pence)) if isinstance(pence, float) else Fraction(pence)
    return math.floor(exact + Fraction(1, 2))


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


def mileage_pence(pence_per_mile: int, distance_m: int) -> Fraction:
    """Exact pence for ``distance_m`` at ``pence_per_mile`` (round once, at the end, with
    :func:`round_pence`)."""
    return pence_per_mile * Fraction(distance_m) / _METRES_PER_MILE


def run_cost_pence(fixed_pence: Fraction, cost_per_mile_pence: int, distance_m: int) -> int:
    """A run's fixed share of the day plus its mileage, exact, rounded half up to pence.

    :func:`route_cost_pence` and the solver's route prices (:func:`units_run_cost_pence`)
    both come through here, so the checker recomputes the same penny.
    """
    return round_pence(fixed_pence + mileage_pence(cost_per_mile_pence, distance_m))


def units_run_cost_pence(
    fixed_units: int,
    cost_per_m_units: int,
    distance_m: int,
    units_per_pence: int,
    cost_per_mile_pence: int | None = None,
) -> int:
    """A run priced from the solver's objective units (the solver's route prices).

    Parameters
    ----------
    fixed_units
        The run's fixed cost (its share of the day rate, and of the assistant's day cost
        when it has one) in objective units.
    cost_per_m_units
        Objective units per metre driven (used when there is no exact mileage rate).
    distance_m
        The run's distance in metres.
    units_per_pence
        Objective units per penny.
    cost_per_mile_pence
        The exact mileage rate in pence, when the vehicle type has one: the price is then
        :func:`run_cost_pence`'s, the same penny the checker recomputes.

    Returns
    -------
    int
        Whole pence, rounded by :func:`round_pence`.
    """
    if cost_per_mile_pence is not None:
        fixed = Fraction(fixed_units, units_per_pence)
        return run_cost_pence(fixed, cost_per_mile_pence, distance_m)
    return round_pence(Fraction(fixed_units + cost_per_m_units * distance_m, units_per_pence))


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
    direct = great_circle_m(pupil.lon, pupil.lat, school.lon, school.lat)
    metres_f = direct * scenario.policy.approx_circuity_factor
    if depot and scenario.policy.depot_lon is not None and scenario.policy.depot_lat is not None:
        to_home = great_circle_m(
            scenario.policy.depot_lon, scenario.policy.depot_lat, pupil.lon, pupil.lat
        )
        to_school = great_circle_m(
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

    by_school = _by_school(plan, fallback, pupils, days)
    by_type = _by_vehicle_type(plan, days)

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
        per_pupil_day_pence=(
            round_pence(Fraction(day_total, len(all_pupils))) if all_pupils else 0
        ),
        num_routes=len(plan.routes),
        num_vehicles=sum(t.num_vehicles for t in by_type),
        num_assistants=sum(t.num_assistants for t in by_type),
        by_school=tuple(by_school),
        by_vehicle_type=tuple(by_type),
        fallback=tuple(fallback),
    )


def _by_school(
    plan: Plan, fallback: Sequence[FallbackJourney], pupils: Mapping[str, Pupil], days: int
) -> list[SchoolCost]:
    """Each school's share: shared routes apportioned by its pupils on board."""
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
    by_school: list[SchoolCost] = []
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
                per_pupil_day_pence=round_pence(Fraction(day, n)) if n else 0,
            )
        )
    return by_school


def _by_vehicle_type(plan: Plan, days: int) -> list[VehicleTypeCost]:
    """Routes, vehicles (the larger of AM and PM) and day cost of each vehicle type."""
    by_type: list[VehicleTypeCost] = []
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
    return by_type
