"""Solver-ready problem: requests (pickup -> drop-off), vehicle classes, one run.

Both the pupils' scenario (``build_problem``) and the public benchmark readers
(``routing.bench``) produce this one shape, so the benchmarks measure the product's own
solver and checker. Only this module and ``routing.solver`` speak of nodes.

All numbers are integers: seconds, metres, and objective units
(``Problem.cost_units_per_pence`` per penny for pupil problems; plain scaled distance for
benchmark problems).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from routing.errors import InvalidScenarioError
from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    collection_point_location_id,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    METRES_PER_MILE,
    SECONDS_PER_MINUTE,
    Policy,
    Pupil,
    PupilFlag,
    RouteStart,
    Run,
    Scenario,
    Unassigned,
    UnassignedCode,
    VehicleRequirement,
)

logger = logging.getLogger(__name__)

COST_UNITS_PER_PENCE = 1000


class ObjectiveKind(StrEnum):
    COST = "cost"  # vehicle fixed cost + per-metre cost (pupil problems)
    DISTANCE = "distance"  # total distance (the literature's benchmarks)


@dataclass(frozen=True, slots=True)
class Request:
    """One journey to plan: a pupil, or siblings at one address travelling together.

    ``*_loc`` are rows of the problem's matrices. Ride time is measured from the end of
    pickup service to the start of drop-off service (Cordeau's convention).
    ``allowed_vehicle_types`` None means any vehicle type.
    """

    request_id: str
    pupil_ids: tuple[str, ...]
    school_id: str
    pickup_loc: int
    dropoff_loc: int
    pickup_window_s: tuple[int, int]
    dropoff_window_s: tuple[int, int]
    pickup_service_s: int
    dropoff_service_s: int
    seats: int
    wheelchairs: int
    max_ride_s: int | None
    needs_assistant: bool = False
    travel_alone: bool = False
    allowed_vehicle_types: frozenset[str] | None = None
    ride_cost_per_s: int = 0
    """Objective units per second of this request's ride (every pupil of it counted):
    the council's value of an on-board minute (``Policy.ride_minute_value_pence``)."""


@dataclass(frozen=True, slots=True)
class VehicleClass:
    """Identical vehicles: one vehicle type in one seating layout, with or without PA.

    ``seats`` is what is left for pupils (a passenger assistant already took one).
    ``fixed_cost`` is per vehicle used on this run, ``cost_per_m`` per metre driven,
    both in objective units. ``start_loc``/``end_loc`` None means the route starts at its
    first pickup / ends at its last drop-off (no empty running counted).
    """

    vehicle_type: str
    seats: int
    wheelchair_places: int
    has_assistant: bool
    fixed_cost: int
    cost_per_m: int
    max_duration_s: int
    num_available: int | None
    start_loc: int | None = None
    end_loc: int | None = None
    cost_per_mile_pence: int | None = None  # exact mileage rate, for pricing routes in pence


@dataclass(frozen=True)
class Problem:
    """One run's routing problem, ready for the solver and the checker."""

    name: str
    run: Run
    location_ids: tuple[str, ...]
    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]
    requests: tuple[Request, ...]
    vehicle_classes: tuple[VehicleClass, ...]
    incompatible: tuple[tuple[str, str], ...] = ()  # request ids never on one vehicle
    same_vehicle: tuple[tuple[str, ...], ...] = ()  # request ids that share a vehicle
    horizon_s: tuple[int, int] = (0, 24 * 3600)
    objective: ObjectiveKind = ObjectiveKind.COST
    cost_units_per_pence: int = 1000
    max_vehicles: int | None = None  # a fleet cap over all classes (benchmarks' K)
    lons: tuple[float, ...] = ()
    lats: tuple[float, ...] = ()
    allow_mixed_schools: bool = True
    notes: tuple[str, ...] = field(default=())
    travel_model: str = ""  # which travel model made the matrices (TravelMatrix.model)
    flags: tuple[PupilFlag, ...] = ()  # pupils carried on a limit wider than the policy's

    def __post_init__(self) -> None:
        n = len(self.location_ids)
        if self.duration_s.shape != (n, n) or self.distance_m.shape != (n, n):
            msg = f"Problem '{self.name}' matrices do not match its {n} locations."
            raise InvalidScenarioError(msg)
        ids = [r.request_id for r in self.requests]
        if len(set(ids)) != len(ids):
            msg = f"Problem '{self.name}' has duplicate request ids."
            raise InvalidScenarioError(msg)
        if not self.vehicle_classes:
            msg = f"Problem '{self.name}' has no vehicle classes."
            raise InvalidScenarioError(msg)

    def request(self, request_id: str) -> Request:
        for r in self.requests:
            if r.request_id == request_id:
                return r
        msg = f"Unknown request '{request_id}'."
        raise InvalidScenarioError(msg)


