"""The scenario checker: a plan judged against the scenario and the travel matrix only."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from routing.checks.route import Item, RouteTrace, Travel, simulate_route
from routing.checks.rules import coverage, fleet, incompatible_on_route, split_groups
from routing.checks.violations import COST_TOLERANCE_PENCE, Violation, ViolationKind
from routing.checks.walks import check_walks
from routing.costing import route_cost_pence
from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    collection_point_location_id,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    Plan,
    Policy,
    Pupil,
    Route,
    RouteStart,
    Run,
    Scenario,
    School,
    VehicleConfig,
    VehicleType,
)

logger = logging.getLogger(__name__)

_COLOCATION_DECIMALS = 6
"""Pupils whose lon/lat agree to this many decimals live at one address."""


def check_plan(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    *,
    runs: Iterable[Run] | None = None,
) -> list[Violation]:
    """Every rule a plan breaks, recomputed from the scenario and the travel matrix only.

    Parameters
    ----------
    scenario
        The scenario the plan is for (pupils, schools, vehicle types, policy).
    matrix
        The travel matrix the plan was made on (``pupil:<id>``, ``school:<id>``, ``depot``).
    plan
        The plan to judge.
    runs
        The runs whose coverage is checked (every pupil who attends the run routed once or
        unassigned once). Default: the runs the plan has routes or unassigned pupils in.

    Returns
    -------
    list[Violation]
        Empty when the plan holds every rule; otherwise one violation per pupil and rule
        (route-wide rules with an empty ``pupil_id``), in run, route, stop order.

    Notes
    -----
    Siblings are judged only when at least two of them are routed: a sibling the pre-check
    left unassigned (with its reason) does not make the others' routes wrong; groups whose
    sharing would break a stronger rule are exempt (see ``_sibling_groups``). A route's
    cost is judged on the distance the checker measured on the matrix (its stated
    ``distance_m`` when a leg could not be measured), so a route whose distance is
    misstated but whose price is right shows only the distance violation.
    """
    policy = scenario.policy
    travel = Travel(
        matrix.location_ids, matrix.duration_s, matrix.distance_m, matrix.lons, matrix.lats
    )
    context = _Context(
        scenario=scenario,
        pupils=scenario.pupils_by_id(),
        types={vt.name: vt for vt in scenario.vehicle_types},
        homes=_home_location_ids(scenario, plan),
        travel=travel,
        depot=DEPOT_LOCATION_ID if policy.route_start is RouteStart.DEPOT else None,
        pairs=[(p.pupil_a, p.pupil_b) for p in scenario.incompatible_pairs],
        sibling_groups=_sibling_groups(scenario),
    )
    violations: list[Violation] = []
    checked = _runs_to_check(plan, runs)
    if checked:
        violations.extend(check_walks(scenario, plan.walks, checked[0]))
    for run in checked:
        violations.extend(_check_run(context, plan, run))
    if violations:
        logger.info("checker: %d violation(s) in plan '%s'", len(violations), plan.scenario_name)
    return violations


@dataclass(frozen=True, slots=True)
class _Context:
    """What every run's check reads from the scenario, built once per plan."""

    scenario: Scenario
    pupils: Mapping[str, Pupil]
    types: Mapping[str, VehicleType]
    homes: Mapping[str, frozenset[str]]
    travel: Travel
    depot: str | None
    pairs: Sequence[tuple[str, str]]
    sibling_groups: Sequence[Sequence[str]]


def _check_run(context: _Context, plan: Plan, run: Run) -> list[Violation]:
    """One run of the plan: its routes, its fleet, siblings, unassigned and coverage."""
    scenario, pupils, types = context.scenario, context.pupils, context.types
    schools = scenario.schools_by_id()
    items = {
        p.pupil_id: _pupil_item(
            p, schools[p.school_id], run, scenario, context.homes[p.pupil_id], context.travel
        )
        for p in scenario.pupils
    }
    routes = plan.routes_for(run)
    violations = _duplicate_route_ids(run, routes)
    routed: dict[str, list[str]] = {}
    for route in routes:
        vt = types.get(route.vehicle_type)
        trace = simulate_route(
            route,
            items,
            context.travel,
            start_loc=context.depot,
            end_loc=context.depot,
            max_duration_s=vt.max_shift_s if vt is not None else None,
        )
        violations.extend(trace.violations)
        for pid in trace.pupil_ids:
            routed.setdefault(pid, []).append(route.route_id)
        violations.extend(
            _scenario_route_rules(scenario, route, vt, trace.pupil_ids, pupils, context.pairs)
        )
        if vt is not None:
            violations.extend(_cost_violations(route, vt, trace, scenario.policy))
    violations.extend(fleet(run, routes, {n: vt.num_available for n, vt in types.items()}))
    route_of = {pid: rids[0] for pid, rids in routed.items()}
    violations.extend(split_groups(run, context.sibling_groups, route_of, "Sibling"))
    unassigned = [u.pupil_id for u in plan.unassigned if u.run is run]
    violations.extend(_unassigned_off_their_run(run, unassigned, pupils))
    expected = [p.pupil_id for p in scenario.pupils if run in p.runs()]
    violations.extend(coverage(run, expected, routed, unassigned, set(pupils)))
    return violations


