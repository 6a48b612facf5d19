"""Today's arrangement as a plan: the routes the council runs now, with times and prices.

``scenario.current_routes`` says which pupils ride together in which vehicle type, with or
without a passenger assistant, and at what contract day price when known. It does not say
the stop order or times, so :func:`current_plan` reconstructs them the way a driver would:

- AM: pickups in nearest-neighbour order (by drive time), starting from the home farthest
  from the school, then the school(s) (nearest first); pupils at one address share a stop;
- PM: the school(s) in reverse order, then the homes in the reverse of the AM order;
- times from the travel matrix, starting as late as possible so every AM school arrival is
  in its window (waiting at a school if an earlier drop-off would be too early); PM leaves
  each school at the end of its day;
- priced by the contract's ``day_price_pence`` when known (half AM, half PM; a route that
  runs only one of the two carries the whole day), else by the money model
  (:func:`routing.costing.route_cost_pence`).

Today's routes need not pass the checker (they may break rules the plan must keep);
:func:`check_current_plan` lists their violations for information only.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from routing.checks import Violation, ViolationKind, check_plan
from routing.costing import route_cost_pence
from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    CurrentRoute,
    Plan,
    Pupil,
    Route,
    RouteStart,
    Run,
    Scenario,
    Stop,
    StopKind,
    Unassigned,
    UnassignedCode,
    VehicleConfig,
    VehicleType,
)

logger = logging.getLogger(__name__)

_COLOCATION_DECIMALS = 6

BASELINE_NOTE = (
    "Today's arrangement, reconstructed from current_routes: stop order by nearest "
    "neighbour, times from the travel matrix with each school arrival in its window, "
    "contract day prices split half AM, half PM where known, else the money model."
)


@dataclass(frozen=True, slots=True)
class _Visit:
    """One planned stop before timing: who, where, and its service time."""

    kind: StopKind
    pupils: tuple[Pupil, ...]
    location_id: str
    row: int
    service_s: int
    school_id: str = ""


def unplaced_pupil_ids(scenario: Scenario) -> tuple[str, ...]:
    """Pupils on no route of today's arrangement, in scenario order."""
    placed = {pid for r in scenario.current_routes for pid in r.pupil_ids}
    return tuple(p.pupil_id for p in scenario.pupils if p.pupil_id not in placed)


def _route_id(current: CurrentRoute, run: Run) -> str:
    return f"{current.route_id}-{run.value}"


def _layout(vt: VehicleType, wheelchairs: int, has_assistant: bool) -> VehicleConfig:
    """The layout with the fewest wheelchair places that takes everyone's chairs."""
    configs = vt.configurations()
    fitting = [c for c in configs if c.wheelchair_places >= wheelchairs]
    config = fitting[0] if fitting else configs[-1]
    return VehicleConfig(config.seats - (1 if has_assistant else 0), config.wheelchair_places)


def _reachable(matrix: TravelMatrix, pupil: Pupil) -> bool:
    home, gate = pupil_location_id(pupil.pupil_id), school_location_id(pupil.school_id)
    if home not in matrix or gate not in matrix:
        return False
    a, b = matrix.index(home), matrix.index(gate)
    return matrix.is_reachable(a, b) and matrix.is_reachable(b, a)


def _home_visits(
    scenario: Scenario, matrix: TravelMatrix, pupils: Sequence[Pupil], kind: StopKind
) -> list[_Visit]:
    """One stop per address (siblings and neighbours at one address share it)."""
    at: dict[tuple[float, float], list[Pupil]] = {}
    for p in pupils:
        key = (round(p.lon, _COLOCATION_DECIMALS), round(p.lat, _COLOCATION_DECIMALS))
        at.setdefault(key, []).append(p)
    visits = []
    for group in at.values():
        loc = pupil_location_id(group[0].pupil_id)
        visits.append(
            _Visit(
                kind=kind,
                pupils=tuple(group),
                location_id=loc,
                row=matrix.index(loc),
                service_s=sum(p.needs.boarding_s for p in group),
            )
        )
    return visits


def _school_visits(
    scenario: Scenario, matrix: TravelMatrix, pupils: Sequence[Pupil], kind: StopKind
) -> list[_Visit]:
    by_school: dict[str, list[Pupil]] = {}
    for p in pupils:
        by_school.setdefault(p.school_id, []).append(p)
    visits = []
    for school_id, group in by_school.items():
        loc = school_location_id(school_id)
        visits.append(
            _Visit(
                kind=kind,
                pupils=tuple(group),
                location_id=loc,
                row=matrix.index(loc),
                service_s=scenario.school(school_id).handover_s * len(group),
                school_id=school_id,
            )
        )
    return visits


