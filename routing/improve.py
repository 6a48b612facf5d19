"""Improvement heuristics the solver can call: PyVRP for VRPTW-shaped problems.

:func:`vrptw_shape` recognises a Problem that is a plain VRPTW in the product's
pickup-and-drop-off form (one vehicle class, every pickup at the start depot at one fixed
time, no ride limits, no pupil-specific rules): the Solomon benchmarks, and any problem
without ride limits whose goods all leave the depot together. PyVRP (hybrid genetic
search) solves those far better than OR-Tools' routing search, so :func:`solve_vrptw_pyvrp`
solves it there and returns visit sequences with feasible times in Problem units.

The hook for ``routing.solver.solve`` is one line at its top::

    if (routes := improve.solve_vrptw_pyvrp(problem, params.time_limit_s, params.seed)) is not None:
        ...  # build the Plan from `routes` (request index, is pickup, service start)

The heuristics never decide feasibility: every plan still goes through the checker.
"""

from __future__ import annotations

import logging

import numpy as np

from routing.problem import Problem

logger = logging.getLogger(__name__)

Visit = tuple[int, bool, int]
"""(request index in ``problem.requests``, is pickup, service start in Problem units)."""


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
    problem: Problem, time_limit_s: float, seed: int = 0
) -> list[list[Visit]] | None:
    """Solve a VRPTW-shaped Problem with PyVRP; None when the Problem has another shape.

    Parameters
    ----------
    problem
        A Problem for which :func:`vrptw_shape` holds (else None is returned).
    time_limit_s
        PyVRP's run time, seconds.
    seed
        PyVRP's seed.

    Returns
    -------
    list of routes, or None
        Each route: the pickups at the depot (at the fixed loading time), then the
        drop-offs in order with their earliest feasible service starts. None also when
        PyVRP's best solution is infeasible (the caller falls back to its own search).
    """
    if not vrptw_shape(problem):
        return None
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    vc = problem.vehicle_classes[0]
    assert vc.start_loc is not None and vc.end_loc is not None
    reqs = problem.requests
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
            drops.append((k, False, t))
            t += r.dropoff_service_s
            prev_loc = r.dropoff_loc
        routes.append([(k, True, t0) for k in ks] + drops)
    return routes


def route_distance_units(problem: Problem, routes: list[list[Visit]]) -> int:
    """Total distance of visit sequences in Problem units (depot legs included)."""
    vc = problem.vehicle_classes[0]
    total = 0
    for visits in routes:
        locs = [vc.start_loc] if vc.start_loc is not None else []
        for k, is_pickup, _ in visits:
            r = problem.requests[k]
            locs.append(r.pickup_loc if is_pickup else r.dropoff_loc)
        if vc.end_loc is not None:
            locs.append(vc.end_loc)
        arr = np.asarray(locs, dtype=np.int64)
        total += int(problem.distance_m[arr[:-1], arr[1:]].sum())
    return total
