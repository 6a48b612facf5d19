"""Every entitled pupil planned: the run-wide last step after the search.

A search (OR-Tools in parts, the ruin-and-recreate search over the run) can leave pupils
out who some vehicle could carry: a part whose time ran out, siblings at two schools it
split. :func:`complete_run` places each of them after the search, over the whole run:

1. the units to place: each left-out request, or a sibling group together (pinned to the
   route of a member already carried, if one is);
2. units are taken by school (a school's left-out pupils together), each time over a small
   problem (``problem.restrict``) of the units and the nearby routes: the routes that
   visit the unit's school and the routes passing nearest its home;
3. each unit goes where it adds least cost: into an existing route (its current vehicle,
   or a roomier class of it when the type's fleet has one left), or onto a new vehicle of
   the cheapest class that can carry it (the sibling group together), within each type's
   ``num_available`` for the run (the plan's other routes counted);
4. changed routes are right-sized and rebuilt (``plans``), the rest are kept as they were.

What stays unassigned is what no vehicle can do: a sibling group no single vehicle can
carry together inside its windows and ride limits, or whose carried member's route has no
room for the rest (``siblings_apart``), a journey no empty vehicle can time
(``school_window``), or a pupil every vehicle that could carry them is already in use for
(``fleet_full``); each with the reason in words. Pupils not reached by the deadline keep
``not_placed``. The exact checks are ``schedule``'s (and :func:`exact_starts` for the verdict
that a group fits no vehicle); no ortools here.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from routing.model import Plan, Route, Run, Unassigned, UnassignedCode
from routing.problem import Problem, Request, restrict
from routing.solver.plans import initial_from_plan, plan_from_routes
from routing.solver.repair import insert_best
from routing.solver.schedule import (
    feasible,
    loads_ok,
    route_cost,
    route_legs_s,
    route_ok,
    schedule,
)
from routing.solver.sizing import cheapest_class
from routing.solver.space import IndexSpace, SpaceRoute, Vehicle

logger = logging.getLogger(__name__)

PLACEABLE = frozenset({UnassignedCode.NOT_PLACED, UnassignedCode.SIBLINGS_APART})
"""The codes of pupils a vehicle could still carry: the search's misses."""

NEAR_ROUTES = 6
"""Routes passing nearest a unit's home taken into its school's small problem."""

SCHOOL_ROUTES = 12
"""At most this many routes of a unit's school taken in (the nearest to its home)."""

TRY_ROUTES = 10
"""Routes of the small problem a unit is tried in: its school's nearest first."""

OTHER_SCHOOL_PENALTY_S = 600
"""Ranking the routes to try: another school's route counts as this much farther."""

EXHAUSTIVE_STOPS = 4
"""Routes of up to this many stops get every insertion position tried."""

INSERT_POSITIONS = 4
"""Longer routes: this many pickup positions of least detour, and drop-offs after each."""

UPGRADE_ROUTES = 3
"""Of the routes tried, the nearest this many are also tried on a roomier class."""

EXACT_GROUP_MAX = 3
"""Groups of up to this many requests get every order tried on an empty vehicle."""

GROUP_APART_REASON = (
    "travels with a sibling at another school, and no single vehicle can carry them "
    "together inside both school windows and their ride limits"
)
FLEET_FULL_REASON = (
    "every vehicle of the types that can carry this journey is already in use on this run "
    "(the scenario's vehicle numbers)"
)


@dataclass
class _Unit:
    """Requests to place together, the school they are sorted by, and a pinning route."""

    request_ids: list[str]
    school_id: str
    home_loc: int
    pinned_route: int | None = None  # index into the run's routes