# --------------------------------------------------------------------------- building

_SIBLINGS_NOTE = (
    "Siblings at one address going to one school travel as one request (one stop each way)."
)


def _minutes(seconds: int) -> str:
    return f"{round(seconds / 60)} min"


@dataclass(frozen=True, slots=True)
class _Group:
    """Pupils that become one request (siblings at one address, one school)."""

    pupils: tuple[Pupil, ...]

    @property
    def lead(self) -> Pupil:
        return self.pupils[0]


_COLLECTION_NOTE = (
    "Pupils of one school at one collection point travel as one request (one stop each way; "
    "pupils who need a passenger assistant and pupils who do not, as two)."
)


def _home_stops(scenario: Scenario) -> dict[str, str]:
    """Every pupil's home-end stop: the collection point ``scenario.walks`` sends them to,
    else home (location ids)."""
    walks = {w.pupil_id: collection_point_location_id(w.point_id) for w in scenario.walks}
    return {
        p.pupil_id: walks.get(p.pupil_id, pupil_location_id(p.pupil_id)) for p in scenario.pupils
    }


def _unreachable_ids(matrix: TravelMatrix) -> frozenset[str]:
    """Location ids the network helper reports as unreachable (attribute names tolerated)."""
    found: set[str] = set()
    for attr in ("unreachable_location_ids", "unreachable_ids", "unreachable"):
        value = getattr(matrix, attr, None)
        if value:
            found.update(str(v) for v in value)
    return frozenset(found)


def _vehicle_classes(scenario: Scenario, start_loc: int | None) -> tuple[VehicleClass, ...]:
    """Every vehicle type x seating layout x (no assistant, assistant)."""
    units = COST_UNITS_PER_PENCE
    pa_day = scenario.policy.assistant_day_cost_pence
    classes: list[VehicleClass] = []
    for vt in scenario.vehicle_types:
        cost_per_m = round(vt.cost_per_mile_pence * units / METRES_PER_MILE)
        for config in vt.configurations():
            for has_pa in (False, True):
                seats = config.seats - (1 if has_pa else 0)
                if seats < 0 or (seats == 0 and config.wheelchair_places == 0):
                    continue
                fixed = vt.day_rate_pence * units // 2
                if has_pa:
                    fixed += pa_day * units // 2
                classes.append(
                    VehicleClass(
                        vehicle_type=vt.name,
                        seats=seats,
                        wheelchair_places=config.wheelchair_places,
                        has_assistant=has_pa,
                        fixed_cost=fixed,
                        cost_per_m=cost_per_m,
                        max_duration_s=vt.max_shift_s,
                        num_available=vt.num_available,
                        start_loc=start_loc,
                        end_loc=start_loc,
                        cost_per_mile_pence=vt.cost_per_mile_pence,
                    )
                )
    return tuple(classes)