def _duplicate_route_ids(run: Run, routes: Sequence[Route]) -> list[Violation]:
    route_ids = Counter(r.route_id for r in routes)
    return [
        Violation(
            ViolationKind.DUPLICATE,
            run,
            rid,
            "",
            f"Route id '{rid}' is used by {count} routes of the {run.value} run.",
        )
        for rid, count in sorted(route_ids.items())
        if count > 1
    ]


def _cost_violations(
    route: Route, vt: VehicleType, trace: RouteTrace, policy: Policy
) -> list[Violation]:
    """The route's price is the money model's for the distance the checker measured."""
    measured_m = trace.distance_m if trace.distance_m is not None else route.distance_m
    expected_cost = route_cost_pence(vt, measured_m, route.has_assistant, policy)
    if abs(route.cost_pence - expected_cost) <= COST_TOLERANCE_PENCE:
        return []
    return [
        Violation(
            ViolationKind.COST,
            route.run,
            route.route_id,
            "",
            f"Route '{route.route_id}' states cost_pence {route.cost_pence} "
            f"but the money model gives {expected_cost} for "
            f"{measured_m} m on '{vt.name}'"
            f"{' with an assistant' if route.has_assistant else ''}.",
        )
    ]


def _unassigned_off_their_run(
    run: Run, unassigned: Sequence[str], pupils: Mapping[str, Pupil]
) -> list[Violation]:
    out: list[Violation] = []
    for pid in dict.fromkeys(unassigned):
        pupil = pupils.get(pid)
        if pupil is not None and run not in pupil.runs():
            out.append(
                Violation(
                    ViolationKind.WRONG_RUN,
                    run,
                    "",
                    pid,
                    f"Pupil '{pid}' is listed as unassigned in the {run.value} run, "
                    "which they do not attend.",
                )
            )
    return out


def _home_location_ids(scenario: Scenario, plan: Plan) -> dict[str, frozenset[str]]:
    """Each pupil's acceptable home-end stops: the collection point the plan says they walk
    to; else their own home, or a co-located pupil's (siblings)."""
    at: dict[tuple[float, float], list[str]] = {}
    for p in scenario.pupils:
        key = (round(p.lon, _COLOCATION_DECIMALS), round(p.lat, _COLOCATION_DECIMALS))
        at.setdefault(key, []).append(pupil_location_id(p.pupil_id))
    walks = {w.pupil_id: w.point_id for w in plan.walks}
    out: dict[str, frozenset[str]] = {}
    for p in scenario.pupils:
        key = (round(p.lon, _COLOCATION_DECIMALS), round(p.lat, _COLOCATION_DECIMALS))
        point_id = walks.get(p.pupil_id)
        if point_id is not None:
            out[p.pupil_id] = frozenset({collection_point_location_id(point_id)})
        else:
            out[p.pupil_id] = frozenset(at[key])
    return out


def _ride_limit_s(
    pupil: Pupil, run: Run, scenario: Scenario, travel: Travel, homes: frozenset[str]
) -> int:
    """The pupil's ride limit from the policy and their direct trip on the matrix (from
    their collection point when they walk to one)."""
    own = pupil_location_id(pupil.pupil_id)
    home = travel.row(own if own in homes else min(homes))
    gate = travel.row(school_location_id(pupil.school_id))
    if home is None or gate is None:
        return scenario.policy.max_ride_s_for(pupil)
    direct_s = travel.leg(home, gate)[0] if run is Run.AM else travel.leg(gate, home)[0]
    return scenario.policy.ride_limit_s(pupil, direct_s)


def _pupil_item(
    pupil: Pupil,
    school: School,
    run: Run,
    scenario: Scenario,
    homes: frozenset[str],
    travel: Travel,
) -> Item:
    gate = frozenset({school_location_id(school.school_id)})
    is_am = run is Run.AM
    return Item(
        item_id=pupil.pupil_id,
        pupil_ids=(pupil.pupil_id,),
        seats=0 if pupil.needs.wheelchair else 1,
        wheelchairs=1 if pupil.needs.wheelchair else 0,
        pickup_service_s=pupil.needs.boarding_s if is_am else school.handover_s,
        dropoff_service_s=school.handover_s if is_am else pupil.needs.boarding_s,
        pickup_locations=homes if is_am else gate,
        dropoff_locations=gate if is_am else homes,
        pickup_window_s=None if is_am else school.pm_departure_window_s,
        dropoff_window_s=school.am_arrival_window_s if is_am else None,
        max_ride_s=_ride_limit_s(pupil, run, scenario, travel, homes),
        travel_alone=pupil.needs.travel_alone,
    )