@dataclass
class _RunState:
    """The run's routes while units are placed, and vehicles of each capped type in use."""

    problem: Problem
    routes: list[Route]
    cap: dict[str, int]
    req: dict[str, Request] = field(default_factory=dict)
    route_locs: list[set[int]] = field(default_factory=list)
    route_requests: list[set[str]] = field(default_factory=list)
    flat_locs: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    route_starts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def index_routes(self) -> None:
        self.req = {r.request_id: r for r in self.problem.requests}
        loc_of = {lid: i for i, lid in enumerate(self.problem.location_ids)}
        req_of = {pid: r.request_id for r in self.problem.requests for pid in r.pupil_ids}
        self.route_locs = [{loc_of[s.location_id] for s in r.stops} for r in self.routes]
        self.route_requests = [
            {req_of[pid] for pid in r.pupil_ids() if pid in req_of} for r in self.routes
        ]
        # Every route's locations in one array, for the nearest routes to a home at once.
        self.flat_locs = np.asarray([x for locs in self.route_locs for x in locs], np.int64)
        sizes = [len(locs) for locs in self.route_locs]
        self.route_starts = np.cumsum([0, *sizes[:-1]]).astype(np.int64)

    def gaps_s(self, loc: int) -> npt.NDArray[np.int64]:
        """Drive time from ``loc`` to the nearest stop of each route."""
        if not self.routes:
            return np.zeros(0, np.int64)
        row = self.problem.duration_s[loc]
        return np.asarray(np.minimum.reduceat(row[self.flat_locs], self.route_starts))

    def in_use(self, name: str, outside: set[int]) -> int:
        return sum(1 for k in outside if self.routes[k].vehicle_type == name)


def complete_run(problem: Problem, plan: Plan, deadline: float) -> Plan:
    """Place every pupil the search left out whom some vehicle can still carry.

    Parameters
    ----------
    problem
        The whole run's problem (what the plan's routes were planned from).
    plan
        The run's merged plan: routes, and unassigned pupils with their codes.
    deadline
        ``time.monotonic()`` after which no new unit is started (those left keep their
        code); each unit costs milliseconds.

    Returns
    -------
    Plan
        The plan with those pupils on routes (routes renumbered ``AM-001``...), and in
        ``unassigned`` the pre-check's pupils and what no vehicle can do, each with its
        reason.
    """
    placeable = {u.pupil_id for u in plan.unassigned if u.code in PLACEABLE}
    if not placeable or not problem.requests:
        return plan
    started = time.monotonic()
    state = _RunState(problem, list(plan.routes), _caps(problem))
    state.index_routes()
    units = _units(problem, state, placeable)
    left: dict[str, Unassigned] = {}
    placed = 0
    for school_units in _by_school(units):
        if time.monotonic() > deadline:
            break
        for unit, why in _place_school(state, school_units):
            if why is None:
                placed += len(unit.request_ids)
            else:
                for rid in unit.request_ids:
                    for pid in state.req[rid].pupil_ids:
                        left[pid] = Unassigned(pid, problem.run, why[1], code=why[0])
    routed = {pid for r in state.routes for pid in r.pupil_ids()}
    unassigned = []
    for u in plan.unassigned:
        if u.pupil_id not in placeable:
            unassigned.append(u)
        elif u.pupil_id in left:
            unassigned.append(left[u.pupil_id])
        elif u.pupil_id not in routed:
            unassigned.append(u)  # not reached before the deadline
    routes = tuple(
        replace(r, route_id=f"{problem.run.value}-{k + 1:03d}") for k, r in enumerate(state.routes)
    )
    logger.info(
        "%s: completion placed %d of %d left-out request(s) in %.1f s",
        problem.name,
        placed,
        sum(len(u.request_ids) for u in units),
        time.monotonic() - started,
    )
    return replace(
        plan,
        routes=routes,
        unassigned=tuple(unassigned),
    )


def _caps(problem: Problem) -> dict[str, int]:
    return {
        c.vehicle_type: c.num_available
        for c in problem.vehicle_classes
        if c.num_available is not None
    }


def _units(problem: Problem, state: _RunState, placeable: set[str]) -> list[_Unit]:
    """The requests to place: sibling groups together, each pinned where a member rides."""
    missing = [r for r in problem.requests if any(pid in placeable for pid in r.pupil_ids)]
    missing_ids = {r.request_id for r in missing}
    route_of = {rid: k for k, reqs in enumerate(state.route_requests) for rid in reqs}
    units: list[_Unit] = []
    grouped: set[str] = set()
    for group in problem.same_vehicle:
        members = [rid for rid in group if rid in missing_ids]
        if not members:
            continue
        pins = {route_of[rid] for rid in group if rid in route_of}
        first = state.req[members[0]]
        units.append(
            _Unit(members, first.school_id, _home(problem, first), min(pins, default=None))
        )
        grouped.update(members)
    units += [
        _Unit([r.request_id], r.school_id, _home(problem, r))
        for r in missing
        if r.request_id not in grouped
    ]
    # Groups and wheelchair users first: they have the fewest places to go.
    chairs = {
        u.request_ids[0]: sum(state.req[rid].wheelchairs for rid in u.request_ids) for u in units
    }
    units.sort(key=lambda u: (-len(u.request_ids), -chairs[u.request_ids[0]], u.request_ids[0]))
    return units