def _group_pupils(
    pupils: list[Pupil],
    incompatible: set[frozenset[str]],
    points: Mapping[str, str] | None = None,
    max_group: int = 1,
) -> tuple[list[_Group], list[tuple[int, ...]], list[str]]:
    """Merge siblings at one address and school, and pupils of one school and assistant
    need at one collection point (``points``: pupil id -> point location id; at most
    ``max_group`` a request); list groups that must share a vehicle."""
    notes: list[str] = []
    groups: list[_Group] = []
    by_key: dict[tuple[str, str, float, float], int] = {}
    by_point: dict[tuple[str, str, bool], int] = {}
    sibling_groups: dict[str, list[int]] = {}
    points = points or {}
    for pupil in pupils:
        point = points.get(pupil.pupil_id)
        if point is not None:
            point_key = (point, pupil.school_id, pupil.needs.needs_assistant)
            idx = by_point.get(point_key)
            if idx is not None and len(groups[idx].pupils) < max_group:
                members = groups[idx].pupils
                if not any(
                    frozenset((pupil.pupil_id, m.pupil_id)) in incompatible for m in members
                ):
                    groups[idx] = _Group((*members, pupil))
                    continue
            groups.append(_Group((pupil,)))
            by_point[point_key] = len(groups) - 1
            continue
        key = (pupil.sibling_group, pupil.school_id, round(pupil.lon, 6), round(pupil.lat, 6))
        idx = by_key.get(key) if pupil.sibling_group else None
        if idx is not None:
            members = groups[idx].pupils
            clash = any(frozenset((pupil.pupil_id, m.pupil_id)) in incompatible for m in members)
            alone = pupil.needs.travel_alone or any(m.needs.travel_alone for m in members)
            if not clash and not alone:
                groups[idx] = _Group((*members, pupil))
                continue
            idx = None
        groups.append(_Group((pupil,)))
        idx = len(groups) - 1
        if pupil.sibling_group:
            by_key.setdefault(key, idx)
            sibling_groups.setdefault(pupil.sibling_group, []).append(idx)
    same_vehicle: list[tuple[int, ...]] = []
    for name, idxs in sibling_groups.items():
        unique = tuple(dict.fromkeys(idxs))
        if len(unique) < 2:
            continue
        in_group = [p for i in unique for p in groups[i].pupils]
        if any(p.needs.travel_alone for p in in_group):
            notes.append(
                f"Sibling group '{name}' includes a pupil who travels alone: "
                "the siblings are not required to share a vehicle."
            )
            continue
        ids = [p.pupil_id for p in in_group]
        if any(frozenset((a, b)) in incompatible for i, a in enumerate(ids) for b in ids[i + 1 :]):
            notes.append(
                f"Sibling group '{name}' includes an incompatible pair: "
                "the siblings are not required to share a vehicle."
            )
            continue
        same_vehicle.append(unique)
    return groups, same_vehicle, notes


def _largest_group(classes: tuple[VehicleClass, ...]) -> int:
    """The most pupils one collection-point request may hold: the seats of the largest
    layout that also carries an assistant (so any group fits some vehicle with one)."""
    with_pa = [c.seats for c in classes if c.has_assistant]
    return max(1, max(with_pa) if with_pa else max(c.seats for c in classes))


def ride_cost_per_s(policy: Policy, num_pupils: int = 1) -> int:
    """Objective units per second of a ride carrying ``num_pupils`` (pupil problems)."""
    per_pupil = round(policy.ride_minute_value_pence * COST_UNITS_PER_PENCE / SECONDS_PER_MINUTE)
    return per_pupil * num_pupils


def long_ride_message(absolute_s: int, direct_s: int, limit_s: int) -> str:
    """An officer's words for a pupil whose direct trip is over the policy limit."""
    return (
        f"journey unavoidably over {_minutes(absolute_s)}: direct trip {_minutes(direct_s)} "
        f"(own limit {_minutes(limit_s)})"
    )


