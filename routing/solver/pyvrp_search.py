"""PyVRP (hybrid genetic search) for problems that are a plain VRPTW.

:func:`vrptw_shape` recognises a Problem that is a plain VRPTW in the product's
pickup-and-drop-off form (one vehicle class, every pickup at the start depot at one fixed
time, no ride limits, no pupil-specific rules): the Solomon benchmarks, and any problem
without ride limits whose goods all leave the depot together. PyVRP solves those far
better than OR-Tools' routing search, so :func:`solve_vrptw_pyvrp` solves it there and
returns visit sequences with feasible times in Problem units.
"""

from __future__ import annotations

import logging

from routing.problem import Problem
from routing.solver.space import IndexSpace, Visit

logger = logging.getLogger(__name__)


def vrptw_shape(problem: Problem) -> bool:
    """True when the Problem is a plain VRPTW (see the module docstring)."""
    if len(problem.vehicle_classes) != 1 or problem.incompatible or problem.same_vehicle:
        return False
    vc = problem.vehicle_classes[0]
    if vc.start_loc is None or vc.end_loc is None or vc.wheelchair_places:
        return False
    if not problem.requests:
        return False
    t0 = problem.requests[0].pickup_window_s[0]
    return all(
        r.max_ride_s is None
        and r.pickup_loc == vc.start_loc
        and r.pickup_window_s == (t0, t0)
        and r.pickup_service_s == 0
        and r.wheelchairs == 0
        and not r.travel_alone
        and not r.needs_assistant
        and r.allowed_vehicle_types is None
        for r in problem.requests
    )


def solve_vrptw_pyvrp(
    space: IndexSpace, time_limit_s: float, seed: int = 0
) -> list[list[Visit]] | None:
    """Solve a VRPTW-shaped problem with PyVRP; None when the problem has another shape.

    Parameters
    ----------
    space
        The index space of a Problem for which :func:`vrptw_shape` holds (else None).
    time_limit_s
        PyVRP's run time, seconds.
    seed
        PyVRP's seed.

    Returns
    -------
    list of routes, or None
        Each route: the pickups at the depot (at the fixed loading time), then the
        drop-offs in order with their earliest feasible service starts (request indices
        in the space's order). None also when PyVRP's best solution is infeasible (the
        caller falls back to its own search).
    """
    problem = space.problem
    if not vrptw_shape(problem):
        return None
    from pyvrp import Model  # imported here: PyVRP is only needed for VRPTW shapes
    from pyvrp.stop import MaxRuntime

    vc = problem.vehicle_classes[0]
    assert vc.start_loc is not None and vc.end_loc is not None
    reqs = space.requests
    t0 = reqs[0].pickup_window_s[0]
    h1 = problem.horizon_s[1]
    num_v = min(x for x in (problem.max_vehicles, vc.num_available, len(reqs)) if x is not None)
    m = Model()
    locs = [vc.start_loc] + [r.dropoff_loc for r in reqs]
    if vc.end_loc != vc.start_loc:
        locs.append(vc.end_loc)
    points = [m.add_location(x=float(i), y=0.0) for i in range(len(locs))]
    start = m.add_depot(points[0], tw_early=t0, tw_late=h1)
    end = start if vc.end_loc == vc.start_loc else m.add_depot(points[-1], tw_early=t0, tw_late=h1)
    m.add_vehicle_type(
        num_available=num_v,
        capacity=vc.seats,
        start_depot=start,
        end_depot=end,
        tw_early=t0,
        tw_late=h1,
        shift_duration=vc.max_duration_s,
    )
    for k, r in enumerate(reqs):
        m.add_client(
            points[1 + k],
            delivery=r.seats,
            service_duration=r.dropoff_service_s,
            tw_early=r.dropoff_window_s[0],
            tw_late=r.dropoff_window_s[1],
        )
    dist = problem.distance_m
    dur = problem.duration_s
    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            m.add_edge(points[a], points[b], int(dist[la, lb]), int(dur[la, lb]))
    result = m.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    if not result.is_feasible():
        logger.info("%s: PyVRP found no feasible solution in %.1f s", problem.name, time_limit_s)
        return None
    routes: list[list[Visit]] = []
    for route in result.best.routes():
        # A client activity's idx is the client's position in the order added.
        ks = [int(a.idx) for a in route if a.is_client()]
        prev_loc, t = vc.start_loc, t0
        drops: list[Visit] = []
        for k in ks:
            r = reqs[k]
            t = max(t + int(dur[prev_loc, r.dropoff_loc]), r.dropoff_window_s[0])
            drops.append(Visit(k, False, t))
            t += r.dropoff_service_s
            prev_loc = r.dropoff_loc
        routes.append([Visit(k, True, t0) for k in ks] + drops)
    return routes


__all__ = ["solve_vrptw_pyvrp", "vrptw_shape"]