def _nearest_neighbour(matrix: TravelMatrix, start_row: int, visits: list[_Visit]) -> list[_Visit]:
    """Visits in nearest-neighbour order (by drive time) from ``start_row``; ties keep order."""
    left = list(visits)
    order: list[_Visit] = []
    here = start_row
    while left:
        nxt = min(left, key=lambda v: int(matrix.duration_s[here, v.row]))
        left.remove(nxt)
        order.append(nxt)
        here = nxt.row
    return order


def _am_order(scenario: Scenario, matrix: TravelMatrix, pupils: Sequence[Pupil]) -> list[_Visit]:
    homes = _home_visits(scenario, matrix, pupils, StopKind.PICKUP)
    schools = _school_visits(scenario, matrix, pupils, StopKind.DROPOFF)
    gate = schools[0].row
    first = max(homes, key=lambda v: int(matrix.duration_s[v.row, gate]))
    rest = [v for v in homes if v is not first]
    pickups = [first, *_nearest_neighbour(matrix, first.row, rest)]
    return pickups + _nearest_neighbour(matrix, pickups[-1].row, schools)


def _pm_order(scenario: Scenario, matrix: TravelMatrix, pupils: Sequence[Pupil]) -> list[_Visit]:
    am = _am_order(scenario, matrix, pupils)
    schools = [v for v in reversed(am) if v.kind is StopKind.DROPOFF]
    homes = [v for v in reversed(am) if v.kind is StopKind.PICKUP]
    return [
        *(
            _Visit(StopKind.PICKUP, v.pupils, v.location_id, v.row, v.service_s, v.school_id)
            for v in schools
        ),
        *(_Visit(StopKind.DROPOFF, v.pupils, v.location_id, v.row, v.service_s) for v in homes),
    ]


def _timed_stops(
    scenario: Scenario, matrix: TravelMatrix, visits: Sequence[_Visit], run: Run
) -> tuple[Stop, ...]:
    """Stops with arrival, service start and departure from the matrix and the windows."""

    def earliest(v: _Visit) -> int | None:
        if not v.school_id:
            return None
        school = scenario.school(v.school_id)
        return school.am_arrival_window_s[0] if run is Run.AM else school.pm_end_s

    def forward(start_s: int, *, wait: bool = True) -> list[tuple[int, int, int]]:
        times: list[tuple[int, int, int]] = []
        t = start_s
        for i, v in enumerate(visits):
            if i:
                t = times[-1][2] + int(matrix.duration_s[visits[i - 1].row, v.row])
            open_s = earliest(v) if wait else None
            service_start = t if open_s is None else max(t, open_s)
            times.append((t, service_start, service_start + v.service_s))
        return times

    if run is Run.AM:
        # The latest start that keeps every school's service start at or before its close.
        relative = forward(0, wait=False)
        offset = min(
            scenario.school(v.school_id).am_arrival_window_s[1] - rel[1]
            for v, rel in zip(visits, relative, strict=True)
            if v.school_id
        )
        times = forward(offset)
    else:
        first_open = earliest(visits[0])
        times = forward(first_open if first_open is not None else 0)
    return tuple(
        Stop(
            kind=v.kind,
            pupil_ids=tuple(p.pupil_id for p in v.pupils),
            location_id=v.location_id,
            lon=float(matrix.lons[v.row]),
            lat=float(matrix.lats[v.row]),
            arrival_s=arrival,
            service_start_s=start,
            departure_s=departure,
            school_id=v.school_id,
        )
        for v, (arrival, start, departure) in zip(visits, times, strict=True)
    )


def _measure(scenario: Scenario, matrix: TravelMatrix, stops: Sequence[Stop]) -> tuple[int, int]:
    """(distance_m, duration_s) as the policy counts them (with depot legs if used)."""
    rows = [matrix.index(s.location_id) for s in stops]
    distance = sum(int(matrix.distance_m[a, b]) for a, b in itertools.pairwise(rows))
    start_s, end_s = stops[0].arrival_s, stops[-1].departure_s
    if scenario.policy.route_start is RouteStart.DEPOT and DEPOT_LOCATION_ID in matrix:
        d = matrix.index(DEPOT_LOCATION_ID)
        distance += int(matrix.distance_m[d, rows[0]]) + int(matrix.distance_m[rows[-1], d])
        start_s -= int(matrix.duration_s[d, rows[0]])
        end_s += int(matrix.duration_s[rows[-1], d])
    return distance, end_s - start_s


