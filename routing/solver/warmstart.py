"""Warm start and right-sizing for the OR-Tools search: big shared routes built first.

For one pupil a taxi is always cheaper than a minibus, so OR-Tools' insertion heuristics
fill taxi after taxi, and guided local search cannot move a dozen pupils at once into
one minibus. This module builds the shared routes a planner would, per school:

1. a sequential insertion ("sweep from the farthest home") that opens a route at the
   unrouted home farthest from the school and keeps adding the request whose home adds
   the least driving time, while some vehicle class still carries the route inside every
   window, ride limit and shift (so routes grow as large as the largest vehicle allows);
2. each route is then right-sized: it gets the cheapest vehicle class that carries its
   peak load, wheelchairs, assistant and vehicle requirements over the same schedule
   (times do not depend on the vehicle, so right-sizing never changes a schedule).

``routing.solver.solve`` starts the search from these routes (OR-Tools reads them with
``ReadAssignmentFromRoutes``, and guided local search improves from there); after the
search every route is right-sized again.

Only single-school routes are built (mixed-school routes, where allowed, are left to the
search); requests that must share a vehicle (siblings at other schools) and pupils who
travel alone get routes of their own.
"""

from __future__ import annotations

import itertools
import logging
import time

from routing.model import Run
from routing.problem import ObjectiveKind
from routing.solver.schedule import fits, route_ok
from routing.solver.sizing import cheapest_class
from routing.solver.space import IndexSpace

logger = logging.getLogger(__name__)

FEASIBILITY_TRIES = 12
"""Cheapest candidate insertions checked exactly per step before a route is closed."""

InitialRoute = tuple[int, list[int]]  # (vehicle class index, node sequence)


def _roomiest_class(model: IndexSpace, seq: list[int]) -> int | None:
    """A class whose loads allow ``seq`` (most places first), to test its schedule."""
    for ci in model.classes_by_room:
        if fits(model, model.problem.vehicle_classes[ci], seq):
            return ci
    return None


def _feasible(model: IndexSpace, seq: list[int]) -> bool:
    ci = _roomiest_class(model, seq)
    return ci is not None and route_ok(model, model.vehicle_of_class(ci), seq) is not None


def _home_node(model: IndexSpace, i: int) -> int:
    return model.pickup_node(i) if model.problem.run is Run.AM else model.dropoff_node(i)


def _school_node(model: IndexSpace, i: int) -> int:
    return model.dropoff_node(i) if model.problem.run is Run.AM else model.pickup_node(i)


def _with(model: IndexSpace, seq: list[int], i: int, pos: int) -> list[int]:
    """``seq`` (homes block + school block) with request ``i``'s home at ``pos``.

    AM: homes first, then school drop-offs in the same order (first picked, first
    handed over). PM: school pickups in the reverse order of the homes (the pupil
    dropped last boards last), then homes.
    """
    k = len(seq) // 2
    if model.problem.run is Run.AM:
        homes, schools = seq[:k], seq[k:]
        homes = [*homes[:pos], _home_node(model, i), *homes[pos:]]
        schools = [*schools[:pos], _school_node(model, i), *schools[pos:]]
        return homes + schools
    schools, homes = seq[:k], seq[k:]
    homes = [*homes[:pos], _home_node(model, i), *homes[pos:]]
    back = k - pos
    schools = [*schools[:back], _school_node(model, i), *schools[back:]]
    return schools + homes


def _home_insertion_deltas(
    model: IndexSpace, homes: list[int], school: int, i: int
) -> list[tuple[int, int]]:
    """(added seconds of driving, position) for request ``i``'s home in the homes block."""
    t = model.travel_s
    h = _home_node(model, i)
    out: list[tuple[int, int]] = []
    if model.problem.run is Run.AM:
        path = [*homes, school]  # open start: nothing before the first home
        for pos in range(len(homes) + 1):
            nxt = path[pos]
            if pos == 0:
                delta = int(t[h, nxt])
            else:
                prev = path[pos - 1]
                delta = int(t[prev, h] + t[h, nxt] - t[prev, nxt])
            out.append((delta, pos))
    else:
        path = [school, *homes]
        for pos in range(len(homes) + 1):
            prev = path[pos]
            if pos == len(homes):
                delta = int(t[prev, h])
            else:
                nxt = path[pos + 1]
                delta = int(t[prev, h] + t[h, nxt] - t[prev, nxt])
            out.append((delta, pos))
    return out


