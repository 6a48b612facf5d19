"""Independent feasibility checker: recomputes a plan from the scenario and the matrix.

Every plan passes :func:`check_plan` before it is returned or written. The checker
recomputes loads, times, ride times, distances and costs from the scenario and the
:class:`~routing.network.TravelMatrix` alone. It deliberately does **not** import OR-Tools,
``routing.solver`` or ``routing.problem``: a bug in the problem builder (a wrong window, a
wrong service time) must not hide in both the solver's model and its check.

:func:`check_problem_plan` judges plans of problems built directly as a
``routing.problem.Problem`` (the public benchmarks), reading only that problem's data.
Both functions share one route simulation (:func:`_simulate_route`).

Conventions (the team's money and time model):

- ride time = drop-off service start - pickup departure (end of pickup service, Cordeau);
- a stop's service time = sum of ``boarding_s`` of the pupils at a home stop,
  ``school.handover_s`` per pupil at a school stop;
- arrival at a stop >= previous departure + travel ``duration_s`` (the vehicle may wait
  on the way), ``service_start_s >= arrival_s``, ``departure_s = service_start_s +
  service``; times may be off by ``TIME_TOLERANCE_S`` for rounding;
- route duration = first arrival to last departure, or depot to depot;
- a route's ``distance_m`` is the matrix sum of its legs (``DISTANCE_TOLERANCE_M`` per leg);
- a wheelchair user takes a wheelchair place, every other pupil a seat; a passenger
  assistant has already taken a seat (``Route.seats`` is what is left for pupils).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from routing.costing import route_cost_pence
from routing.model import (
    Plan,
    Pupil,
    Route,
    RouteStart,
    Run,
    Scenario,
    School,
    StopKind,
    VehicleConfig,
    VehicleType,
)
from routing.network import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    pupil_location_id,
    school_location_id,
)

if TYPE_CHECKING:  # typing only: the scenario check must never run problem.py code
    from routing.problem import Problem

logger = logging.getLogger(__name__)

TIME_TOLERANCE_S = 1
"""Seconds of rounding allowed between a stop's stated times and the recomputed ones."""

DISTANCE_TOLERANCE_M = 1
"""Metres of rounding allowed per leg between a route's distance and the matrix sum."""

COST_TOLERANCE_PENCE = 1
"""Pence of rounding allowed between a route's cost and the money model."""

COORD_TOLERANCE_DEG = 1e-4
"""Degrees (about 10 m) a stop's lon/lat may differ from its matrix location's."""

_COLOCATION_DECIMALS = 6
"""Pupils whose lon/lat agree to this many decimals live at one address."""