def _home(problem: Problem, r: Request) -> int:
    return r.pickup_loc if problem.run is Run.AM else r.dropoff_loc


def _by_school(units: list[_Unit]) -> list[list[_Unit]]:
    by: dict[str, list[_Unit]] = {}
    for u in units:
        by.setdefault(u.school_id, []).append(u)
    return list(by.values())


def _candidates(state: _RunState, units: Sequence[_Unit]) -> list[int]:
    """The routes offered to these units: their schools', the nearest to their homes."""
    problem = state.problem
    chosen: list[int] = []
    for unit in units:
        if unit.pinned_route is not None:
            chosen.append(unit.pinned_route)
            continue
        school_locs = {
            loc
            for rid in unit.request_ids
            for loc in (state.req[rid].pickup_loc, state.req[rid].dropoff_loc)
            if loc != unit.home_loc
        }
        near = [int(k) for k in np.argsort(state.gaps_s(unit.home_loc), kind="stable")]
        same = [k for k in near if state.route_locs[k] & school_locs][:SCHOOL_ROUTES]
        others = [] if not problem.allow_mixed_schools else near[:NEAR_ROUTES]
        chosen += same + others
    return list(dict.fromkeys(chosen))


def _place_school(
    state: _RunState, units: list[_Unit]
) -> list[tuple[_Unit, tuple[UnassignedCode, str] | None]]:
    """Place one school's units over a small problem of them and their nearby routes."""
    problem = state.problem
    cand = _candidates(state, units)
    outside = set(range(len(state.routes))) - set(cand)
    caps = {name: cap - state.in_use(name, outside) for name, cap in state.cap.items()}
    ids = [rid for k in cand for rid in state.route_requests[k]]
    ids += [rid for u in units for rid in u.request_ids]
    sub = restrict(problem, dict.fromkeys(ids), num_available=dict(caps), name=problem.name)
    space = IndexSpace(sub)
    space.vehicles = []
    routes: list[SpaceRoute] = []
    kept: list[int] = []  # run route index of each space route
    for k in cand:
        start = initial_from_plan(space, replace(_empty(), routes=(state.routes[k],)))
        seq_ok = None
        if len(start) == 1:
            ci, seq = start[0]
            space.vehicles.append(space.vehicle_of_class(ci))
            seq_ok = route_ok(space, space.vehicles[-1], seq)
        if seq_ok is None:
            continue  # cannot be mapped: left as it is, not offered
        routes.append((len(space.vehicles) - 1, seq, seq_ok))
        kept.append(k)
    used = {name: 0 for name in caps}
    for vi, _, _ in routes:
        name = sub.vehicle_classes[space.vehicles[vi].cls_idx].vehicle_type
        if name in used:
            used[name] += 1
    out: list[tuple[_Unit, tuple[UnassignedCode, str] | None]] = []
    touched: set[int] = set()
    for unit in units:
        slot_of_pin = kept.index(unit.pinned_route) if unit.pinned_route in kept else None
        why = _place_unit(space, routes, unit, caps, used, slot_of_pin, touched)
        out.append((unit, why))
    if touched:
        _write_back(state, space, routes, kept, touched, caps, used)
    return out


def _empty() -> Plan:
    return Plan(scenario_name="", routes=(), unassigned=(), travel_model="")


