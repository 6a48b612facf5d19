"""The ruin-and-recreate search (``alns``, ``fleet_search``) and PyVRP over the index space.

:func:`solve_improved` runs the search that fits a problem: PyVRP for plain VRPTW shapes
(``pyvrp_search``), the numba ALNS (``alns``) for one vehicle class with seats only (the
literature's DARP), the same search with vehicle classes as a route attribute
(``fleet_search``) for the pupils' full model; ``num_workers`` seeds in parallel. It
returns (class, visits) per route in the space's request order; ``routing.solver.solve``
builds the Plan from them. The ALNS's arrays are a view
of the index space (start depot, pickups, drop-offs, end depot), taken from the space's
matrices and windows, not built again from the problem.

The heuristics never decide feasibility: every plan still goes through the checker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from routing.executor import open_executor
from routing.model import Run
from routing.problem import ObjectiveKind, Problem, Request, VehicleClass
from routing.solver import alns
from routing.solver.fleet_search import (
    Annealing,
    SearchRoute,
    anneal_in_chunks,
    fleet_supported,
    ruin_sizes,
    solve_fleet,
)
from routing.solver.pyvrp_search import solve_vrptw_pyvrp, vrptw_shape
from routing.solver.schedule import ride_value, route_cost
from routing.solver.space import IndexSpace, Visit

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]


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
    """The ALNS's view of the space: 0 start, 1..n pickups, n+1..2n drop-offs, 2n+1 end."""

    T: IntArray
    D: IntArray
    svc: IntArray
    e: IntArray
    lt: IntArray
    ride: IntArray
    q: IntArray
    n: int
    K: int
    cap: int
    tmax: int
    fixed: int

    def node(self, visit: Visit) -> int:
        return visit.request_idx + 1 + (0 if visit.is_pickup else self.n)

    def visit(self, node: int, start_s: int) -> Visit:
        n = self.n
        return Visit(int(node - 1) if node <= n else int(node - n - 1), bool(node <= n), start_s)


def _arrays(space: IndexSpace) -> _Arrays:
    problem = space.problem
    vc = problem.vehicle_classes[0]
    n = len(space.requests)
    start, end = space.class_terminals(0)
    view = np.asarray(
        [start]
        + [space.pickup_node(i) for i in range(n)]
        + [space.dropoff_node(i) for i in range(n)]
        + [end],
        dtype=np.int64,
    )
    pair = np.ix_(view, view)
    is_distance = problem.objective is ObjectiveKind.DISTANCE
    per_m = 1 if is_distance else max(1, vc.cost_per_m)
    h0, h1 = problem.horizon_s
    big = h1 - h0 + 1
    ride = [0] + [big if r.max_ride_s is None else r.max_ride_s for r in space.requests]
    seats = [r.seats for r in space.requests]
    caps = [x for x in (problem.max_vehicles, vc.num_available, n) if x is not None]
    return _Arrays(
        T=space.travel_s[pair],
        D=space.distance_m[pair] * per_m,
        svc=space.service_s[view],
        e=space.window_open_s[view],
        lt=space.window_close_s[view],
        ride=np.asarray(ride, dtype=np.int64),
        q=np.asarray([0, *seats, *(-s for s in seats), 0], dtype=np.int64),
        n=n,
        K=min(caps),
        cap=vc.seats,
        tmax=vc.max_duration_s,
        fixed=0 if is_distance else vc.fixed_cost,
    )


@dataclass
class _State:
    """Routes of the ALNS (current and best), as numba reads and writes them."""

    routes: IntArray
    rlen: IntArray
    rtimes: IntArray
    rcost: IntArray
    where: IntArray
    best_routes: IntArray
    best_rlen: IntArray

    @classmethod
    def empty(cls, a: _Arrays) -> _State:
        maxl = 2 * a.n + 2
        routes = np.zeros((a.K, maxl), dtype=np.int64)
        rlen = np.zeros(a.K, dtype=np.int64)
        return cls(
            routes=routes,
            rlen=rlen,
            rtimes=np.zeros((a.K, maxl), dtype=np.int64),
            rcost=np.zeros(a.K, dtype=np.int64),
            where=np.full(a.n + 1, -1, dtype=np.int64),
            best_routes=routes.copy(),
            best_rlen=rlen.copy(),
        )