def _sibling_groups(scenario: Scenario) -> list[list[str]]:
    """Sibling groups that must share a vehicle.

    A group is exempt when sharing would break a stronger rule (the same precedence the
    problem builder applies): a member who must travel alone, an incompatible pair inside
    the group, or members at different schools while mixed-school routes are forbidden.
    """
    groups: dict[str, list[Pupil]] = {}
    for p in scenario.pupils:
        if p.sibling_group:
            groups.setdefault(p.sibling_group, []).append(p)
    pairs = {frozenset((p.pupil_a, p.pupil_b)) for p in scenario.incompatible_pairs}
    out: list[list[str]] = []
    for members in groups.values():
        ids = [p.pupil_id for p in members]
        if len(ids) < 2 or any(p.needs.travel_alone for p in members):
            continue
        if any(frozenset((a, b)) in pairs for i, a in enumerate(ids) for b in ids[i + 1 :]):
            continue
        schools = {p.school_id for p in members}
        if len(schools) > 1 and not scenario.policy.allow_mixed_school_routes:
            continue
        out.append(ids)
    return out


def _layout_violation(route: Route, vt: VehicleType) -> Violation | None:
    """The route's layout (plus the assistant's seat) must be one of the type's layouts."""
    layout = VehicleConfig(
        seats=route.seats + (1 if route.has_assistant else 0),
        wheelchair_places=route.wheelchair_places,
    )
    if layout in vt.configurations():
        return None
    kind = (
        ViolationKind.WHEELCHAIR
        if route.wheelchair_places > vt.max_wheelchair_places
        else ViolationKind.LOAD
    )
    pa = " (plus the assistant's seat)" if route.has_assistant else ""
    layouts = ", ".join(f"{c.seats}+{c.wheelchair_places}wc" for c in vt.configurations())
    return Violation(
        kind,
        route.run,
        route.route_id,
        "",
        f"Route '{route.route_id}' claims {route.seats} seats{pa} and "
        f"{route.wheelchair_places} wheelchair places, not a layout of vehicle type "
        f"'{vt.name}' ({layouts}).",
    )


def _runs_to_check(plan: Plan, runs: Iterable[Run] | None) -> list[Run]:
    if runs is not None:
        wanted = set(runs)
    else:
        wanted = {r.run for r in plan.routes} | {u.run for u in plan.unassigned}
    return [run for run in Run if run in wanted]


def _scenario_route_rules(
    scenario: Scenario,
    route: Route,
    vt: VehicleType | None,
    pupil_ids: Sequence[str],
    pupils: Mapping[str, Pupil],
    pairs: Sequence[tuple[str, str]],
) -> list[Violation]:
    """Rules about who may ride a route: vehicle, assistant, run, pairs, schools."""
    run = route.run
    out: list[Violation] = []

    def add(kind: ViolationKind, pupil_id: str, message: str) -> None:
        out.append(Violation(kind, run, route.route_id, pupil_id, message))

    if vt is None:
        add(
            ViolationKind.UNKNOWN,
            "",
            f"Route '{route.route_id}' uses unknown vehicle type '{route.vehicle_type}'.",
        )
    else:
        layout = _layout_violation(route, vt)
        if layout is not None:
            out.append(layout)
    riders = [pupils[pid] for pid in pupil_ids]
    for pupil in riders:
        pid = pupil.pupil_id
        if run not in pupil.runs():
            add(
                ViolationKind.WRONG_RUN,
                pid,
                f"Pupil '{pid}' rides route '{route.route_id}' of the {run.value} run, which "
                "they do not attend.",
            )
        if pupil.needs.needs_assistant and not route.has_assistant:
            add(
                ViolationKind.ASSISTANT,
                pid,
                f"Pupil '{pid}' needs a passenger assistant but route '{route.route_id}' has none.",
            )
        if vt is not None and not vt.satisfies(pupil.needs.vehicle_requirement):
            add(
                ViolationKind.VEHICLE_REQUIREMENT,
                pid,
                f"Pupil '{pid}' needs a {pupil.needs.vehicle_requirement.value} vehicle but "
                f"route '{route.route_id}' uses '{vt.name}'.",
            )
    members = set(pupil_ids)
    out.extend(incompatible_on_route(route, pairs, members, "Pupils"))
    school_ids = sorted({p.school_id for p in riders})
    if len(school_ids) > 1 and not scenario.policy.allow_mixed_school_routes:
        add(
            ViolationKind.MIXED_SCHOOL,
            "",
            f"Route '{route.route_id}' carries pupils of {len(school_ids)} schools "
            f"({', '.join(school_ids)}) but the policy forbids mixed-school routes.",
        )
    return out