def _request_for_group(
    group: _Group,
    idx: int,
    scenario: Scenario,
    run: Run,
    loc: dict[str, int],
    duration_s: npt.NDArray[np.int64],
    horizon_s: tuple[int, int],
    home_stops: Mapping[str, str],
) -> tuple[Request, tuple[PupilFlag, ...]]:
    """The group's request, and a flag for each pupil whose direct trip is over the limit.

    The home end is the pupil's collection point when they walk to one: ride time, the
    direct trip and the ride limit all count from there."""
    policy = scenario.policy
    lead = group.lead
    school = scenario.school(lead.school_id)
    home = loc[home_stops[lead.pupil_id]]
    gate = loc[school_location_id(school.school_id)]
    boarding = sum(p.needs.boarding_s for p in group.pupils)
    handover = school.handover_s * len(group.pupils)
    direct = int(duration_s[home, gate] if run is Run.AM else duration_s[gate, home])
    max_ride = min(policy.ride_limit_s(p, direct) for p in group.pupils)
    flags = tuple(
        PupilFlag(p.pupil_id, run, long_ride_message(policy.max_ride_s_for(p), direct, max_ride))
        for p in group.pupils
        if direct > policy.max_ride_s_for(p)
    )
    wheelchairs = sum(1 for p in group.pupils if p.needs.wheelchair)
    requirements = {p.needs.vehicle_requirement for p in group.pupils} - {VehicleRequirement.NONE}
    allowed: frozenset[str] | None = None
    if requirements:
        allowed = frozenset(
            vt.name
            for vt in scenario.vehicle_types
            if all(vt.satisfies(req) for req in requirements)
        )
    h0, h1 = horizon_s
    if run is Run.AM:
        open_s, close_s = school.am_arrival_window_s
        pickup_loc, dropoff_loc = home, gate
        pickup_service, dropoff_service = boarding, handover
        pickup_window = (
            max(h0, open_s - max_ride - pickup_service),
            max(h0, close_s - direct - pickup_service),
        )
        dropoff_window = (open_s, close_s)
    else:
        open_s, close_s = school.pm_departure_window_s
        pickup_loc, dropoff_loc = gate, home
        pickup_service, dropoff_service = handover, boarding
        pickup_window = (open_s, close_s)
        dropoff_window = (
            min(h1, open_s + pickup_service + direct),
            min(h1, close_s + pickup_service + max_ride),
        )
    request = Request(
        request_id=f"R{idx:04d}",
        pupil_ids=tuple(p.pupil_id for p in group.pupils),
        school_id=school.school_id,
        pickup_loc=pickup_loc,
        dropoff_loc=dropoff_loc,
        pickup_window_s=pickup_window,
        dropoff_window_s=dropoff_window,
        pickup_service_s=pickup_service,
        dropoff_service_s=dropoff_service,
        seats=len(group.pupils) - wheelchairs,
        wheelchairs=wheelchairs,
        max_ride_s=max_ride,
        needs_assistant=any(p.needs.needs_assistant for p in group.pupils),
        travel_alone=any(p.needs.travel_alone for p in group.pupils),
        allowed_vehicle_types=allowed,
        ride_cost_per_s=ride_cost_per_s(policy, len(group.pupils)),
    )
    return request, flags


def _precheck(
    request: Request,
    classes: tuple[VehicleClass, ...],
    scenario: Scenario,
    duration_s: npt.NDArray[np.int64],
) -> tuple[UnassignedCode, str] | None:
    """Why no plan can carry this request (code, reason), or None when some plan might."""
    # No direct_ride_too_long: a pupil's limit is never below their direct trip
    # (Policy.ride_limit_s widens it and the request carries a flag instead).
    direct = int(duration_s[request.pickup_loc, request.dropoff_loc])
    if request.pickup_window_s[0] > request.pickup_window_s[1]:
        return (
            UnassignedCode.SCHOOL_WINDOW,
            "cannot reach the school inside its arrival window within the ride limit",
        )
    if request.dropoff_window_s[0] > request.dropoff_window_s[1]:
        return (
            UnassignedCode.SCHOOL_WINDOW,
            "cannot get home inside the ride limit after school ends",
        )
    types = scenario.vehicle_types
    if request.allowed_vehicle_types is not None:
        types = tuple(vt for vt in types if vt.name in request.allowed_vehicle_types)
        if not types:
            return (
                UnassignedCode.NO_VEHICLE,
                "needs a particular kind of vehicle but no vehicle type is one",
            )
    together = " together (siblings)" if len(request.pupil_ids) > 1 else ""
    if request.wheelchairs:
        most = max(vt.max_wheelchair_places for vt in types)
        if most == 0:
            return (
                UnassignedCode.NO_VEHICLE,
                "needs a wheelchair place but no vehicle type has one",
            )
        if request.wheelchairs > most:
            return (
                UnassignedCode.NO_VEHICLE,
                f"needs {request.wheelchairs} wheelchair places{together} but the largest "
                f"vehicle has {most}",
            )
    names = {vt.name for vt in types}
    fitting = [
        c
        for c in classes
        if c.vehicle_type in names
        and c.seats >= request.seats
        and c.wheelchair_places >= request.wheelchairs
    ]
    if request.needs_assistant:
        if not any(c.has_assistant for c in fitting):
            return (
                UnassignedCode.NO_VEHICLE,
                "needs a passenger assistant but no vehicle has room for the assistant "
                f"and {len(request.pupil_ids)} pupil(s)",
            )
        fitting = [c for c in fitting if c.has_assistant]
    if not fitting:
        most_seats = max(c.seats for c in classes if c.vehicle_type in names)
        if request.seats > most_seats:
            return (
                UnassignedCode.NO_VEHICLE,
                f"needs {request.seats} seats{together} but the largest vehicle has {most_seats}",
            )
        return (
            UnassignedCode.NO_VEHICLE,
            f"needs {request.seats} seat(s) and {request.wheelchairs} wheelchair place(s)"
            f"{together} but no vehicle layout has both",
        )
    trip = request.pickup_service_s + direct + request.dropoff_service_s
    longest = 0
    for c in fitting:
        extra = 0
        if c.start_loc is not None:
            extra += int(duration_s[c.start_loc, request.pickup_loc])
        if c.end_loc is not None:
            extra += int(duration_s[request.dropoff_loc, c.end_loc])
        longest = max(longest, c.max_duration_s - extra)
    if trip > longest:
        return (
            UnassignedCode.SHIFT_TOO_SHORT,
            f"the journey alone takes {_minutes(trip)}, longer than any vehicle's shift",
        )
    return None