def _schedule(a: _Arrays, seq: IntArray) -> IntArray:
    return alns.schedule_route(seq, a.T, a.svc, a.e, a.lt, a.ride, a.n, a.tmax)  # type: ignore[no-any-return]


def _load_initial(a: _Arrays, st: _State, initial: list[list[Visit]]) -> None:
    """Start from given routes; a route infeasible under this model is rebuilt."""
    for k, visits in enumerate(initial[: a.K]):
        seq = np.asarray([a.node(v) for v in visits], dtype=np.int64)
        times = _schedule(a, seq)
        if times.size != seq.size:
            continue  # not feasible under our model: rebuild those requests
        st.routes[k, : seq.size] = seq
        st.rlen[k] = seq.size
        st.rtimes[k, : seq.size] = times
        st.rcost[k] = alns._route_cost(seq, seq.size, a.D, a.n)
        for node in seq:
            if node <= a.n:
                st.where[node] = k


def _construct(a: _Arrays, st: _State) -> None:
    """Insert every request not yet placed, in order of its earliest pickup."""
    n = a.n
    first = [min(a.e[r], a.e[n + r] - a.ride[r]) for r in range(1, n + 1)]
    order = np.argsort(first, kind="stable").astype(np.int64) + 1
    # fmt: off
    alns._construct(
        a.T, a.D, a.svc, a.e, a.lt, a.ride, a.q, n, a.K, a.cap, a.tmax, a.fixed, order,
        st.routes, st.rlen, st.rtimes, st.rcost, st.where,
    )
    # fmt: on
    st.best_routes[:, :] = st.routes
    st.best_rlen[:] = st.rlen


def _anneal(
    a: _Arrays, st: _State, deadline: float, time_limit_s: float, how: Annealing
) -> tuple[int, int]:
    """Run the ALNS until ``deadline``; (best objective, iterations)."""
    n, K = a.n, a.K
    penalty = int(20 * max(1, int(a.D.max())))
    unassigned = int((st.where[1:] < 0).sum())
    dist0 = int(sum(st.rcost[k] + (a.fixed if st.rlen[k] else 0) for k in range(K)))
    qmin, qmax = ruin_sizes(how, n)
    noise = max(1, int(0.02 * a.D.max()))

    def step(chunk: int, temp: float, best_obj: int) -> int:
        # fmt: off
        return int(alns._run(
            a.T, a.D, a.svc, a.e, a.lt, a.ride, a.q, n, K, a.cap, a.tmax, a.fixed, penalty,
            st.routes, st.rlen, st.rtimes, st.rcost, st.where, st.best_routes, st.best_rlen,
            best_obj, chunk, temp, temp * 0.98, qmin, qmax, noise,
        ))
        # fmt: on

    return anneal_in_chunks(step, dist0 + unassigned * penalty, dist0, deadline, time_limit_s, how)


def _best_visits(space: IndexSpace, a: _Arrays, st: _State) -> list[list[Visit]]:
    out: list[list[Visit]] = []
    for k in range(a.K):
        m = int(st.best_rlen[k])
        if m == 0:
            continue
        seq = st.best_routes[k, :m].copy()
        times = _schedule(a, seq)
        if times.size != m:  # cannot happen: every kept route passed the same check
            logger.warning("%s: ALNS route %d failed its schedule; dropped", space.problem.name, k)
            continue
        out.append([a.visit(node, int(t)) for node, t in zip(seq, times, strict=True)])
    return out