def current_plan(scenario: Scenario, matrix: TravelMatrix) -> Plan:
    """Today's arrangement as a plan with stop order, times and prices.

    Parameters
    ----------
    scenario
        The scenario; its ``current_routes`` are today's arrangement.
    matrix
        Travel matrix for the stop order, times and distances.

    Returns
    -------
    Plan
        One AM and one PM route per current route (route ids ``<route_id>-AM`` /
        ``-PM``; a run none of its pupils attend has no route). Pupils on no current
        route are listed as unassigned (code ``not_in_current_arrangement``), pupils whose
        home or school is not reachable in the matrix with code ``unreachable``. The plan
        may break rules: see :func:`check_current_plan`.
    """
    pupils = scenario.pupils_by_id()
    routes: list[Route] = []
    unassigned: list[Unassigned] = []
    reported: set[str] = set()
    for current in scenario.current_routes:
        riders = [pupils[pid] for pid in dict.fromkeys(current.pupil_ids)]
        reachable = []
        for p in riders:
            if _reachable(matrix, p):
                reachable.append(p)
            elif p.pupil_id not in reported:
                reported.add(p.pupil_id)
                unassigned += [
                    Unassigned(
                        p.pupil_id,
                        run,
                        "home or school location could not be reached on the road network",
                        code=UnassignedCode.UNREACHABLE,
                    )
                    for run in p.runs()
                ]
        routes += _routes_of(scenario, matrix, current, reachable)
    routes.sort(key=lambda r: (r.run is Run.PM, r.route_id))
    unplaced = unplaced_pupil_ids(scenario)
    for pid in unplaced:
        unassigned += [
            Unassigned(
                pid,
                run,
                "not on any route of the current arrangement",
                code=UnassignedCode.NOT_IN_CURRENT_ARRANGEMENT,
            )
            for run in pupils[pid].runs()
        ]
    notes = [BASELINE_NOTE]
    if unplaced:
        notes.append(f"{len(unplaced)} pupil(s) are on no route of the current arrangement.")
        logger.info("baseline: %d pupil(s) on no current route", len(unplaced))
    return Plan(
        scenario_name=scenario.name,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        travel_model=matrix.model,
        notes=tuple(notes),
    )


def _routes_of(
    scenario: Scenario, matrix: TravelMatrix, current: CurrentRoute, riders: Sequence[Pupil]
) -> list[Route]:
    """One current route's AM and PM routes (a run none of its riders attend has none)."""
    vt = scenario.vehicle_type(current.vehicle_type)
    by_id = {p.pupil_id: p for p in riders}
    by_run: dict[Run, tuple[Stop, ...]] = {}
    for run in Run:
        members = [p for p in riders if run in p.runs()]
        if not members:
            continue
        visits = (
            _am_order(scenario, matrix, members)
            if run is Run.AM
            else _pm_order(scenario, matrix, members)
        )
        by_run[run] = _timed_stops(scenario, matrix, visits, run)
    routes = []
    for run, stops in by_run.items():
        wheelchairs = sum(1 for pid in _pickup_ids(stops) if by_id[pid].needs.wheelchair)
        layout = _layout(vt, wheelchairs, current.has_assistant)
        distance_m, duration_s = _measure(scenario, matrix, stops)
        routes.append(
            Route(
                route_id=_route_id(current, run),
                run=run,
                vehicle_type=vt.name,
                seats=layout.seats,
                wheelchair_places=layout.wheelchair_places,
                has_assistant=current.has_assistant,
                stops=stops,
                distance_m=distance_m,
                duration_s=duration_s,
                cost_pence=_run_price_pence(scenario, current, run, distance_m, len(by_run)),
            )
        )
    return routes


def _run_price_pence(
    scenario: Scenario, current: CurrentRoute, run: Run, distance_m: int, num_runs: int
) -> int:
    """The contract's day price split half AM, half PM, or the money model without one."""
    if current.day_price_pence is None:
        vt = scenario.vehicle_type(current.vehicle_type)
        return route_cost_pence(vt, distance_m, current.has_assistant, scenario.policy)
    if num_runs == 1:
        return current.day_price_pence
    half = current.day_price_pence // 2  # AM takes the odd penny: the halves add up
    return current.day_price_pence - half if run is Run.AM else half


def _pickup_ids(stops: Sequence[Stop]) -> list[str]:
    return [pid for s in stops if s.kind is StopKind.PICKUP for pid in s.pupil_ids]


def check_current_plan(scenario: Scenario, matrix: TravelMatrix, plan: Plan) -> list[Violation]:
    """The rules today's arrangement breaks, for information.

    The checker's list, less the cost findings on routes priced by their contract (a
    contract price is not the money model's by design).

    Parameters
    ----------
    scenario
        The scenario.
    matrix
        The travel matrix the baseline was timed on.
    plan
        The baseline plan from :func:`current_plan`.

    Returns
    -------
    list[Violation]
        What today's routes break (not an error: they are what the council runs now).
    """
    contract = {
        _route_id(c, run)
        for c in scenario.current_routes
        if c.day_price_pence is not None
        for run in Run
    }
    return [
        v
        for v in check_plan(scenario, matrix, plan)
        if not (v.kind is ViolationKind.COST and v.route_id in contract)
    ]


__all__ = ["check_current_plan", "current_plan", "unplaced_pupil_ids"]
