"""Improvement heuristics the solver calls: an ALNS for DARP, PyVRP for VRPTW shapes.

:func:`vrptw_shape` recognises a Problem that is a plain VRPTW in the product's
pickup-and-drop-off form (one vehicle class, every pickup at the start depot at one fixed
time, no ride limits, no pupil-specific rules): the Solomon benchmarks, and any problem
without ride limits whose goods all leave the depot together. PyVRP (hybrid genetic
search) solves those far better than OR-Tools' routing search, so :func:`solve_vrptw_pyvrp`
solves it there and returns visit sequences with feasible times in Problem units.

``routing.solver.solve`` calls :func:`solve_improved` for distance problems of these
shapes (``use_alns=True``, the default) and builds the Plan from its visit sequences.

The heuristics never decide feasibility: every plan still goes through the checker.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from routing.problem import ObjectiveKind, Problem

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


# --------------------------------------------------------------------------- ALNS


def alns_supported(problem: Problem) -> bool:
    """True when :func:`solve_alns` models every rule of the Problem.

    One vehicle class; seats only (no wheelchair places, no pupils who travel alone); no
    incompatible pairs or sibling groups; every request allowed on the class.
    """
    if len(problem.vehicle_classes) != 1 or problem.incompatible or problem.same_vehicle:
        return False
    vc = problem.vehicle_classes[0]
    return bool(problem.requests) and all(
        r.wheelchairs == 0
        and not r.travel_alone
        and (not r.needs_assistant or vc.has_assistant)
        and (r.allowed_vehicle_types is None or vc.vehicle_type in r.allowed_vehicle_types)
        and r.seats <= vc.seats
        for r in problem.requests
    )


@dataclass(frozen=True)
class _Arrays:
    T: np.ndarray
    D: np.ndarray
    svc: np.ndarray
    e: np.ndarray
    lt: np.ndarray
    ride: np.ndarray
    q: np.ndarray
    n: int
    K: int
    cap: int
    tmax: int
    fixed: int


def _arrays(problem: Problem) -> _Arrays:
    vc = problem.vehicle_classes[0]
    reqs = problem.requests
    n = len(reqs)
    h0, h1 = problem.horizon_s
    locs = [vc.start_loc if vc.start_loc is not None else -1]
    locs += [r.pickup_loc for r in reqs] + [r.dropoff_loc for r in reqs]
    locs.append(vc.end_loc if vc.end_loc is not None else -1)
    loc = np.asarray(locs, dtype=np.int64)
    real = loc >= 0
    safe = np.where(real, loc, 0)
    mask = np.outer(real, real)
    T = np.where(mask, problem.duration_s[np.ix_(safe, safe)], 0).astype(np.int64)
    dist = np.where(mask, problem.distance_m[np.ix_(safe, safe)], 0).astype(np.int64)
    per_m = 1 if problem.objective is ObjectiveKind.DISTANCE else max(1, vc.cost_per_m)
    fixed = 0 if problem.objective is ObjectiveKind.DISTANCE else vc.fixed_cost
    svc = np.asarray(
        [0] + [r.pickup_service_s for r in reqs] + [r.dropoff_service_s for r in reqs] + [0],
        dtype=np.int64,
    )
    e = np.asarray(
        [h0] + [r.pickup_window_s[0] for r in reqs] + [r.dropoff_window_s[0] for r in reqs] + [h0],
        dtype=np.int64,
    )
    late = np.asarray(
        [h1] + [r.pickup_window_s[1] for r in reqs] + [r.dropoff_window_s[1] for r in reqs] + [h1],
        dtype=np.int64,
    )
    big = h1 - h0 + 1
    ride = np.asarray(
        [0] + [big if r.max_ride_s is None else r.max_ride_s for r in reqs], dtype=np.int64
    )
    q = np.asarray([0] + [r.seats for r in reqs] + [-r.seats for r in reqs] + [0], dtype=np.int64)
    caps = [x for x in (problem.max_vehicles, vc.num_available, n) if x is not None]
    return _Arrays(
        T, dist * per_m, svc, e, late, ride, q, n, min(caps), vc.seats, vc.max_duration_s, fixed
    )


def solve_alns(
    problem: Problem,
    time_limit_s: float,
    seed: int = 0,
    *,
    initial: list[list[Visit]] | None = None,
    temp_worse: float = 0.05,
    temp_end_ratio: float = 0.002,
    remove_frac: float = 0.3,
    remove_cap: int = 30,
) -> list[list[Visit]] | None:
    """Ruin-and-recreate search (``routing.alns``) for a supported Problem.

    Parameters
    ----------
    problem
        A Problem for which :func:`alns_supported` holds (else None is returned).
    time_limit_s
        Wall-clock budget, seconds (the first call in a process also compiles, ~10 s,
        unless numba's on-disk cache is warm).
    seed
        Random seed.
    initial
        A plan to start from (visit sequences), e.g. OR-Tools' best; requests it leaves
        out are inserted first.
    temp_worse, temp_end_ratio
        Simulated annealing: at the start a plan ``temp_worse`` (fraction) longer is
        accepted with probability 1/2; the temperature falls geometrically with time to
        ``temp_end_ratio`` times the start.
    remove_frac, remove_cap
        Each ruin removes 2 .. min(remove_frac * requests, remove_cap) requests.

    Returns
    -------
    list of routes, or None
        Visit sequences with feasible service starts (Problem units); requests that no
        insertion could place are left out (the caller reports them unassigned).
    """
    if not alns_supported(problem):
        return None
    from routing import alns

    started = time.monotonic()
    a = _arrays(problem)
    n, K = a.n, a.K
    maxl = 2 * n + 2
    routes = np.zeros((K, maxl), dtype=np.int64)
    rlen = np.zeros(K, dtype=np.int64)
    rtimes = np.zeros((K, maxl), dtype=np.int64)
    rcost = np.zeros(K, dtype=np.int64)
    where = np.full(n + 1, -1, dtype=np.int64)
    alns._seed(seed)
    if initial:
        for k, visits in enumerate(initial[:K]):
            seq = np.asarray([v[0] + 1 + (0 if v[1] else n) for v in visits], dtype=np.int64)
            times = alns.schedule_route(seq, a.T, a.svc, a.e, a.lt, a.ride, n, a.tmax)
            if times.size != seq.size:
                continue  # not feasible under our model: rebuild those requests
            routes[k, : seq.size] = seq
            rlen[k] = seq.size
            rtimes[k, : seq.size] = times
            rcost[k] = alns._route_cost(seq, seq.size, a.D, n)
            for node in seq:
                if node <= n:
                    where[node] = k
    order = (
        np.argsort(
            [min(a.e[r], a.e[n + r] - a.ride[r]) for r in range(1, n + 1)], kind="stable"
        ).astype(np.int64)
        + 1
    )
    alns._construct(
        a.T,
        a.D,
        a.svc,
        a.e,
        a.lt,
        a.ride,
        a.q,
        n,
        K,
        a.cap,
        a.tmax,
        a.fixed,
        order,
        routes,
        rlen,
        rtimes,
        rcost,
        where,
    )
    penalty = int(20 * max(1, int(a.D.max())))
    best_routes = routes.copy()
    best_rlen = rlen.copy()
    unassigned = int((where[1:] < 0).sum())
    dist0 = int(sum(rcost[k] + (a.fixed if rlen[k] else 0) for k in range(K)))
    best_obj = dist0 + unassigned * penalty
    temp0 = max(1.0, temp_worse * dist0 / math.log(2))
    temp1 = temp0 * temp_end_ratio
    qmin = min(2, n)
    qmax = max(qmin, min(n, max(4, int(remove_frac * n)), remove_cap))
    noise = max(1, int(0.02 * a.D.max()))
    chunk = 20
    deadline = started + time_limit_s
    iters = 0
    while True:
        now = time.monotonic()
        if now >= deadline and iters > 0:
            break
        frac0 = min(1.0, (now - started) / time_limit_s)
        t_start = temp0 * (temp1 / temp0) ** frac0
        c0 = time.monotonic()
        best_obj = alns._run(
            a.T,
            a.D,
            a.svc,
            a.e,
            a.lt,
            a.ride,
            a.q,
            n,
            K,
            a.cap,
            a.tmax,
            a.fixed,
            penalty,
            routes,
            rlen,
            rtimes,
            rcost,
            where,
            best_routes,
            best_rlen,
            best_obj,
            chunk,
            t_start,
            t_start * 0.98,
            qmin,
            qmax,
            noise,
        )
        iters += chunk
        spent = time.monotonic() - c0
        # aim at chunks of ~0.2 s so the deadline is kept and the temperature follows time
        chunk = max(5, min(2000, int(chunk * 0.2 / max(spent, 1e-3))))
    logger.info(
        "%s: ALNS %d iterations in %.1f s, best %d",
        problem.name,
        iters,
        time.monotonic() - started,
        best_obj,
    )
    out: list[list[Visit]] = []
    for k in range(K):
        m = int(best_rlen[k])
        if m == 0:
            continue
        seq = best_routes[k, :m].copy()
        times = alns.schedule_route(seq, a.T, a.svc, a.e, a.lt, a.ride, n, a.tmax)
        if times.size != m:  # cannot happen: every kept route passed the same check
            logger.warning("%s: ALNS route %d failed its schedule; dropped", problem.name, k)
            continue
        out.append(
            [
                (int(node - 1) if node <= n else int(node - n - 1), bool(node <= n), int(t))
                for node, t in zip(seq, times, strict=True)
            ]
        )
    return out


def solve_improved(
    problem: Problem, time_limit_s: float, seed: int = 0, *, num_workers: int = 1
) -> list[list[Visit]] | None:
    """The best of this module's searches for the Problem, or None when none applies.

    VRPTW-shaped problems go to PyVRP, other supported problems to the ALNS; with
    ``num_workers`` > 1 that many searches run in parallel processes with seeds
    ``seed, seed + 1, ...`` and the plan serving most requests, then the shortest, wins.
    ``routing.solver.solve`` calls this for distance problems and builds the Plan from
    the routes (request index, is pickup, service start) instead of running OR-Tools.
    """
    if not (vrptw_shape(problem) or alns_supported(problem)):
        return None
    if num_workers <= 1:
        return _solve_one(problem, time_limit_s, seed)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(num_workers, mp_context=mp.get_context("fork")) as pool:
        futures = [
            pool.submit(_solve_one, problem, time_limit_s, seed + w) for w in range(num_workers)
        ]
        results = [f.result() for f in futures]
    found = [r for r in results if r is not None]
    if not found:
        return None

    def key(routes: list[list[Visit]]) -> tuple[int, int]:
        served = sum(len(v) for v in routes)
        return (-served, route_distance_units(problem, routes))

    return min(found, key=key)


def _solve_one(problem: Problem, time_limit_s: float, seed: int) -> list[list[Visit]] | None:
    if vrptw_shape(problem):
        return solve_vrptw_pyvrp(problem, time_limit_s, seed)
    return solve_alns(problem, time_limit_s, seed)


_warm = False


def warm_up() -> None:
    """Compile the ALNS (numba) now, e.g. when a worker starts, not inside a timed solve.

    Takes 20-60 s on this machine the first time; numba caches the machine code on disk
    (``__pycache__``), so later processes load it in well under a second. Once per process;
    processes forked afterwards (``solve_improved``'s workers) inherit the compiled code.
    """
    global _warm
    if _warm:
        return
    from routing.model import Run
    from routing.problem import Request, VehicleClass

    pts = np.array([[0, 0], [3, 4], [6, 8], [0, 5], [5, 0]], dtype=np.float64)
    dist = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)) * 10)
    mat = dist.astype(np.int64)
    reqs = tuple(
        Request(
            request_id=str(k),
            pupil_ids=(str(k),),
            school_id="s",
            pickup_loc=1 + k,
            dropoff_loc=3 + k,
            pickup_window_s=(0, 1000),
            dropoff_window_s=(0, 1000),
            pickup_service_s=1,
            dropoff_service_s=1,
            seats=1,
            wheelchairs=0,
            max_ride_s=500,
        )
        for k in range(2)
    )
    vc = VehicleClass("v", 2, 0, False, 0, 1, 1000, 2, start_loc=0, end_loc=0)
    problem = Problem(
        name="warm-up",
        run=Run.AM,
        location_ids=tuple(str(i) for i in range(5)),
        duration_s=mat,
        distance_m=mat,
        requests=reqs,
        vehicle_classes=(vc,),
        horizon_s=(0, 1000),
        objective=ObjectiveKind.DISTANCE,
        max_vehicles=2,
    )
    solve_alns(problem, 1e-3, 0)
    _warm = True