def _place_unit(
    space: IndexSpace,
    routes: list[SpaceRoute],
    unit: _Unit,
    caps: dict[str, int],
    used: dict[str, int],
    pinned_slot: int | None,
    touched: set[int],
) -> tuple[UnassignedCode, str] | None:
    """Put one unit where it adds least cost; None when placed, else (code, reason)."""
    sub = space.problem
    idxs = [space.position[rid] for rid in unit.request_ids]
    classes = sub.vehicle_classes

    def room(ci: int, old_ci: int | None = None) -> bool:
        name = classes[ci].vehicle_type
        if name not in caps or (old_ci is not None and classes[old_ci].vehicle_type == name):
            return True
        return used[name] < caps[name]

    # A unit no empty vehicle can carry fits no route either (stops only add time).
    alone: tuple[int, int, int, list[int], list[int]] | None = None
    fits_alone = pinned_slot is not None
    if pinned_slot is None:
        for ci in range(len(classes)):
            got = _insert_unit(space, ci, [], idxs)
            if got is None:
                continue
            fits_alone = True
            if room(ci) and (alone is None or got[0] < alone[0]):
                alone = (got[0], -1, ci, got[1], got[2])
        if not fits_alone:
            if len(idxs) > 1:
                return (UnassignedCode.SIBLINGS_APART, GROUP_APART_REASON)
            return (UnassignedCode.SCHOOL_WINDOW, _no_room_reason(None))
    best = alone
    slots = [pinned_slot] if pinned_slot is not None else _nearest_slots(space, routes, idxs)
    for rank, slot in enumerate(slots):
        vi, seq, _ = routes[slot]
        cur = space.vehicles[vi].cls_idx
        base = route_cost(space, space.vehicles[vi], seq)
        got = _insert_unit(space, cur, seq, idxs)
        if got is not None and (best is None or got[0] - base < best[0]):
            best = (got[0] - base, slot, cur, got[1], got[2])
        if got is not None or (rank >= UPGRADE_ROUTES and pinned_slot is None):
            continue
        # No room on its vehicle: the same route on a roomier class of a type with one left.
        for ci in _roomier(space, cur, idxs):
            if not room(ci, cur):
                continue
            got = _insert_unit(space, ci, seq, idxs)
            if got is not None and (best is None or got[0] - base < best[0]):
                best = (got[0] - base, slot, ci, got[1], got[2])
    if best is None:
        if pinned_slot is None:
            return (UnassignedCode.FLEET_FULL, FLEET_FULL_REASON)
        return (UnassignedCode.SIBLINGS_APART, _no_room_reason(pinned_slot))
    _, slot, ci, seq, starts = best
    space.vehicles.append(space.vehicle_of_class(ci))
    vi = len(space.vehicles) - 1
    name = classes[ci].vehicle_type
    if slot < 0:
        routes.append((vi, seq, starts))
        touched.add(len(routes) - 1)
        if name in used:
            used[name] += 1
        return None
    old = classes[space.vehicles[routes[slot][0]].cls_idx].vehicle_type
    if old != name:
        if old in used:
            used[old] -= 1
        if name in used:
            used[name] += 1
    routes[slot] = (vi, seq, starts)
    touched.add(slot)
    return None


def _nearest_slots(space: IndexSpace, routes: list[SpaceRoute], idxs: list[int]) -> list[int]:
    """The routes worth trying for a unit: those of its school(s) passing nearest its home
    first (a route of another school only when no nearer one of its own is left)."""
    first = space.requests[idxs[0]]
    home = first.pickup_loc if space.problem.run is Run.AM else first.dropoff_loc
    schools = {space.requests[i].school_id for i in idxs}
    row = space.problem.duration_s[home]
    ranked: list[tuple[int, int]] = []
    for slot, (_, seq, _) in enumerate(routes):
        gap = min(int(row[space.nodes[n].loc]) for n in seq)
        own = any(space.requests[space.nodes[n].request_idx].school_id in schools for n in seq)
        ranked.append((gap + (0 if own else OTHER_SCHOOL_PENALTY_S), slot))
    ranked.sort()
    return [slot for _, slot in ranked[:TRY_ROUTES]]