class ViolationKind(StrEnum):
    """Which rule a plan breaks (names after VROOM's violation list where one exists)."""

    MISSING = "missing"  # a pupil who attends the run is neither routed nor unassigned
    DUPLICATE = "duplicate"  # a pupil routed/unassigned more than once in a run
    UNKNOWN = "unknown"  # a pupil, vehicle type or location the scenario does not know
    WRONG_RUN = "wrong_run"  # a pupil planned on a run they do not attend
    PRECEDENCE = "precedence"  # drop-off missing, or not after the pickup, on the route
    WRONG_LOCATION = "wrong_location"  # a stop at the wrong place for its pupil
    TIME = "time"  # stop times inconsistent with the matrix and service times
    WINDOW = "window"  # school arrival / departure outside the school's window
    MAX_RIDE_TIME = "max_ride_time"  # a pupil's ride longer than their limit
    LOAD = "load"  # seats exceeded, or a layout the vehicle type does not have
    WHEELCHAIR = "wheelchair"  # wheelchair places exceeded
    ASSISTANT = "assistant"  # a pupil who needs a passenger assistant rides without one
    TRAVEL_ALONE = "travel_alone"  # a pupil who must travel alone shares the vehicle
    INCOMPATIBLE = "incompatible"  # an incompatible pair on one route
    SIBLINGS = "siblings"  # siblings (or one request's pupils) split across routes/stops
    VEHICLE_REQUIREMENT = "vehicle_requirement"  # a pupil's required vehicle kind not met
    SHIFT = "shift"  # route longer than the vehicle's shift
    FLEET = "fleet"  # more routes of a vehicle type than are available in a run
    MIXED_SCHOOL = "mixed_school"  # pupils of several schools on one route, when forbidden
    DISTANCE = "distance"  # route distance_m is not the matrix sum of its legs
    COST = "cost"  # route cost_pence is not the money model's


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which kind, on which run and route, for which pupil, and why.

    ``route_id`` is empty for run-wide rules (missing pupil, fleet); ``pupil_id`` is empty
    for route-wide rules (distance, cost, shift, fleet). For benchmark problems
    ``pupil_id`` names the request's pupils, comma-separated.
    """

    kind: ViolationKind
    run: Run
    route_id: str
    pupil_id: str
    message: str

    def __str__(self) -> str:
        return f"[{self.kind.value}] {self.run.value} {self.message}"


# --------------------------------------------------------------------------- shared core


@dataclass(frozen=True, slots=True)
class _Item:
    """What the simulation carries: one pupil (scenario) or one request (problem)."""

    item_id: str
    pupil_ids: tuple[str, ...]
    seats: int
    wheelchairs: int
    pickup_service_s: int
    dropoff_service_s: int
    pickup_locations: frozenset[str]
    dropoff_locations: frozenset[str]
    pickup_window_s: tuple[int, int] | None
    dropoff_window_s: tuple[int, int] | None
    max_ride_s: int | None
    travel_alone: bool

    @property
    def label(self) -> str:
        return ",".join(self.pupil_ids)


class _Travel:
    """Durations and distances between location ids (a matrix or a problem's arrays)."""

    def __init__(
        self,
        location_ids: Sequence[str],
        duration_s: npt.NDArray[np.int64],
        distance_m: npt.NDArray[np.int64],
        lons: Sequence[float] | npt.NDArray[np.float64] = (),
        lats: Sequence[float] | npt.NDArray[np.float64] = (),
    ) -> None:
        self._row = {loc: i for i, loc in enumerate(location_ids)}
        self._duration = duration_s
        self._distance = distance_m
        n = len(location_ids)
        self._has_coords = len(lons) == n and len(lats) == n and n > 0
        self._lons = lons
        self._lats = lats

    def row(self, location_id: str) -> int | None:
        return self._row.get(location_id)

    def leg(self, a: int, b: int) -> tuple[int, int]:
        """(duration_s, distance_m) from row a to row b."""
        return int(self._duration[a, b]), int(self._distance[a, b])

    def coords_differ(self, row: int, lon: float, lat: float) -> bool:
        if not self._has_coords:
            return False
        return (
            abs(float(self._lons[row]) - lon) > COORD_TOLERANCE_DEG
            or abs(float(self._lats[row]) - lat) > COORD_TOLERANCE_DEG
        )


@dataclass(slots=True)
class _RouteTrace:
    """What one route's simulation found."""

    violations: list[Violation] = field(default_factory=list)
    pupil_ids: list[str] = field(default_factory=list)  # known pupils, first appearance order
    item_ids: list[str] = field(default_factory=list)  # items picked up on the route
    ride_s: dict[str, int] = field(default_factory=dict)  # item_id -> ride seconds
    distance_m: int | None = None  # None when a leg could not be measured
    duration_s: int | None = None
    start_s: int | None = None
    end_s: int | None = None


def _simulate_route(
    route: Route,
    items: Mapping[str, _Item],
    travel: _Travel,
    *,
    start_loc: str | None,
    end_loc: str | None,
    max_duration_s: int | None,
) -> _RouteTrace:
    """Walk one route stop by stop: membership, places, times, windows, rides, loads.

    ``items`` maps every pupil id the route may carry to its item. ``start_loc`` /
    ``end_loc`` are where the route's distance and duration are counted from / to (None:
    from the first stop / to the last stop).
    """
    trace = _RouteTrace()
    stops = route.stops

    def add(kind: ViolationKind, pupil_id: str, message: str) -> None:
        trace.violations.append(Violation(kind, route.run, route.route_id, pupil_id, message))

    where = f"route '{route.route_id}'"

    # --- membership: which stop picks up / drops off each item
    pick: dict[str, int] = {}
    drop: dict[str, int] = {}
    seen: set[tuple[StopKind, str]] = set()
    served_here: list[list[_Item]] = [[] for _ in stops]
    known_pupils: dict[str, None] = {}
    for i, stop in enumerate(stops):
        is_pickup = stop.kind is StopKind.PICKUP
        verb = "picked up" if is_pickup else "dropped off"
        for pid in stop.pupil_ids:
            item = items.get(pid)
            if item is None:
                add(
                    ViolationKind.UNKNOWN,
                    pid,
                    f"Pupil '{pid}' on {where} stop {i + 1} is not a pupil of this run's data.",
                )
                continue
            known_pupils.setdefault(pid, None)
            if (stop.kind, pid) in seen:
                add(ViolationKind.DUPLICATE, pid, f"Pupil '{pid}' is {verb} twice on {where}.")
                continue
            seen.add((stop.kind, pid))
            target = pick if is_pickup else drop
            first = target.get(item.item_id)
            if first is None:
                target[item.item_id] = i
                served_here[i].append(item)
                expected = item.pickup_locations if is_pickup else item.dropoff_locations
                if stop.location_id not in expected:
                    add(
                        ViolationKind.WRONG_LOCATION,
                        item.label,
                        f"Pupil '{item.label}' is {verb} at '{stop.location_id}' on {where}, "
                        f"expected {' or '.join(sorted(expected))}.",
                    )
            elif first != i:
                add(
                    ViolationKind.SIBLINGS,
                    pid,
                    f"Pupil '{pid}' of request '{item.item_id}' is {verb} at stop {i + 1} of "
                    f"{where}, apart from the rest of the request (stop {first + 1}).",
                )
    trace.pupil_ids = list(known_pupils)
    trace.item_ids = list(pick)

    by_id = {item.item_id: item for stop_items in served_here for item in stop_items}
    for item_id, item in by_id.items():
        p, d = pick.get(item_id), drop.get(item_id)
        if p is None:
            add(
                ViolationKind.PRECEDENCE,
                item.label,
                f"Pupil '{item.label}' is dropped off on {where} but never picked up.",
            )
        elif d is None:
            add(
                ViolationKind.PRECEDENCE,
                item.label,
                f"Pupil '{item.label}' is picked up on {where} but never dropped off.",
            )
        elif d < p:
            add(
                ViolationKind.PRECEDENCE,
                item.label,
                f"Pupil '{item.label}' is dropped off (stop {d + 1}) before being picked up "
                f"(stop {p + 1}) on {where}.",
            )

    # --- places and times, stop by stop
    rows: list[int | None] = []
    for i, stop in enumerate(stops):
        row = travel.row(stop.location_id)
        rows.append(row)
        who = stop.pupil_ids[0] if stop.pupil_ids else ""
        if row is None:
            add(
                ViolationKind.WRONG_LOCATION,
                who,
                f"Stop {i + 1} of {where} is at '{stop.location_id}', which is not in the "
                "travel matrix.",
            )
        elif travel.coords_differ(row, stop.lon, stop.lat):
            add(
                ViolationKind.WRONG_LOCATION,
                who,
                f"Stop {i + 1} of {where} is placed at ({stop.lon}, {stop.lat}), away from "
                f"its location '{stop.location_id}'.",
            )
    distance_m = 0
    num_legs = 0
    legs_ok = all(r is not None for r in rows)
    for i, stop in enumerate(stops):
        who = stop.pupil_ids[0] if stop.pupil_ids else ""
        service = sum(
            it.pickup_service_s if stop.kind is StopKind.PICKUP else it.dropoff_service_s
            for it in served_here[i]
        )
        if i > 0:
            prev = stops[i - 1]
            a, b = rows[i - 1], rows[i]
            if a is not None and b is not None:
                leg_s, leg_m = travel.leg(a, b)
                distance_m += leg_m
                num_legs += 1
                if stop.arrival_s < prev.departure_s + leg_s - TIME_TOLERANCE_S:
                    add(
                        ViolationKind.TIME,
                        who,
                        f"Stop {i + 1} of {where} is reached at {stop.arrival_s} s but the "
                        f"vehicle leaves stop {i} at {prev.departure_s} s and the leg takes "
                        f"{leg_s} s.",
                    )
        if stop.service_start_s < stop.arrival_s - TIME_TOLERANCE_S:
            add(
                ViolationKind.TIME,
                who,
                f"Stop {i + 1} of {where} starts service at {stop.service_start_s} s, before "
                f"the vehicle arrives at {stop.arrival_s} s.",
            )
        if abs(stop.departure_s - (stop.service_start_s + service)) > TIME_TOLERANCE_S:
            add(
                ViolationKind.TIME,
                who,
                f"Stop {i + 1} of {where} departs at {stop.departure_s} s; service from "
                f"{stop.service_start_s} s takes {service} s.",
            )

    # --- windows and ride times, item by item
    for item_id, item in by_id.items():
        p, d = pick.get(item_id), drop.get(item_id)
        for idx, window, what in (
            (p, item.pickup_window_s, "pickup"),
            (d, item.dropoff_window_s, "drop-off"),
        ):
            if idx is None or window is None:
                continue
            start = stops[idx].service_start_s
            if not window[0] <= start <= window[1]:
                add(
                    ViolationKind.WINDOW,
                    item.label,
                    f"Pupil '{item.label}' {what} on {where} starts at {start} s, outside the "
                    f"window {window[0]}-{window[1]} s.",
                )
        if p is not None and d is not None and d > p:
            ride = stops[d].service_start_s - stops[p].departure_s
            trace.ride_s[item_id] = ride
            if item.max_ride_s is not None and ride > item.max_ride_s:
                add(
                    ViolationKind.MAX_RIDE_TIME,
                    item.label,
                    f"Pupil '{item.label}' rides {ride} s on {where}, over the limit of "
                    f"{item.max_ride_s} s.",
                )

    # --- loads: drop-offs leave, pickups board; check after each stop
    on_board: dict[str, _Item] = {}
    alone_reported: set[str] = set()
    for i, stop in enumerate(stops):
        boarded: list[_Item] = []
        for item in served_here[i]:
            if stop.kind is StopKind.DROPOFF:
                on_board.pop(item.item_id, None)
            elif item.item_id in pick and drop.get(item.item_id, len(stops)) > i:
                on_board[item.item_id] = item
                boarded.append(item)
        if not boarded:
            continue
        seats = sum(it.seats for it in on_board.values())
        chairs = sum(it.wheelchairs for it in on_board.values())
        if seats > route.seats:
            for item in (it for it in boarded if it.seats):
                add(
                    ViolationKind.LOAD,
                    item.label,
                    f"After pupil '{item.label}' boards at stop {i + 1} of {where}, {seats} "
                    f"pupils need a seat but the vehicle has {route.seats} for pupils.",
                )
        if chairs > route.wheelchair_places:
            for item in (it for it in boarded if it.wheelchairs):
                add(
                    ViolationKind.WHEELCHAIR,
                    item.label,
                    f"After pupil '{item.label}' boards at stop {i + 1} of {where}, {chairs} "
                    f"wheelchair users are on board but the vehicle has "
                    f"{route.wheelchair_places} wheelchair places.",
                )
        if len(on_board) > 1:
            for item in on_board.values():
                if item.travel_alone and item.item_id not in alone_reported:
                    alone_reported.add(item.item_id)
                    others = sorted(o.label for o in on_board.values() if o is not item)
                    add(
                        ViolationKind.TRAVEL_ALONE,
                        item.label,
                        f"Pupil '{item.label}' must travel alone but shares {where} with "
                        f"{', '.join(others)} after stop {i + 1}.",
                    )

    # --- distance and duration (with the empty running to/from the depot, if counted)
    if not legs_ok or not stops:
        if not stops:
            trace.distance_m, trace.duration_s = 0, 0
        return trace
    start_s = stops[0].arrival_s
    end_s = stops[-1].departure_s
    for loc, first_row, is_start in (
        (start_loc, rows[0], True),
        (end_loc, rows[-1], False),
    ):
        if loc is None or first_row is None:
            continue
        depot_row = travel.row(loc)
        if depot_row is None:
            add(
                ViolationKind.WRONG_LOCATION,
                "",
                f"{where} starts or ends at '{loc}', which is not in the travel matrix.",
            )
            return trace
        leg_s, leg_m = (
            travel.leg(depot_row, first_row) if is_start else travel.leg(first_row, depot_row)
        )
        distance_m += leg_m
        num_legs += 1
        if is_start:
            start_s -= leg_s
        else:
            end_s += leg_s
    trace.distance_m = distance_m
    trace.duration_s = end_s - start_s
    trace.start_s, trace.end_s = start_s, end_s
    if abs(route.distance_m - distance_m) > DISTANCE_TOLERANCE_M * num_legs:
        add(
            ViolationKind.DISTANCE,
            "",
            f"{where} states distance_m {route.distance_m} but its {num_legs} legs measure "
            f"{distance_m} m on the matrix.",
        )
    if abs(route.duration_s - trace.duration_s) > TIME_TOLERANCE_S:
        add(
            ViolationKind.TIME,
            "",
            f"{where} states duration_s {route.duration_s} but its stops take "
            f"{trace.duration_s} s.",
        )
    if max_duration_s is not None and trace.duration_s > max_duration_s:
        add(
            ViolationKind.SHIFT,
            "",
            f"{where} takes {trace.duration_s} s, over the shift of {max_duration_s} s.",
        )
    return trace


def _coverage(
    run: Run,
    expected: Iterable[str],
    routed: Mapping[str, list[str]],
    unassigned: Sequence[str],
    known: set[str],
) -> list[Violation]:
    """Every expected pupil routed once or unassigned once; nobody unknown."""
    out: list[Violation] = []
    expected_set = set(expected)
    times_unassigned = Counter(unassigned)
    for pid, route_ids in routed.items():
        if len(route_ids) > 1:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    route_ids[1],
                    pid,
                    f"Pupil '{pid}' is on {len(route_ids)} routes of the {run.value} run: "
                    f"{', '.join(route_ids)}.",
                )
            )
        if pid in times_unassigned:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    route_ids[0],
                    pid,
                    f"Pupil '{pid}' is on route '{route_ids[0]}' and also listed as "
                    f"unassigned in the {run.value} run.",
                )
            )
    for pid, count in times_unassigned.items():
        if pid not in known:
            out.append(
                Violation(
                    ViolationKind.UNKNOWN,
                    run,
                    "",
                    pid,
                    f"Unassigned pupil '{pid}' of the {run.value} run is not in the data.",
                )
            )
        elif count > 1:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    "",
                    pid,
                    f"Pupil '{pid}' is listed as unassigned {count} times in the {run.value} run.",
                )
            )
    for pid in sorted(expected_set):
        if pid not in routed and pid not in times_unassigned:
            out.append(
                Violation(
                    ViolationKind.MISSING,
                    run,
                    "",
                    pid,
                    f"Pupil '{pid}' attends the {run.value} run but is on no route and not "
                    "listed as unassigned.",
                )
            )
    return out