def build_problem(
    scenario: Scenario,
    matrix: TravelMatrix,
    run: Run,
    *,
    pupil_ids: Iterable[str] | None = None,
) -> tuple[Problem, tuple[Unassigned, ...]]:
    """Turn one run of a scenario into a solver-ready problem, after a pre-check.

    One request per pupil, except siblings (same ``sibling_group``, school and address),
    who become one request: seats and wheelchair places summed, the shortest ride limit,
    boarding and hand-over times summed, needs combined. Siblings at different schools (or
    addresses) must share a vehicle (``Problem.same_vehicle``).

    AM: pickup at home (window from the horizon start, tightened by the school window and
    ride limit), drop-off at school inside ``School.am_arrival_window_s``. PM: pickup at
    school inside ``School.pm_departure_window_s``, drop-off at home.

    Vehicle classes: every vehicle type x seating layout x (with, without a passenger
    assistant, who takes a seat). ``VehicleClass.num_available`` is the *type's*
    availability, shared by every class of that type (the solver enforces the shared cap).

    Parameters
    ----------
    scenario
        The scenario.
    matrix
        Travel times and distances holding ``pupil:<id>``, ``school:<id>`` (and ``depot``
        when the policy starts routes at a depot).
    run
        AM (home to school) or PM (school to home).
    pupil_ids
        Plan only these pupils (default: every pupil who attends this run).

    Returns
    -------
    tuple[Problem, tuple[Unassigned, ...]]
        The problem of the pupils some plan can carry, and the pupils no plan can carry
        with the reason in plain words (``Unassigned.code`` says which rule).

    Raises
    ------
    InvalidScenarioError
        If ``pupil_ids`` names an unknown pupil, or the depot is needed but not in the matrix.
    """
    policy = scenario.policy
    chosen = _chosen_pupils(scenario, run, pupil_ids)
    use_depot = policy.route_start is RouteStart.DEPOT
    if use_depot and DEPOT_LOCATION_ID not in matrix:
        msg = "policy route_start 'depot' but the travel matrix has no 'depot' location."
        raise InvalidScenarioError(msg)
    depot_row = matrix.index(DEPOT_LOCATION_ID) if use_depot else None
    home_stops = _home_stops(scenario)
    reachable, unreachable = _reachable_pupils(chosen, matrix, run, depot_row, home_stops)
    unassigned = list(unreachable)

    # Locations: depot (when used), then schools, then homes, as rows of the matrix.
    rows: list[int] = []
    if depot_row is not None:
        rows.append(depot_row)
    school_ids = list(dict.fromkeys(p.school_id for p in reachable))
    rows += [matrix.index(school_location_id(s)) for s in school_ids]
    rows += [matrix.index(home_stops[p.pupil_id]) for p in reachable]
    rows = list(dict.fromkeys(rows))
    row_index = np.asarray(rows, dtype=np.int64)
    duration = np.ascontiguousarray(matrix.duration_s[np.ix_(row_index, row_index)], np.int64)
    distance = np.ascontiguousarray(matrix.distance_m[np.ix_(row_index, row_index)], np.int64)
    location_ids = tuple(matrix.location_ids[r] for r in rows)
    loc = {lid: i for i, lid in enumerate(location_ids)}
    start_loc = loc[DEPOT_LOCATION_ID] if use_depot else None
    classes = _vehicle_classes(scenario, start_loc)
    horizon = (0, 24 * 3600)

    incompatible_pupils = {
        frozenset((pair.pupil_a, pair.pupil_b)) for pair in scenario.incompatible_pairs
    }
    walking = {w.pupil_id: home_stops[w.pupil_id] for w in scenario.walks}
    groups, same_groups, notes = _group_pupils(
        reachable, incompatible_pupils, walking, _largest_group(classes)
    )
    requests: list[Request] = []
    flags: list[PupilFlag] = []
    kept: dict[int, Request] = {}
    for idx, group in enumerate(groups):
        request, group_flags = _request_for_group(
            group, idx + 1, scenario, run, loc, duration, horizon, home_stops
        )
        why = _precheck(request, classes, scenario, duration)
        if why is not None:
            code, reason = why
            unassigned += [Unassigned(pid, run, reason, code=code) for pid in request.pupil_ids]
            continue
        requests.append(request)
        flags += group_flags
        kept[idx] = request
    incompatible = _incompatible_requests(requests, incompatible_pupils)
    same_vehicle, same_notes = _same_vehicle_requests(kept, same_groups, policy)
    notes += same_notes
    at_points = {pid for pid in walking}
    if any(len(r.pupil_ids) > 1 and r.pupil_ids[0] not in at_points for r in requests):
        notes.append(_SIBLINGS_NOTE)
    if any(len(r.pupil_ids) > 1 and r.pupil_ids[0] in at_points for r in requests):
        notes.append(_COLLECTION_NOTE)
    if any(vt.num_available is not None for vt in scenario.vehicle_types):
        notes.append("A vehicle type's availability is shared by all its layouts.")
    if flags:
        notes.append(
            f"{len(flags)} pupil(s) have a direct trip longer than the policy ride limit: "
            "each is carried on their own longer limit and flagged for an officer."
        )

    problem = Problem(
        name=f"{scenario.name} {run.value}",
        run=run,
        location_ids=location_ids,
        duration_s=duration,
        distance_m=distance,
        requests=tuple(requests),
        vehicle_classes=classes,
        incompatible=incompatible,
        same_vehicle=same_vehicle,
        horizon_s=horizon,
        objective=ObjectiveKind.COST,
        cost_units_per_pence=COST_UNITS_PER_PENCE,
        lons=tuple(float(matrix.lons[r]) for r in rows),
        lats=tuple(float(matrix.lats[r]) for r in rows),
        allow_mixed_schools=policy.allow_mixed_school_routes,
        notes=tuple(notes),
        travel_model=matrix.model,
        flags=tuple(flags),
    )
    if unassigned:
        logger.info("%s: pre-check leaves %d pupil(s) unassigned", problem.name, len(unassigned))
    return problem, tuple(unassigned)