def _roomier(space: IndexSpace, cur: int, idxs: list[int]) -> list[int]:
    """Classes with at least the places of ``cur`` and more of what the unit needs."""
    classes = space.problem.vehicle_classes
    c = classes[cur]
    seats = sum(space.requests[i].seats for i in idxs)
    chairs = sum(space.requests[i].wheelchairs for i in idxs)
    helper = any(space.requests[i].needs_assistant for i in idxs)
    return [
        ci
        for ci, o in enumerate(classes)
        if ci != cur
        and o.seats >= c.seats
        and o.wheelchair_places >= c.wheelchair_places
        and (o.has_assistant or not c.has_assistant)
        and (
            (seats and o.seats > c.seats)
            or (chairs and o.wheelchair_places > c.wheelchair_places)
            or (helper and o.has_assistant and not c.has_assistant)
        )
    ]


def _insert_one(
    space: IndexSpace, veh: Vehicle, seq: list[int], request_idx: int
) -> tuple[int, list[int], list[int]] | None:
    """Cheapest feasible insertion of one request, over the positions of least detour.

    Short routes get every position (``repair.insert_best``); longer ones the
    ``INSERT_POSITIONS`` pickup positions of least detour, each with as many drop-off
    positions after it, so a unit costs milliseconds on a long minibus route.
    """
    if len(seq) <= EXHAUSTIVE_STOPS:
        return insert_best(space, veh, seq, request_idx)
    p, d = space.pickup_node(request_idx), space.dropoff_node(request_idx)
    dist = space.distance_m

    def detour(s: list[int], pos: int, x: int) -> int:
        # Node 0 (open routes' start and end) is at distance 0 from everything.
        prev = s[pos - 1] if pos else veh.start_node
        nxt = s[pos] if pos < len(s) else veh.end_node
        return int(dist[prev, x]) + int(dist[x, nxt]) - int(dist[prev, nxt])

    best: tuple[int, list[int], list[int]] | None = None
    picks = sorted(range(len(seq) + 1), key=lambda i: (detour(seq, i, p), i))
    for i in picks[:INSERT_POSITIONS]:
        with_p = [*seq[:i], p, *seq[i:]]
        drops = sorted(range(i + 1, len(with_p) + 1), key=lambda j: (detour(with_p, j, d), j))
        for j in drops[:INSERT_POSITIONS]:
            cand = [*with_p[:j], d, *with_p[j:]]
            cost = route_cost(space, veh, cand)
            if best is not None and cost >= best[0]:
                continue
            starts = route_ok(space, veh, cand)
            if starts is not None:
                best = (cost, cand, starts)
    return best


def _no_room_reason(pinned_slot: int | None) -> str:
    if pinned_slot is not None:
        return (
            "travels with a sibling already on a route, and that route has no room for them "
            "inside the school windows and ride limits"
        )
    return "no vehicle can carry this journey inside the school window and the ride limit"


def _insert_unit(
    space: IndexSpace, ci: int, seq: list[int], idxs: list[int]
) -> tuple[int, list[int], list[int]] | None:
    """Cheapest insertion of every request of a unit, one after another, on class ``ci``.

    On an empty vehicle a group's orders are all tried with the exact schedule check
    (:func:`exact_starts`): a verdict that no vehicle can carry them must be exact.
    """
    cls = space.problem.vehicle_classes[ci]
    if not all(space.compatible(space.requests[i], cls) for i in idxs):
        return None
    veh = space.vehicle_of_class(ci)
    got: tuple[int, list[int], list[int]] | None = (0, seq, [])
    for i in idxs:
        assert got is not None
        got = _insert_one(space, veh, got[1], i)
        if got is None:
            break
    if got is not None or seq or len(idxs) > EXACT_GROUP_MAX:
        return got
    best: tuple[int, list[int], list[int]] | None = None
    for order in _orders(space, idxs):
        cost = route_cost(space, veh, order)
        if best is not None and cost >= best[0]:
            continue
        if not loads_ok(space, veh, order):
            continue
        starts = route_ok(space, veh, order) or exact_starts(space, veh, order)
        if starts is not None:
            best = (cost, order, starts)
    return best


def _orders(space: IndexSpace, idxs: list[int]) -> list[list[int]]:
    """Every node order of a few requests with each pickup before its drop-off."""
    nodes = [n for i in idxs for n in (space.pickup_node(i), space.dropoff_node(i))]
    out: list[list[int]] = []
    for perm in itertools.permutations(nodes):
        seen: set[int] = set()
        ok = True
        for n in perm:
            node = space.nodes[n]
            if node.is_pickup:
                seen.add(node.request_idx)
            elif node.request_idx not in seen:
                ok = False
                break
        if ok:
            out.append(list(perm))
    return out


