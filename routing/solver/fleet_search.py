"""The ruin-and-recreate search over the pupils' full model (kernels in ``alns_fleet``).

Vehicle classes are a route attribute with right-sizing inside the insertion, wheelchair
places with the seat trade-off (a layout is a class), the assistant (a class with one,
its seat already taken, its cost in the class's fixed cost), travelling alone,
incompatible pairs, siblings together (hard), vehicle requirements, shift, fleet limits
per type, mixed-school routes on or off, day rate + mileage. The arrays are a view of the
index space (start depot, pickups, drop-offs, end depot), taken from the space's
matrices and windows. When the council values a pupil's minute (``ride_cost_per_s``), each
route's cost also holds its rides' value, timed as driven without waiting
(``alns_fleet._route_ride``).

An insertion looks at the routes of the request's ``NEIGHBOURS`` nearest requests (by
home and by school, over the whole run) and one empty route first, every other route only
when none of those can take it: on Havering's AM run (770 requests) that doubled the
iterations per CPU second (199 -> 436, one process, the same seed plan, 20 s each).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from routing.problem import ObjectiveKind, Problem
from routing.solver import alns_fleet, route_kernels
from routing.solver.space import IndexSpace, Visit

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
SearchRoute = tuple[int, list[Visit]]
"""(vehicle class index, visits) of one route."""

MAX_CLASSES = 62
"""Classes are a bit mask per request in the kernels (int64)."""

NEIGHBOURS = 40
"""An insertion looks first at the routes of a request's this many nearest requests (by
home and by school) and one empty route; every other route only when none of those can
take it (a granular neighbourhood: Toth & Vigo 2003)."""

GRANULAR_MIN_REQUESTS = 160
"""Below this many requests every insertion tries every route (the neighbourhood would
cover most routes anyway, and the benchmarks' small instances lose quality without it)."""

ROUTE_NODES_PER_PLACE = 4
"""Pupil problems: a route holds at most this many nodes per place of its roomiest class
(+4), which bounds the kernels' arrays (a school run fills a vehicle about once)."""


def fleet_supported(problem: Problem) -> bool:
    """True when :func:`solve_fleet` models every rule of the Problem.

    Every vehicle class starts and ends at the same places (one depot, or open routes)
    and there are at most ``MAX_CLASSES`` classes.
    """
    classes = problem.vehicle_classes
    return (
        bool(problem.requests)
        and len(classes) <= MAX_CLASSES
        and len({(c.start_loc, c.end_loc) for c in classes}) == 1
    )


def _view(space: IndexSpace) -> IntArray:
    n = len(space.requests)
    start, end = space.class_terminals(0)
    return np.asarray(
        [start]
        + [space.pickup_node(i) for i in range(n)]
        + [space.dropoff_node(i) for i in range(n)]
        + [end],
        dtype=np.int64,
    )


def _class_arrays(space: IndexSpace) -> dict[str, Any]:
    """Per class (seats, places, fixed, per metre, shift, type) and per type (vehicles)."""
    classes = space.problem.vehicle_classes
    is_distance = space.problem.objective is ObjectiveKind.DISTANCE
    types = sorted({c.vehicle_type for c in classes})
    avail = {c.vehicle_type: c.num_available for c in classes}
    fixed = [0 if is_distance else c.fixed_cost for c in classes]
    per_m = [1 if is_distance else max(1, c.cost_per_m) for c in classes]
    order = sorted(range(len(classes)), key=lambda ci: (fixed[ci], per_m[ci], ci))
    return {
        "c_seats": np.asarray([c.seats for c in classes], dtype=np.int64),
        "c_chairs": np.asarray([c.wheelchair_places for c in classes], dtype=np.int64),
        "c_fixed": np.asarray(fixed, dtype=np.int64),
        "c_perm": np.asarray(per_m, dtype=np.int64),
        "c_tmax": np.asarray([c.max_duration_s for c in classes], dtype=np.int64),
        "c_type": np.asarray([types.index(c.vehicle_type) for c in classes], dtype=np.int64),
        "c_order": np.asarray(order, dtype=np.int64),
        "t_avail": np.asarray(
            [-1 if avail[t] is None else avail[t] for t in types], dtype=np.int64
        ),
        "max_s": max(c.seats for c in classes),
        "max_w": max(c.wheelchair_places for c in classes),
    }


def _request_arrays(space: IndexSpace) -> dict[str, Any]:
    """Per request: loads, allowed classes, alone, school, sibling group, incompatibles."""
    problem = space.problem
    reqs = space.requests
    n = len(reqs)
    classes = problem.vehicle_classes
    allow = [0] + [
        sum(1 << ci for ci, c in enumerate(classes) if space.compatible(r, c)) for r in reqs
    ]
    schools = sorted({r.school_id for r in reqs})
    seats = [r.seats for r in reqs]
    chairs = [r.wheelchairs for r in reqs]
    grp = np.full(n + 1, -1, dtype=np.int64)
    gptr = [0]
    gmem: list[int] = []
    for group in problem.same_vehicle:
        members = [space.position[g] + 1 for g in group if g in space.position]
        if len(members) > 1:
            for m in members:
                grp[m] = len(gptr) - 1
            gmem += members
            gptr.append(len(gmem))
    pairs = [
        (space.position[a] + 1, space.position[b] + 1)
        for a, b in problem.incompatible
        if a in space.position and b in space.position
    ]
    inc = np.zeros((n + 1, n + 1) if pairs else (1, 1), dtype=np.uint8)
    for a, b in pairs:
        inc[a, b] = inc[b, a] = 1
    h0, h1 = problem.horizon_s
    rc = [0] + [r.ride_cost_per_s for r in reqs]
    return {
        "rc": np.asarray(rc, dtype=np.int64),
        "has_rc": any(rc),
        "ride": np.asarray(
            [0] + [h1 - h0 + 1 if r.max_ride_s is None else r.max_ride_s for r in reqs],
            dtype=np.int64,
        ),
        "qs": np.asarray([0, *seats, *(-s for s in seats), 0], dtype=np.int64),
        "qw": np.asarray([0, *chairs, *(-w for w in chairs), 0], dtype=np.int64),
        "allow": np.asarray(allow, dtype=np.int64),
        "alone": np.asarray([0] + [int(r.travel_alone) for r in reqs], dtype=np.int64),
        "school": np.asarray([0] + [schools.index(r.school_id) for r in reqs], dtype=np.int64),
        "grp": grp,
        "gptr": np.asarray(gptr, dtype=np.int64),
        "gmem": np.asarray(gmem or [0], dtype=np.int64),
        "inc": inc,
        "has_inc": bool(pairs),
    }


def nearest_requests(D: IntArray, n: int, count: int) -> IntArray:
    """Row r (1..n): the ``count`` requests nearest to r, pickup to pickup plus drop-off to
    drop-off, in kernel numbering (row 0 unused). Rows are built in blocks, so the memory
    stays O(block x n)."""
    g = max(0, min(count, n - 1))
    out = np.zeros((n + 1, max(g, 1)), dtype=np.int64)
    if g == 0:
        return out
    block = max(1, 2_000_000 // max(n, 1))
    for a in range(1, n + 1, block):
        b = min(n + 1, a + block)
        rel = D[a:b, 1 : n + 1] + D[n + a : n + b, n + 1 : 2 * n + 1]
        rel[np.arange(b - a), np.arange(a - 1, b - 1)] = np.iinfo(np.int64).max
        near = np.argpartition(rel, g - 1, axis=1)[:, :g] if g < n else np.argsort(rel, axis=1)
        out[a:b, :g] = near[:, :g] + 1
    return out


def _inst(space: IndexSpace) -> alns_fleet.Inst:
    problem = space.problem
    n = len(space.requests)
    view = _view(space)
    pair = np.ix_(view, view)
    D = space.distance_m[pair]
    cls = _class_arrays(space)
    req = _request_arrays(space)
    caps = [n] + [x for x in (problem.max_vehicles,) if x is not None]
    t_avail = np.asarray(cls["t_avail"])
    if (t_avail >= 0).all():
        caps.append(int(t_avail.sum()))
    is_distance = problem.objective is ObjectiveKind.DISTANCE
    places = int(cls["max_s"]) + int(cls["max_w"])
    L = 2 * n + 2 if is_distance else min(2 * n + 2, ROUTE_NODES_PER_PLACE * places + 4)
    d_max = max(1, int(D.max()))
    fixed = np.asarray(cls["c_fixed"])
    per_m = np.asarray(cls["c_perm"])
    worst = int(fixed.max()) + int(per_m.max()) * 4 * d_max
    penalty = 20 * d_max if is_distance else 10 * worst
    return alns_fleet.Inst(
        T=space.travel_s[pair],
        D=D,
        svc=space.service_s[view],
        e=space.window_open_s[view],
        lt=space.window_close_s[view],
        mixed=int(problem.allow_mixed_schools),
        n=n,
        K=max(1, min(caps)),
        L=L,
        penalty=penalty,
        nops=5,
        nbr=nearest_requests(D, n, NEIGHBOURS if n >= GRANULAR_MIN_REQUESTS else n),
        **req,
        **cls,
    )


def _empty_sol(inst: alns_fleet.Inst) -> alns_fleet.Sol:
    K, L = inst.K, inst.L
    return alns_fleet.Sol(
        routes=np.zeros((K, L), dtype=np.int64),
        rlen=np.zeros(K, dtype=np.int64),
        rtimes=np.zeros((K, L), dtype=np.int64),
        rdist=np.zeros(K, dtype=np.int64),
        rride=np.zeros(K, dtype=np.int64),
        rcost=np.zeros(K, dtype=np.int64),
        rcls=np.full(K, -1, dtype=np.int64),
        where=np.full(inst.n + 1, -1, dtype=np.int64),
        tused=np.zeros(inst.t_avail.shape[0], dtype=np.int64),
    )


def _node(inst: alns_fleet.Inst, visit: Visit) -> int:
    return visit.request_idx + 1 + (0 if visit.is_pickup else inst.n)


def _visit(inst: alns_fleet.Inst, node: int, start_s: int) -> Visit:
    n = inst.n
    return Visit(int(node - 1) if node <= n else int(node - n - 1), bool(node <= n), start_s)


def _schedule(inst: alns_fleet.Inst, seq: IntArray, cls_idx: int) -> IntArray:
    return route_kernels.schedule_route(  # type: ignore[no-any-return]
        seq, inst.T, inst.svc, inst.e, inst.lt, inst.ride, inst.n, int(inst.c_tmax[cls_idx])
    )


def _fits_class(inst: alns_fleet.Inst, seq: IntArray, ci: int) -> bool:
    mask = int(np.bitwise_and.reduce(inst.allow[seq[seq <= inst.n]]))
    loads = np.cumsum(inst.qs[seq])
    chairs = np.cumsum(inst.qw[seq])
    return bool(
        (mask >> ci) & 1 and loads.max() <= inst.c_seats[ci] and chairs.max() <= inst.c_chairs[ci]
    )


def _load_initial(inst: alns_fleet.Inst, sol: alns_fleet.Sol, initial: list[SearchRoute]) -> None:
    """Start from given routes; a route the kernels would not accept is rebuilt."""
    k = 0
    for ci, visits in initial:
        if k >= inst.K or not visits or len(visits) > inst.L:
            continue
        seq = np.asarray([_node(inst, v) for v in visits], dtype=np.int64)
        times = _schedule(inst, seq, ci)
        t = int(inst.c_type[ci])
        limit = int(inst.t_avail[t])
        if times.size != seq.size or not _fits_class(inst, seq, ci):
            continue  # not feasible under our model: rebuild those requests
        if limit >= 0 and sol.tused[t] >= limit:
            continue
        sol.routes[k, : seq.size] = seq
        sol.rlen[k] = seq.size
        sol.rtimes[k, : seq.size] = times
        sol.rdist[k] = route_kernels._route_cost(seq, seq.size, inst.D, inst.n)
        sol.rcls[k] = ci
        sol.rride[k] = alns_fleet._route_ride(inst.T, inst.svc, inst.rc, inst.n, seq, seq.size)
        sol.rcost[k] = inst.c_fixed[ci] + inst.c_perm[ci] * sol.rdist[k] + sol.rride[k]
        sol.tused[t] += 1
        for node in seq:
            if node <= inst.n:
                sol.where[node] = k
        k += 1


def _construct(inst: alns_fleet.Inst, sol: alns_fleet.Sol) -> None:
    """Insert every request not yet placed, in order of its earliest pickup."""
    n = inst.n
    first = [min(inst.e[r], inst.e[n + r] - inst.ride[r]) for r in range(1, n + 1)]
    order = np.argsort(first, kind="stable").astype(np.int64) + 1
    alns_fleet._construct(inst, sol, order)


@dataclass(frozen=True)
class Annealing:
    """Simulated annealing and ruin sizes of the ALNS.

    At the start a plan ``temp_worse`` (fraction) costlier is accepted with probability
    1/2; the temperature falls geometrically with time to ``temp_end_ratio`` times the
    start. Each ruin removes 2 .. min(remove_frac * requests, remove_cap) requests.
    """

    temp_worse: float = 0.05
    temp_end_ratio: float = 0.002
    remove_frac: float = 0.3
    remove_cap: int = 30


def ruin_sizes(how: Annealing, n: int) -> tuple[int, int]:
    """Fewest and most requests one ruin removes."""
    qmin = min(2, n)
    return qmin, max(qmin, min(n, max(4, int(how.remove_frac * n)), how.remove_cap))


def anneal_in_chunks(
    step: Callable[[int, float, int], int],
    best_obj: int,
    cost0: int,
    deadline: float,
    time_limit_s: float,
    how: Annealing,
) -> tuple[int, int]:
    """Call ``step(iterations, temperature, best) -> best`` in chunks until ``deadline``.

    Chunks aim at ~0.2 s so the deadline is kept and the temperature follows the time:
    from ``how.temp_worse`` of ``cost0`` (accepted with probability 1/2) down to
    ``how.temp_end_ratio`` of it. Returns (best objective, iterations).
    """
    temp0 = max(1.0, how.temp_worse * cost0 / math.log(2))
    temp1 = temp0 * how.temp_end_ratio
    chunk = 20
    started = deadline - time_limit_s
    iters = 0
    while True:
        now = time.monotonic()
        if now >= deadline and iters > 0:
            break
        frac0 = min(1.0, (now - started) / time_limit_s)
        c0 = time.monotonic()
        best_obj = step(chunk, temp0 * (temp1 / temp0) ** frac0, best_obj)
        iters += chunk
        spent = time.monotonic() - c0
        chunk = max(5, min(2000, int(chunk * 0.2 / max(spent, 1e-3))))
    return best_obj, iters


def _anneal(
    inst: alns_fleet.Inst,
    sol: alns_fleet.Sol,
    best: alns_fleet.Sol,
    deadline: float,
    time_limit_s: float,
    how: Annealing,
) -> tuple[int, int]:
    """Run the ALNS until ``deadline``; (best objective, iterations)."""
    unassigned = int((sol.where[1:] < 0).sum())
    cost0 = int(sol.rcost[sol.rlen > 0].sum())
    qmin, qmax = ruin_sizes(how, inst.n)
    noise = max(1, int(0.02 * int(inst.D.max()) * int(inst.c_perm.max())))

    def step(chunk: int, temp: float, best_obj: int) -> int:
        return int(
            alns_fleet._run(inst, sol, best, best_obj, chunk, temp, temp * 0.98, qmin, qmax, noise)
        )

    best_obj = cost0 + unassigned * inst.penalty
    return anneal_in_chunks(step, best_obj, cost0, deadline, time_limit_s, how)


def _best_routes(
    space: IndexSpace, inst: alns_fleet.Inst, best: alns_fleet.Sol
) -> list[SearchRoute]:
    out: list[SearchRoute] = []
    for k in range(inst.K):
        m = int(best.rlen[k])
        if m == 0:
            continue
        ci = int(best.rcls[k])
        seq = best.routes[k, :m].copy()
        times = _schedule(inst, seq, ci)
        if times.size != m:  # cannot happen: every kept route passed the same check
            logger.warning("%s: ALNS route %d failed its schedule; dropped", space.problem.name, k)
            continue
        out.append((ci, [_visit(inst, node, int(t)) for node, t in zip(seq, times, strict=True)]))
    return out


def solve_fleet(
    space: IndexSpace,
    time_limit_s: float,
    seed: int = 0,
    *,
    initial: list[SearchRoute] | None = None,
    how: Annealing | None = None,
) -> list[SearchRoute] | None:
    """Ruin-and-recreate search (``routing.solver.alns_fleet``) for a supported problem.

    Parameters
    ----------
    space
        The index space of a Problem for which :func:`fleet_supported` holds (else None).
    time_limit_s
        Wall-clock budget, seconds (the first call in a process also compiles, ~10 s,
        unless numba's on-disk cache is warm: see ``improve.warm_up``).
    seed
        Random seed.
    initial
        A plan to start from ((class, visits) per route); requests it leaves out are
        inserted first.
    how
        Annealing schedule and ruin sizes (default: :class:`Annealing`'s).

    Returns
    -------
    list of (class, visits), or None
        Visit sequences with feasible service starts (Problem units); requests that no
        insertion could place are left out (the caller reports them unassigned).
    """
    if not fleet_supported(space.problem):
        return None
    started = time.monotonic()
    inst = _inst(space)
    sol = _empty_sol(inst)
    route_kernels._seed(seed)
    if initial:
        _load_initial(inst, sol, initial)
    _construct(inst, sol)
    best = alns_fleet._clone(sol)
    how = how or Annealing()
    best_obj, iters = _anneal(inst, sol, best, started + time_limit_s, time_limit_s, how)
    logger.info(
        "%s: ALNS %d iterations in %.1f s, best %d",
        space.problem.name,
        iters,
        time.monotonic() - started,
        best_obj,
    )
    return _best_routes(space, inst, best)


__all__ = [
    "Annealing",
    "SearchRoute",
    "anneal_in_chunks",
    "fleet_supported",
    "ruin_sizes",
    "solve_fleet",
]