def _chosen_pupils(scenario: Scenario, run: Run, pupil_ids: Iterable[str] | None) -> list[Pupil]:
    """The pupils to plan on this run: every one attending it, or the named ones."""
    if pupil_ids is None:
        return [p for p in scenario.pupils if run in p.runs()]
    by_id = scenario.pupils_by_id()
    wanted = list(dict.fromkeys(pupil_ids))
    unknown = [pid for pid in wanted if pid not in by_id]
    if unknown:
        msg = f"pupil_ids names unknown pupil '{unknown[0]}'."
        raise InvalidScenarioError(msg)
    return [by_id[pid] for pid in wanted if run in by_id[pid].runs()]


def _reachable_pupils(
    chosen: list[Pupil],
    matrix: TravelMatrix,
    run: Run,
    depot_row: int | None,
    home_stops: Mapping[str, str],
) -> tuple[list[Pupil], list[Unassigned]]:
    """The pupils whose home (or collection point) and school the network connects, and
    the others unassigned."""
    bad_ids = _unreachable_ids(matrix)
    reachable: list[Pupil] = []
    unassigned: list[Unassigned] = []
    for pupil in chosen:
        home_id = home_stops[pupil.pupil_id]
        gate_id = school_location_id(pupil.school_id)
        where = "home" if home_id not in matrix or home_id in bad_ids else None
        if where is None and (gate_id not in matrix or gate_id in bad_ids):
            where = "school"
        if where is None:
            home, gate = matrix.index(home_id), matrix.index(gate_id)
            pairs = [(home, gate)] if run is Run.AM else [(gate, home)]
            if depot_row is not None:
                pairs += [(depot_row, pairs[0][0]), (pairs[0][1], depot_row)]
            if not all(matrix.is_reachable(a, b) for a, b in pairs):
                where = "home"
        if where is not None:
            unassigned.append(
                Unassigned(
                    pupil.pupil_id,
                    run,
                    f"{where} location could not be reached on the road network",
                    code=UnassignedCode.UNREACHABLE,
                )
            )
            continue
        reachable.append(pupil)
    return reachable, unassigned