def exact_starts(space: IndexSpace, veh: Vehicle, seq: list[int]) -> list[int] | None:
    """Service starts meeting every time rule of ``seq`` on ``veh``, or None if none can.

    ``schedule.route_ok`` tries the latest and the earliest schedules only; a route with
    several ride limits can need one in between. Windows, travel, ride limits, shift and
    horizon are difference constraints on the service starts, solved exactly by
    Bellman-Ford (a negative cycle: no schedule); the latest solution is returned.
    """
    problem = space.problem
    n = len(seq)
    z = n  # the origin, time 0
    edges: list[tuple[int, int, int]] = []  # (i, j, w): t_j - t_i <= w
    service = [int(space.service_s[x]) for x in seq]
    for k, x in enumerate(seq):
        lo, hi = space.nodes[x].window_s
        edges += [(z, k, hi), (k, z, -lo)]
        if k:
            gap = service[k - 1] + int(space.travel_s[seq[k - 1], x])
            edges.append((k, k - 1, -gap))
    pick: dict[int, int] = {}
    for k, x in enumerate(seq):
        node = space.nodes[x]
        r = space.requests[node.request_idx]
        if node.is_pickup:
            pick[node.request_idx] = k
        elif r.max_ride_s is not None:
            p = pick[node.request_idx]
            edges.append((p, k, r.max_ride_s + service[p]))
    lead, tail = route_legs_s(space, veh, seq)
    cls = problem.vehicle_classes[veh.cls_idx]
    edges.append((0, n - 1, cls.max_duration_s - lead - tail - service[-1]))
    h0, h1 = problem.horizon_s
    edges += [(0, z, -(h0 + lead)), (z, n - 1, h1 - tail - service[-1])]
    dist = [0] * (n + 1)
    for _ in range(n + 1):
        changed = False
        for i, j, w in edges:
            if dist[i] + w < dist[j]:
                dist[j] = dist[i] + w
                changed = True
        if not changed:
            break
    else:
        return None
    starts = [d - dist[z] for d in dist[:n]]
    timed = schedule(space, seq, starts)
    return starts if feasible(space, veh, timed) else None


def _write_back(
    state: _RunState,
    space: IndexSpace,
    routes: list[SpaceRoute],
    kept: list[int],
    touched: set[int],
    caps: dict[str, int],
    used: dict[str, int],
) -> None:
    """Changed routes right-sized, rebuilt as Routes and put back into the run's list."""
    slots = sorted(touched)
    sized = [_right_size(space, routes[s], caps, used) for s in slots]
    rebuilt = plan_from_routes(space, sized, time.monotonic(), 0).routes
    for s, route in zip(slots, rebuilt, strict=True):
        if s < len(kept):
            state.routes[kept[s]] = route
        else:
            state.routes.append(route)
    state.index_routes()


def _right_size(
    space: IndexSpace, route: SpaceRoute, caps: dict[str, int], used: dict[str, int]
) -> SpaceRoute:
    """The route on the cheapest class that runs it, within the types' vehicles left."""
    vi, seq, _ = route
    classes = space.problem.vehicle_classes
    veh = space.vehicles[vi]
    name = classes[veh.cls_idx].vehicle_type
    allowed = {
        ci
        for ci, c in enumerate(classes)
        if c.vehicle_type == name
        or c.vehicle_type not in caps
        or used[c.vehicle_type] < caps[c.vehicle_type]
    }
    best = cheapest_class(space, seq, allowed)
    if best is None or best[0] == veh.cls_idx:
        return route
    ci, new_starts = best
    new = space.vehicle_of_class(ci)
    if route_cost(space, new, seq) >= route_cost(space, veh, seq):
        return route
    if name in used:
        used[name] -= 1
    if classes[ci].vehicle_type in used:
        used[classes[ci].vehicle_type] += 1
    space.vehicles.append(new)
    return (len(space.vehicles) - 1, seq, new_starts)


__all__ = [
    "FLEET_FULL_REASON",
    "GROUP_APART_REASON",
    "PLACEABLE",
    "complete_run",
    "exact_starts",
]