def _build_school_routes(
    model: IndexSpace, members: list[int], deadline: float
) -> tuple[list[list[int]], list[int]]:
    """Sequential insertion routes for one school's requests; the rest (out of time)."""
    run_am = model.problem.run is Run.AM
    t = model.travel_s
    left = set(members)

    def far(i: int) -> int:
        h, s = _home_node(model, i), _school_node(model, i)
        return int(t[h, s] if run_am else t[s, h])

    routes: list[list[int]] = []
    while left:
        if time.monotonic() > deadline:
            break
        seed = max(left, key=lambda i: (far(i), -i))
        left.discard(seed)
        seq = _with(model, [], seed, 0)
        if not _feasible(model, seq):
            routes.append(seq)  # alone; the caller keeps it if some class can run it
            continue
        school = _school_node(model, seed)
        while left and time.monotonic() <= deadline:
            k = len(seq) // 2
            homes = seq[:k] if run_am else seq[k:]
            options: list[tuple[int, int, int]] = []
            for i in left:
                delta, pos = min(_home_insertion_deltas(model, homes, school, i))
                options.append((delta, i, pos))
            options.sort()
            placed = False
            for _delta, i, pos in options[:FEASIBILITY_TRIES]:
                cand = _with(model, seq, i, pos)
                if _feasible(model, cand):
                    seq = cand
                    left.discard(i)
                    placed = True
                    break
                # the best home position may break a window where another would not
                for _, pos2 in sorted(_home_insertion_deltas(model, homes, school, i))[1:3]:
                    cand = _with(model, seq, i, pos2)
                    if _feasible(model, cand):
                        seq, placed = cand, True
                        left.discard(i)
                        break
                if placed:
                    break
            if not placed:
                break
        routes.append(seq)
    return routes, sorted(left)


def initial_routes(model: IndexSpace, time_budget_s: float) -> list[InitialRoute]:
    """Large single-school routes, right-sized, for OR-Tools to start from.

    Parameters
    ----------
    model
        The solver's index space (requests, nodes, classes).
    time_budget_s
        Wall-clock seconds the construction may take; requests not reached in time are
        left for the search to insert.

    Returns
    -------
    list[InitialRoute]
        (vehicle class index, node sequence) per route; every route is feasible for its
        class (checked as the solver's repair pass checks). Requests on no route are left
        unperformed for the search.
    """
    started = time.monotonic()
    deadline = started + time_budget_s
    problem = model.problem
    if problem.objective is not ObjectiveKind.COST:
        return []
    position = {r.request_id: i for i, r in enumerate(model.requests)}
    own_route: list[list[int]] = []
    grouped: set[int] = set()
    for group in problem.same_vehicle:
        members = [position[g] for g in group if g in position]
        if len(members) > 1:
            own_route.append(members)
            grouped.update(members)
    by_school: dict[str, list[int]] = {}
    for i, r in enumerate(model.requests):
        if i in grouped:
            continue
        if r.travel_alone:
            own_route.append([i])
        else:
            by_school.setdefault(r.school_id, []).append(i)
    out: list[InitialRoute] = []
    for members in own_route:
        seq: list[int] = []
        for i in members:
            seq = _append_cheapest(model, seq, i)
            if not seq:
                break
        best = cheapest_class(model, seq) if seq else None
        if best is not None:
            out.append((best[0], seq))
    for school in sorted(by_school):
        routes, late = _build_school_routes(model, by_school[school], deadline)
        # Out of time: the rest start alone (the search moves them; an unperformed
        # request in a warm start is rarely inserted by the local search).
        routes += [_with(model, [], i, 0) for i in late]
        for seq in routes:
            best = cheapest_class(model, seq)
            if best is not None:
                out.append((best[0], seq))
    logger.info(
        "%s: warm start of %d route(s) for %d of %d requests in %.2f s",
        problem.name,
        len(out),
        sum(len(s) // 2 for _, s in out),
        len(model.requests),
        time.monotonic() - started,
    )
    return out


def _append_cheapest(model: IndexSpace, seq: list[int], i: int) -> list[int]:
    """``seq`` with request ``i`` inserted where some class can run it, else []."""
    p, d = model.pickup_node(i), model.dropoff_node(i)
    best: tuple[int, list[int]] | None = None
    for a in range(len(seq) + 1):
        for b in range(a, len(seq) + 1):
            cand = [*seq[:a], p, *seq[a:b], d, *seq[b:]]
            cost = sum(int(model.travel_s[x, y]) for x, y in itertools.pairwise(cand))
            if (best is None or cost < best[0]) and _feasible(model, cand):
                best = (cost, cand)
    return best[1] if best is not None else []


__all__ = ["InitialRoute", "initial_routes"]