def solve_alns(
    space: IndexSpace,
    time_limit_s: float,
    seed: int = 0,
    *,
    initial: list[list[Visit]] | None = None,
    how: Annealing | None = None,
) -> list[list[Visit]] | None:
    """Ruin-and-recreate search (``routing.solver.alns``) for a supported problem.

    Parameters
    ----------
    space
        The index space of a Problem for which :func:`alns_supported` holds (else None).
    time_limit_s
        Wall-clock budget, seconds (the first call in a process also compiles, ~10 s,
        unless numba's on-disk cache is warm: see :func:`warm_up`).
    seed
        Random seed.
    initial
        A plan to start from (visit sequences); requests it leaves out are inserted first.
    how
        Annealing schedule and ruin sizes (default: :class:`Annealing`'s).

    Returns
    -------
    list of routes, or None
        Visit sequences with feasible service starts (Problem units); requests that no
        insertion could place are left out (the caller reports them unassigned).
    """
    if not alns_supported(space.problem):
        return None
    started = time.monotonic()
    a = _arrays(space)
    st = _State.empty(a)
    alns._seed(seed)
    if initial:
        _load_initial(a, st, initial)
    _construct(a, st)
    best_obj, iters = _anneal(a, st, started + time_limit_s, time_limit_s, how or Annealing())
    logger.info(
        "%s: ALNS %d iterations in %.1f s, best %d",
        space.problem.name,
        iters,
        time.monotonic() - started,
        best_obj,
    )
    return _best_visits(space, a, st)


def supported(problem: Problem) -> bool:
    """True when one of this module's searches models every rule of the problem."""
    return vrptw_shape(problem) or alns_supported(problem) or fleet_supported(problem)


def routes_cost(space: IndexSpace, routes: list[SearchRoute]) -> int:
    """Objective units of (class, visits) routes (depot legs included), with the rides'
    value when the policy prices a minute (:func:`~routing.solver.schedule.ride_value`)."""
    total = 0
    for ci, visits in routes:
        seq = [space.visit_node(v) for v in visits]
        total += route_cost(space, space.vehicle_of_class(ci), seq) + ride_value(space, seq)
    return total


def solve_improved(
    space: IndexSpace,
    time_limit_s: float,
    seed: int = 0,
    *,
    num_workers: int = 1,
    initial: list[SearchRoute] | None = None,
    executor: str = "local",
) -> list[SearchRoute] | None:
    """The best of this module's searches for the problem, or None when none applies.

    VRPTW shapes go to PyVRP, one class with seats only to the ALNS, the pupils' full
    model to the ALNS with vehicle classes; with ``num_workers`` > 1 that many searches
    run in parallel processes with seeds ``seed, seed + 1, ...`` and the plan serving most
    requests, then the cheapest, wins; they run on ``executor``
    (:mod:`routing.executor`: a forked local pool, or Ray tasks). The pupils' model runs
    in epochs instead, each going on from the best so far (:func:`_solve_fleet_synced`,
    always a forked local pool: the workers read the space they inherit).
    """
    if not supported(space.problem):
        return None
    if num_workers <= 1:
        return _solve_one(space, time_limit_s, seed, initial)
    problem = space.problem
    if not (vrptw_shape(problem) or alns_supported(problem)):
        return _solve_fleet_synced(space, time_limit_s, seed, num_workers, initial)
    with open_executor(executor, max_workers=num_workers, start_method="fork") as pool:
        futures = [
            pool.submit(_solve_one, space, time_limit_s, seed + w, initial)
            for w in range(num_workers)
        ]
        results: list[list[SearchRoute] | None] = [f.result() for f in futures]
    found = [r for r in results if r is not None]
    if not found:
        return None

    def key(routes: list[SearchRoute]) -> tuple[int, int]:
        served = sum(len(v) for _, v in routes)
        return (-served, routes_cost(space, routes))

    return min(found, key=key)


SYNC_EPOCH_S = 12.0
"""The pupils' search on several cores: every this many seconds the workers stop, and all
go on from the best plan any of them found (a shared incumbent). Havering AM from the
same 48 s OR-Tools plan, 48 s on two processes, one seed, load 14-16: independent searches
(the best of two) 1,025.7 million units (£10,257), epochs of 12 s 1,008.1 million."""