def _fleet(run: Run, routes: Sequence[Route], caps: Mapping[str, int | None]) -> list[Violation]:
    out: list[Violation] = []
    counts = Counter(r.vehicle_type for r in routes)
    for name, count in sorted(counts.items()):
        cap = caps.get(name)
        if cap is not None and count > cap:
            out.append(
                Violation(
                    ViolationKind.FLEET,
                    run,
                    "",
                    "",
                    f"The {run.value} run uses {count} vehicles of type '{name}' but only "
                    f"{cap} are available.",
                )
            )
    return out


def _split_groups(
    run: Run,
    groups: Iterable[Sequence[str]],
    route_of: Mapping[str, str],
    what: str,
    labels: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Members of each group on one route (members not routed are not judged here)."""
    out: list[Violation] = []
    for members in groups:
        routed = [m for m in members if m in route_of]
        if not routed:
            continue
        anchor = route_of[routed[0]]
        for m in routed[1:]:
            if route_of[m] != anchor:
                out.append(
                    Violation(
                        ViolationKind.SIBLINGS,
                        run,
                        route_of[m],
                        labels.get(m, m) if labels is not None else m,
                        f"{what} '{m}' rides route '{route_of[m]}' apart from '{routed[0]}' "
                        f"on route '{anchor}'.",
                    )
                )
    return out


def _incompatible_on_route(
    route: Route, pairs: Iterable[tuple[str, str]], members: set[str], what: str
) -> list[Violation]:
    return [
        Violation(
            ViolationKind.INCOMPATIBLE,
            route.run,
            route.route_id,
            a,
            f"{what} '{a}' and '{b}' must never share a vehicle but both ride route "
            f"'{route.route_id}'.",
        )
        for a, b in pairs
        if a in members and b in members
    ]


# --------------------------------------------------------------------------- scenario plans


def _home_location_ids(scenario: Scenario) -> dict[str, frozenset[str]]:
    """Each pupil's acceptable home stops: their own, or a co-located pupil's (siblings)."""
    at: dict[tuple[float, float], list[str]] = {}
    for p in scenario.pupils:
        key = (round(p.lon, _COLOCATION_DECIMALS), round(p.lat, _COLOCATION_DECIMALS))
        at.setdefault(key, []).append(pupil_location_id(p.pupil_id))
    out: dict[str, frozenset[str]] = {}
    for p in scenario.pupils:
        key = (round(p.lon, _COLOCATION_DECIMALS), round(p.lat, _COLOCATION_DECIMALS))
        out[p.pupil_id] = frozenset(at[key])
    return out


def _ride_limit_s(pupil: Pupil, run: Run, scenario: Scenario, travel: _Travel) -> int:
    """The pupil's ride limit from the policy and their direct trip on the matrix."""
    home = travel.row(pupil_location_id(pupil.pupil_id))
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
    travel: _Travel,
) -> _Item:
    gate = frozenset({school_location_id(school.school_id)})
    is_am = run is Run.AM
    return _Item(
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
        max_ride_s=_ride_limit_s(pupil, run, scenario, travel),
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
    pupils = scenario.pupils_by_id()
    schools = scenario.schools_by_id()
    types = {vt.name: vt for vt in scenario.vehicle_types}
    homes = _home_location_ids(scenario)
    travel = _Travel(
        matrix.location_ids, matrix.duration_s, matrix.distance_m, matrix.lons, matrix.lats
    )
    depot = DEPOT_LOCATION_ID if policy.route_start is RouteStart.DEPOT else None
    pairs = [(p.pupil_a, p.pupil_b) for p in scenario.incompatible_pairs]
    sibling_groups = _sibling_groups(scenario)

    violations: list[Violation] = []
    for run in _runs_to_check(plan, runs):
        items = {
            p.pupil_id: _pupil_item(
                p, schools[p.school_id], run, scenario, homes[p.pupil_id], travel
            )
            for p in scenario.pupils
        }
        routes = plan.routes_for(run)
        route_ids = Counter(r.route_id for r in routes)
        for rid, count in sorted(route_ids.items()):
            if count > 1:
                violations.append(
                    Violation(
                        ViolationKind.DUPLICATE,
                        run,
                        rid,
                        "",
                        f"Route id '{rid}' is used by {count} routes of the {run.value} run.",
                    )
                )
        routed: dict[str, list[str]] = {}
        for route in routes:
            vt = types.get(route.vehicle_type)
            trace = _simulate_route(
                route,
                items,
                travel,
                start_loc=depot,
                end_loc=depot,
                max_duration_s=vt.max_shift_s if vt is not None else None,
            )
            violations.extend(trace.violations)
            for pid in trace.pupil_ids:
                routed.setdefault(pid, []).append(route.route_id)
            violations.extend(
                _scenario_route_rules(scenario, route, vt, trace.pupil_ids, pupils, pairs)
            )
            if vt is not None:
                measured_m = trace.distance_m if trace.distance_m is not None else route.distance_m
                expected_cost = route_cost_pence(vt, measured_m, route.has_assistant, policy)
                if abs(route.cost_pence - expected_cost) > COST_TOLERANCE_PENCE:
                    violations.append(
                        Violation(
                            ViolationKind.COST,
                            run,
                            route.route_id,
                            "",
                            f"Route '{route.route_id}' states cost_pence {route.cost_pence} "
                            f"but the money model gives {expected_cost} for "
                            f"{measured_m} m on '{vt.name}'"
                            f"{' with an assistant' if route.has_assistant else ''}.",
                        )
                    )
        violations.extend(_fleet(run, routes, {n: vt.num_available for n, vt in types.items()}))
        route_of = {pid: rids[0] for pid, rids in routed.items()}
        violations.extend(_split_groups(run, sibling_groups, route_of, "Sibling"))
        unassigned = [u.pupil_id for u in plan.unassigned if u.run is run]
        for pid in dict.fromkeys(unassigned):
            pupil = pupils.get(pid)
            if pupil is not None and run not in pupil.runs():
                violations.append(
                    Violation(
                        ViolationKind.WRONG_RUN,
                        run,
                        "",
                        pid,
                        f"Pupil '{pid}' is listed as unassigned in the {run.value} run, "
                        "which they do not attend.",
                    )
                )
        expected = [p.pupil_id for p in scenario.pupils if run in p.runs()]
        violations.extend(_coverage(run, expected, routed, unassigned, set(pupils)))
    if violations:
        logger.info("checker: %d violation(s) in plan '%s'", len(violations), plan.scenario_name)
    return violations


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
    out.extend(_incompatible_on_route(route, pairs, members, "Pupils"))
    school_ids = sorted({p.school_id for p in riders})
    if len(school_ids) > 1 and not scenario.policy.allow_mixed_school_routes:
        add(
            ViolationKind.MIXED_SCHOOL,
            "",
            f"Route '{route.route_id}' carries pupils of {len(school_ids)} schools "
            f"({', '.join(school_ids)}) but the policy forbids mixed-school routes.",
        )
    return out


# --------------------------------------------------------------------------- benchmark problems


def _request_item(problem: Problem, index: int) -> _Item:
    r = problem.requests[index]
    return _Item(
        item_id=r.request_id,
        pupil_ids=r.pupil_ids,
        seats=r.seats,
        wheelchairs=r.wheelchairs,
        pickup_service_s=r.pickup_service_s,
        dropoff_service_s=r.dropoff_service_s,
        pickup_locations=frozenset({problem.location_ids[r.pickup_loc]}),
        dropoff_locations=frozenset({problem.location_ids[r.dropoff_loc]}),
        pickup_window_s=r.pickup_window_s,
        dropoff_window_s=r.dropoff_window_s,
        max_ride_s=r.max_ride_s,
        travel_alone=r.travel_alone,
    )


def check_problem_plan(problem: Problem, plan: Plan) -> list[Violation]:
    """Every rule a plan of a solver-ready problem breaks (for benchmark problems).

    Recomputes from the problem's own requests and matrices: every request served once or
    unassigned, pickup before drop-off at the request's locations, times, windows, ride
    limits, seats and wheelchair places of the route's vehicle class, route duration
    (depot to depot when the class has depots), the horizon, ``max_vehicles`` and each
    vehicle type's availability, assistants, travel-alone, incompatible and same-vehicle
    requests, allowed vehicle types, mixed schools, and route distances.

    Parameters
    ----------
    problem
        The ``routing.problem.Problem`` the plan answers (one run).
    plan
        The plan (stops use the problem's location ids and the requests' pupil ids).

    Returns
    -------
    list[Violation]
        Empty when the plan is feasible; ``pupil_id`` names the request's pupils.

    Notes
    -----
    Costs are not judged: a benchmark's objective units are not pence.
    """
    run = problem.run
    items: dict[str, _Item] = {}
    request_of: dict[str, str] = {}
    for i, r in enumerate(problem.requests):
        item = _request_item(problem, i)
        for pid in r.pupil_ids:
            items[pid] = item
            request_of[pid] = r.request_id
    travel = _Travel(
        problem.location_ids, problem.duration_s, problem.distance_m, problem.lons, problem.lats
    )
    requests = {r.request_id: r for r in problem.requests}
    violations: list[Violation] = []
    routed: dict[str, list[str]] = {}
    route_of_request: dict[str, str] = {}
    for route in plan.routes:
        if route.run is not run:
            violations.append(
                Violation(
                    ViolationKind.WRONG_RUN,
                    route.run,
                    route.route_id,
                    "",
                    f"Route '{route.route_id}' is a {route.run.value} route in a "
                    f"{run.value} problem.",
                )
            )
        vclass = next(
            (
                c
                for c in problem.vehicle_classes
                if (c.vehicle_type, c.seats, c.wheelchair_places, c.has_assistant)
                == (route.vehicle_type, route.seats, route.wheelchair_places, route.has_assistant)
            ),
            None,
        )
        if vclass is None:
            violations.append(
                Violation(
                    ViolationKind.LOAD,
                    route.run,
                    route.route_id,
                    "",
                    f"Route '{route.route_id}' ('{route.vehicle_type}', {route.seats} seats, "
                    f"{route.wheelchair_places} wheelchair places, assistant "
                    f"{route.has_assistant}) matches no vehicle class of the problem.",
                )
            )
        # Depots and shift from the route's class; with no such class, from a class of
        # the same vehicle type, so one wrong layout does not also misplace the depots.
        shape = vclass or next(
            (c for c in problem.vehicle_classes if c.vehicle_type == route.vehicle_type), None
        )
        loc_id = problem.location_ids
        trace = _simulate_route(
            route,
            items,
            travel,
            start_loc=loc_id[shape.start_loc]
            if shape is not None and shape.start_loc is not None
            else None,
            end_loc=loc_id[shape.end_loc]
            if shape is not None and shape.end_loc is not None
            else None,
            max_duration_s=shape.max_duration_s if shape is not None else None,
        )
        violations.extend(trace.violations)
        if trace.start_s is not None and trace.end_s is not None:
            h0, h1 = problem.horizon_s
            if trace.start_s < h0 or trace.end_s > h1:
                violations.append(
                    Violation(
                        ViolationKind.WINDOW,
                        route.run,
                        route.route_id,
                        "",
                        f"Route '{route.route_id}' runs {trace.start_s}-{trace.end_s} s, "
                        f"outside the horizon {h0}-{h1} s.",
                    )
                )
        for pid in trace.pupil_ids:
            routed.setdefault(pid, []).append(route.route_id)
        on_route = [requests[request_of[pid]] for pid in trace.pupil_ids]
        on_route = list({r.request_id: r for r in on_route}.values())
        for r in on_route:
            route_of_request.setdefault(r.request_id, route.route_id)
            label = ",".join(r.pupil_ids)
            if r.needs_assistant and not route.has_assistant:
                violations.append(
                    Violation(
                        ViolationKind.ASSISTANT,
                        route.run,
                        route.route_id,
                        label,
                        f"Request '{r.request_id}' needs a passenger assistant but route "
                        f"'{route.route_id}' has none.",
                    )
                )
            allowed = r.allowed_vehicle_types
            if allowed is not None and route.vehicle_type not in allowed:
                violations.append(
                    Violation(
                        ViolationKind.VEHICLE_REQUIREMENT,
                        route.run,
                        route.route_id,
                        label,
                        f"Request '{r.request_id}' may ride only {', '.join(sorted(allowed))} "
                        f"but route '{route.route_id}' uses '{route.vehicle_type}'.",
                    )
                )
        members = {r.request_id for r in on_route}
        violations.extend(_incompatible_on_route(route, problem.incompatible, members, "Requests"))
        school_ids = sorted({r.school_id for r in on_route if r.school_id})
        if len(school_ids) > 1 and not problem.allow_mixed_schools:
            violations.append(
                Violation(
                    ViolationKind.MIXED_SCHOOL,
                    route.run,
                    route.route_id,
                    "",
                    f"Route '{route.route_id}' carries requests of {len(school_ids)} schools "
                    f"({', '.join(school_ids)}) but the problem forbids mixed-school routes.",
                )
            )
    own_routes = [r for r in plan.routes if r.run is run]
    caps: dict[str, int | None] = {}
    for c in problem.vehicle_classes:
        prev = caps.get(c.vehicle_type, 0)
        caps[c.vehicle_type] = (
            None if c.num_available is None or prev is None else max(prev, c.num_available)
        )
    violations.extend(_fleet(run, own_routes, caps))
    if problem.max_vehicles is not None and len(own_routes) > problem.max_vehicles:
        violations.append(
            Violation(
                ViolationKind.FLEET,
                run,
                "",
                "",
                f"The plan uses {len(own_routes)} vehicles but the problem allows "
                f"{problem.max_vehicles}.",
            )
        )
    violations.extend(
        _split_groups(
            run,
            problem.same_vehicle,
            route_of_request,
            "Request",
            {r.request_id: ",".join(r.pupil_ids) for r in problem.requests},
        )
    )
    unassigned = [u.pupil_id for u in plan.unassigned if u.run is run]
    violations.extend(_coverage(run, list(items), routed, unassigned, set(items)))
    return violations


__all__ = ["Violation", "ViolationKind", "check_plan", "check_problem_plan"]