def _incompatible_requests(
    requests: list[Request], incompatible_pupils: set[frozenset[str]]
) -> tuple[tuple[str, str], ...]:
    """Request id pairs that must never share a vehicle (from the pupils' pairs)."""
    request_of_pupil = {pid: r.request_id for r in requests for pid in r.pupil_ids}
    pairs: set[tuple[str, str]] = set()
    for pair in incompatible_pupils:
        a, b = tuple(pair)
        ra, rb = request_of_pupil.get(a), request_of_pupil.get(b)
        if ra is not None and rb is not None and ra != rb:
            pairs.add((min(ra, rb), max(ra, rb)))
    return tuple(sorted(pairs))


def _same_vehicle_requests(
    kept: dict[int, Request], same_groups: list[tuple[int, ...]], policy: Policy
) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """Request id groups that must share a vehicle (siblings), and notes on exemptions."""
    notes: list[str] = []
    same_vehicle: list[tuple[str, ...]] = []
    for idxs in same_groups:
        ids = tuple(kept[i].request_id for i in idxs if i in kept)
        if len(ids) < 2:
            continue
        schools = {kept[i].school_id for i in idxs if i in kept}
        if len(schools) > 1 and not policy.allow_mixed_school_routes:
            notes.append(
                f"Siblings {', '.join(ids)} go to different schools but mixed-school routes "
                "are off: they are not required to share a vehicle."
            )
            continue
        same_vehicle.append(ids)
    return tuple(same_vehicle), notes


def restrict(
    problem: Problem,
    request_ids: Iterable[str],
    *,
    num_available: dict[str, int | None] | None = None,
    name: str | None = None,
) -> Problem:
    """The same problem over a subset of its requests (matrices cut to their locations).

    Parameters
    ----------
    problem
        The whole problem.
    request_ids
        The requests to keep (pairs and groups are kept where both sides are kept).
    num_available
        Vehicle type name -> vehicles this part may use (replaces the classes'
        ``num_available`` for the named types).
    name
        The part's name (default: the problem's).

    Returns
    -------
    Problem
        A problem holding only those requests and the locations they, and the vehicles, use.
    """
    keep = set(request_ids)
    requests = [r for r in problem.requests if r.request_id in keep]
    rows: list[int] = []
    for c in problem.vehicle_classes:
        rows += [x for x in (c.start_loc, c.end_loc) if x is not None]
    for r in requests:
        rows += [r.pickup_loc, r.dropoff_loc]
    rows = list(dict.fromkeys(rows))
    new = {old: i for i, old in enumerate(rows)}
    idx = np.asarray(rows, dtype=np.int64)
    classes = tuple(
        replace(
            c,
            start_loc=None if c.start_loc is None else new[c.start_loc],
            end_loc=None if c.end_loc is None else new[c.end_loc],
            num_available=(
                num_available[c.vehicle_type]
                if num_available is not None and c.vehicle_type in num_available
                else c.num_available
            ),
        )
        for c in problem.vehicle_classes
    )
    return replace(
        problem,
        name=name or problem.name,
        location_ids=tuple(problem.location_ids[i] for i in rows),
        duration_s=np.ascontiguousarray(problem.duration_s[np.ix_(idx, idx)]),
        distance_m=np.ascontiguousarray(problem.distance_m[np.ix_(idx, idx)]),
        requests=tuple(
            replace(r, pickup_loc=new[r.pickup_loc], dropoff_loc=new[r.dropoff_loc])
            for r in requests
        ),
        vehicle_classes=classes,
        incompatible=tuple(p for p in problem.incompatible if p[0] in keep and p[1] in keep),
        same_vehicle=tuple(
            g2 for g in problem.same_vehicle if len(g2 := tuple(x for x in g if x in keep)) > 1
        ),
        lons=tuple(problem.lons[i] for i in rows) if problem.lons else (),
        lats=tuple(problem.lats[i] for i in rows) if problem.lats else (),
    )
