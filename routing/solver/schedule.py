"""Exact checks of one route in the index space: loads, vehicle rules, times, cost.

A route is a node sequence on a vehicle. :func:`route_ok` says whether a vehicle can run
it (seats, wheelchair places, travelling alone, vehicle-class rules, incompatible pairs,
one school per route when required, then windows, ride limits and shift, by the latest
and the earliest schedules) and :func:`route_cost` prices it in objective units. The
warm start, the repair pass and the mapping back to a Plan use these; no ortools here.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from routing.model import Run
from routing.problem import ObjectiveKind, VehicleClass
from routing.solver.space import IndexSpace, Vehicle

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Timed:
    """A node of a route with its arrival, service start and departure."""

    node: int
    arrival_s: int
    start_s: int
    departure_s: int


def schedule(space: IndexSpace, seq: Sequence[int], starts: Sequence[int]) -> list[Timed]:
    """Arrival and departure from given service starts (departure = start + service)."""
    out: list[Timed] = []
    for k, n in enumerate(seq):
        start = starts[k]
        arrival = start if k == 0 else out[-1].departure_s + int(space.travel_s[seq[k - 1], n])
        out.append(Timed(n, arrival, start, start + int(space.service_s[n])))
    return out


def earliest(space: IndexSpace, seq: Sequence[int]) -> list[int]:
    """Service starts as early as the windows allow (no ride limits considered)."""
    starts: list[int] = []
    for k, n in enumerate(seq):
        lo = space.nodes[n].window_s[0]
        if k == 0:
            starts.append(lo)
        else:
            prev = seq[k - 1]
            arrive = starts[-1] + int(space.service_s[prev] + space.travel_s[prev, n])
            starts.append(max(arrive, lo))
    return starts


def latest(space: IndexSpace, seq: Sequence[int]) -> list[int]:
    """Service starts as late as the windows allow (no ride limits considered)."""
    starts = [0] * len(seq)
    for k in range(len(seq) - 1, -1, -1):
        n = seq[k]
        hi = space.nodes[n].window_s[1]
        if k < len(seq) - 1:
            nxt = seq[k + 1]
            hi = min(hi, starts[k + 1] - int(space.service_s[n] + space.travel_s[n, nxt]))
        starts[k] = hi
    return starts


def ride_aware(space: IndexSpace, seq: Sequence[int]) -> list[int]:
    """Earliest service starts that also hold the ride limits where waiting can: a pickup
    is delayed (and what follows it) until its drop-off is within the limit, repeated
    until nothing moves (the least solution of the difference constraints, as the ALNS's
    kernel computes it). A window that is then exceeded shows in :func:`feasible`."""
    starts = earliest(space, seq)
    pick_pos: dict[int, int] = {}
    for k, n in enumerate(seq):
        if space.nodes[n].is_pickup:
            pick_pos[space.nodes[n].request_idx] = k
    for _ in range(len(seq) + 3):
        moved = False
        for k, n in enumerate(seq):
            node = space.nodes[n]
            limit = space.requests[node.request_idx].max_ride_s
            if node.is_pickup or limit is None or node.request_idx not in pick_pos:
                continue
            p = pick_pos[node.request_idx]
            low = starts[k] - limit - int(space.service_s[seq[p]])
            if starts[p] < low:
                starts[p] = low
                moved = True
        if not moved:
            break
        for k in range(1, len(seq)):
            prev, n = seq[k - 1], seq[k]
            arrive = starts[k - 1] + int(space.service_s[prev] + space.travel_s[prev, n])
            starts[k] = max(starts[k], arrive, space.nodes[n].window_s[0])
    return starts


def route_legs_s(space: IndexSpace, veh: Vehicle, seq: Sequence[int]) -> tuple[int, int]:
    """Travel time from the start depot to the first stop and from the last to the end."""
    lead = int(space.travel_s[veh.start_node, seq[0]]) if veh.start_node else 0
    tail = int(space.travel_s[seq[-1], veh.end_node]) if veh.end_node else 0
    return lead, tail


def feasible(space: IndexSpace, veh: Vehicle, timed: list[Timed]) -> bool:
    """Windows, consistent travel, ride limits, shift and horizon of a timed route."""
    problem = space.problem
    cls = problem.vehicle_classes[veh.cls_idx]
    pick_end: dict[int, int] = {}
    for k, t in enumerate(timed):
        node = space.nodes[t.node]
        lo, hi = node.window_s
        if not lo <= t.start_s <= hi or t.start_s < t.arrival_s:
            return False
        if k and t.arrival_s != timed[k - 1].departure_s + int(
            space.travel_s[timed[k - 1].node, t.node]
        ):
            return False
        r = space.requests[node.request_idx]
        if node.is_pickup:
            pick_end[node.request_idx] = t.departure_s
        elif r.max_ride_s is not None and t.start_s - pick_end[node.request_idx] > r.max_ride_s:
            return False
    lead, tail = route_legs_s(space, veh, [t.node for t in timed])
    duration = timed[-1].departure_s + tail - (timed[0].arrival_s - lead)
    h0, h1 = problem.horizon_s
    return (
        duration <= cls.max_duration_s
        and timed[0].arrival_s - lead >= h0
        and timed[-1].departure_s + tail <= h1
    )


def fits(space: IndexSpace, cls: VehicleClass, seq: list[int]) -> bool:
    """Vehicle rules and peak loads only (no times): a quick filter before ``route_ok``."""
    seats = chairs = 0
    for n in seq:
        node = space.nodes[n]
        r = space.requests[node.request_idx]
        if node.is_pickup:
            if not space.compatible(r, cls):
                return False
            seats += r.seats
            chairs += r.wheelchairs
            if seats > cls.seats or chairs > cls.wheelchair_places:
                return False
        else:
            seats -= r.seats
            chairs -= r.wheelchairs
    return True


def loads_ok(space: IndexSpace, veh: Vehicle, seq: list[int]) -> bool:
    """Loads and vehicle rules, travelling alone, one school, incompatible pairs."""
    problem = space.problem
    if not fits(space, problem.vehicle_classes[veh.cls_idx], seq):
        return False
    on_board: set[int] = set()
    schools: set[str] = set()
    for n in seq:
        node = space.nodes[n]
        if node.is_pickup:
            on_board.add(node.request_idx)
            schools.add(space.requests[node.request_idx].school_id)
            if len(on_board) > 1 and any(space.requests[i].travel_alone for i in on_board):
                return False
        else:
            on_board.discard(node.request_idx)
    if len(schools) > 1 and not problem.allow_mixed_schools:
        return False
    ids = {space.requests[space.nodes[n].request_idx].request_id for n in seq}
    return not any(a in ids and b in ids for a, b in problem.incompatible)


def route_ok(
    space: IndexSpace, veh: Vehicle, seq: list[int], *, exact: bool = False
) -> list[int] | None:
    """Service starts of a feasible schedule of ``seq`` on ``veh``, or None.

    Loads (seats, wheelchair places, travelling alone), vehicle-class rules, incompatible
    pairs, one school per route when required, then windows, ride limits and shift by
    the latest and the earliest schedules; with ``exact``, also by :func:`ride_aware`
    (pickups delayed for the ride limits: a route a search made can need it).
    """
    if not loads_ok(space, veh, seq):
        return None
    makers: list[Callable[[IndexSpace, Sequence[int]], list[int]]] = [latest, earliest]
    if exact:
        makers.append(ride_aware)
    for make in makers:
        starts = make(space, seq)
        if feasible(space, veh, schedule(space, seq, starts)):
            return starts
    return None


def route_distance_m(space: IndexSpace, veh: Vehicle, seq: Sequence[int]) -> int:
    """Metres driven, depot legs included."""
    path = ([veh.start_node] if veh.start_node else []) + list(seq)
    path += [veh.end_node] if veh.end_node else []
    return int(sum(space.distance_m[a, b] for a, b in itertools.pairwise(path)))


def ride_value(space: IndexSpace, seq: Sequence[int]) -> int:
    """Objective units of the route's rides (``Request.ride_cost_per_s`` x ride), each
    ride timed as driven without waiting: the measure the whole-run search prices
    (``alns_fleet._route_ride``), 0 when the policy puts no value on a minute."""
    total = 0
    on_board = 0
    for k, n in enumerate(seq):
        node = space.nodes[n]
        rate = space.requests[node.request_idx].ride_cost_per_s
        if not node.is_pickup:
            on_board -= rate
        total += on_board * int(space.service_s[n])
        if node.is_pickup:
            on_board += rate
        if k + 1 < len(seq):
            total += on_board * int(space.travel_s[n, seq[k + 1]])
    return total


def route_cost(space: IndexSpace, veh: Vehicle, seq: list[int]) -> int:
    """Objective units: metres (distance problems), or fixed cost + cost per metre."""
    cls = space.problem.vehicle_classes[veh.cls_idx]
    metres = route_distance_m(space, veh, seq)
    if space.problem.objective is ObjectiveKind.DISTANCE:
        return metres
    return cls.fixed_cost + cls.cost_per_m * metres


def final_times(space: IndexSpace, veh: Vehicle, seq: list[int], cumuls: list[int]) -> list[Timed]:
    """Pick the schedule: AM as late as feasible (shorter waits, later pickups), PM as early.

    The given service starts (a search's own) are the fallback when neither extreme is
    feasible.
    """
    order = (latest, earliest) if space.problem.run is Run.AM else (earliest, latest)
    for make in order:
        timed = schedule(space, seq, make(space, seq))
        if feasible(space, veh, timed):
            return timed
    timed = schedule(space, seq, cumuls)
    if not feasible(space, veh, timed):
        logger.warning("%s: a route's recomputed times break a rule", space.problem.name)
    return timed


__all__ = [
    "Timed",
    "earliest",
    "feasible",
    "final_times",
    "fits",
    "latest",
    "loads_ok",
    "route_cost",
    "route_distance_m",
    "route_legs_s",
    "route_ok",
    "schedule",
]