_SHARED_SPACE: IndexSpace | None = None  # the space forked workers search (not pickled)


def _served_then_cost(space: IndexSpace, routes: list[SearchRoute]) -> tuple[int, int]:
    return (-sum(len(v) for _, v in routes), routes_cost(space, routes))


def _fleet_epoch(
    limit_s: float, seed: int, initial: list[SearchRoute] | None, how: Annealing
) -> list[SearchRoute] | None:
    assert _SHARED_SPACE is not None
    return solve_fleet(_SHARED_SPACE, limit_s, seed, initial=initial, how=how)


def _solve_fleet_synced(
    space: IndexSpace,
    time_limit_s: float,
    seed: int,
    num_workers: int,
    initial: list[SearchRoute] | None,
) -> list[SearchRoute] | None:
    """``num_workers`` searches of the pupils' model in epochs of about ``SYNC_EPOCH_S``:
    each epoch every worker starts from the best plan so far (its own seed), and the
    temperature carries on where the last epoch left it (one annealing over the whole
    time, cut into pieces)."""
    global _SHARED_SPACE
    deadline = time.monotonic() + time_limit_s
    epochs = max(1, round(time_limit_s / SYNC_EPOCH_S))
    whole = Annealing()
    best = initial
    _SHARED_SPACE = space
    try:
        with open_executor("local", max_workers=num_workers, start_method="fork") as pool:
            for e in range(epochs):
                limit = max(0.05, (deadline - time.monotonic()) / (epochs - e))
                how = replace(
                    whole,
                    temp_worse=whole.temp_worse * whole.temp_end_ratio ** (e / epochs),
                    temp_end_ratio=whole.temp_end_ratio ** (1 / epochs),
                )
                futures = [
                    pool.submit(_fleet_epoch, limit, seed + w + num_workers * e, best, how)
                    for w in range(num_workers)
                ]
                # Each worker's plan is at least its start (the kernels' best begins there,
                # after what the kernels' rules reject is rebuilt), so the start itself,
                # which may break a rule (a warm start over the fleet), never competes.
                found = [r for r in (f.result() for f in futures) if r is not None]
                if found:
                    best = min(found, key=lambda routes: _served_then_cost(space, routes))
    finally:
        _SHARED_SPACE = None
    return best


def _solve_one(
    space: IndexSpace, time_limit_s: float, seed: int, initial: list[SearchRoute] | None
) -> list[SearchRoute] | None:
    problem = space.problem
    if vrptw_shape(problem):
        found = solve_vrptw_pyvrp(space, time_limit_s, seed)
    elif alns_supported(problem):
        start = [visits for _, visits in initial] if initial else None
        found = solve_alns(space, time_limit_s, seed, initial=start)
    else:
        return solve_fleet(space, time_limit_s, seed, initial=initial)
    return None if found is None else [(0, visits) for visits in found]


_warm = False


def _warm_up_problem() -> Problem:
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
    return Problem(
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


def warm_up() -> None:
    """Compile the ALNS (numba) now, e.g. when a worker starts, not inside a timed solve.

    Takes 20-60 s on this machine the first time; numba caches the machine code on disk
    (``__pycache__``), so later processes load it in well under a second. Once per process;
    processes forked afterwards (``solve_improved``'s workers) inherit the compiled code.
    """
    global _warm
    if _warm:
        return
    problem = _warm_up_problem()
    solve_alns(IndexSpace(problem), 1e-3, 0)
    solve_fleet(IndexSpace(replace(problem, objective=ObjectiveKind.COST)), 1e-3, 0)
    _warm = True


__all__ = [
    "Annealing",
    "SearchRoute",
    "alns_supported",
    "routes_cost",
    "solve_alns",
    "solve_improved",
    "supported",
    "vrptw_shape",
    "warm_up",
]
