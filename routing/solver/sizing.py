"""Right-sizing: each route on the cheapest vehicle class that runs the same sequence.

Times do not depend on the vehicle, so right-sizing never changes a schedule. The warm
start sizes each route it builds; the solve right-sizes every route after the search.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from routing.model import Route
from routing.problem import ObjectiveKind, Problem
from routing.solver.plans import plan_from_routes
from routing.solver.schedule import fits, route_cost, route_ok
from routing.solver.space import IndexSpace, SpaceRoute

logger = logging.getLogger(__name__)


def cheapest_class(
    space: IndexSpace, seq: list[int], allowed: set[int] | None = None
) -> tuple[int, list[int]] | None:
    """The cheapest vehicle class that can run ``seq`` as it is, with its service starts.

    Parameters
    ----------
    space
        The solver's index space.
    seq
        Request nodes in visiting order.
    allowed
        Class indices to consider (default: all).

    Returns
    -------
    tuple[int, list[int]] | None
        (class index, service starts) or None when no class can run the sequence.
    """
    options: list[tuple[int, int]] = []
    for ci, cls in enumerate(space.problem.vehicle_classes):
        if (allowed is None or ci in allowed) and fits(space, cls, seq):
            options.append((route_cost(space, space.vehicle_of_class(ci), seq), ci))
    for _, ci in sorted(options):
        starts = route_ok(space, space.vehicle_of_class(ci), seq)
        if starts is not None:
            return ci, starts
    return None


def right_size(space: IndexSpace, routes: list[SpaceRoute]) -> list[SpaceRoute]:
    """Each route on the cheapest vehicle class that runs the same sequence.

    A type's ``num_available`` is respected (a route moves to a capped type only while
    vehicles of it are left).
    """
    problem = space.problem
    if problem.objective is not ObjectiveKind.COST:
        return routes
    classes = problem.vehicle_classes
    cap = {c.vehicle_type: c.num_available for c in classes if c.num_available is not None}
    used: dict[str, int] = {}
    for vi, _, _ in routes:
        name = classes[space.vehicles[vi].cls_idx].vehicle_type
        used[name] = used.get(name, 0) + 1
    out: list[SpaceRoute] = []
    moved = 0
    for vi, seq, starts in routes:
        veh = space.vehicles[vi]
        name = classes[veh.cls_idx].vehicle_type
        allowed = {
            ci
            for ci, c in enumerate(classes)
            if c.vehicle_type == name
            or c.vehicle_type not in cap
            or used.get(c.vehicle_type, 0) < cap[c.vehicle_type]
        }
        best = cheapest_class(space, seq, allowed)
        if best is not None and best[0] != veh.cls_idx:
            ci, new_starts = best
            new = space.vehicle_of_class(ci)
            if route_cost(space, new, seq) < route_cost(space, veh, seq):
                space.vehicles.append(new)
                used[name] -= 1
                used[classes[ci].vehicle_type] = used.get(classes[ci].vehicle_type, 0) + 1
                out.append((len(space.vehicles) - 1, seq, new_starts))
                moved += 1
                continue
        out.append((vi, seq, starts))
    if moved:
        logger.info("%s: %d route(s) moved to a cheaper vehicle class", problem.name, moved)
    return out


def route_for_visits(problem: Problem, visits: Sequence[tuple[str, bool]]) -> Route | None:
    """One route visiting requests in a given order: timed and on the cheapest class.

    The same schedule rules, times and right-sizing as a solved plan; ``routing.modes``
    prices a route without one pupil with it.

    Parameters
    ----------
    problem
        The run's problem (restrict it to the route's requests first: the index space is
        built over every request it holds).
    visits
        ``(request_id, is_pickup)`` in visiting order, each request's pickup before its
        drop-off.

    Returns
    -------
    Route | None
        The route (numbered as the run's first), or None when no vehicle class can run
        the sequence as given.
    """
    space = IndexSpace(problem)
    seq = [
        space.pickup_node(space.position[rid])
        if is_pickup
        else space.dropoff_node(space.position[rid])
        for rid, is_pickup in visits
    ]
    best = cheapest_class(space, seq) if seq else None
    if best is None:
        return None
    ci, starts = best
    space.vehicles.append(space.vehicle_of_class(ci))
    return plan_from_routes(
        space, [(len(space.vehicles) - 1, seq, starts)], time.monotonic(), 0
    ).routes[0]


__all__ = ["cheapest_class", "right_size", "route_for_visits"]
