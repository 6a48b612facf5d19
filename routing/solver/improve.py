"""The ruin-and-recreate search (``fleet_search``) and PyVRP over the index space.

:func:`solve_improved` runs the search that fits a problem: PyVRP for plain VRPTW shapes
(``pyvrp_search``), else the numba ruin-and-recreate search with vehicle classes as a
route attribute (``fleet_search``): the pupils' full model and the literature's DARP (the
benchmarks) alike; ``num_workers`` processes in parallel. It returns (class, visits) per
route in the space's request order; ``routing.solver.solve`` builds the Plan from them.

The heuristics never decide feasibility: every plan still goes through the checker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from routing.executor import open_executor
from routing.model import Run
from routing.problem import ObjectiveKind, Problem, Request, VehicleClass
from routing.solver.fleet_search import Annealing, SearchRoute, fleet_supported, solve_fleet
from routing.solver.pyvrp_search import solve_vrptw_pyvrp, vrptw_shape
from routing.solver.schedule import ride_value, route_cost
from routing.solver.space import IndexSpace

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]


def supported(problem: Problem) -> bool:
    """True when one of this module's searches models every rule of the problem."""
    return vrptw_shape(problem) or fleet_supported(problem)


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

    VRPTW shapes go to PyVRP, everything else to the ruin-and-recreate search with
    vehicle classes. With ``num_workers`` > 1, PyVRP runs that many searches in parallel
    processes with seeds ``seed, seed + 1, ...`` on ``executor`` (:mod:`routing.executor`:
    a forked local pool, or Ray tasks) and the plan serving most requests, then the
    cheapest, wins; the ruin-and-recreate search runs in epochs instead, each going on
    from the best so far (:func:`_solve_fleet_synced`, always a forked local pool: the
    workers read the space they inherit).
    """
    if not supported(space.problem):
        return None
    if num_workers <= 1:
        return _solve_one(space, time_limit_s, seed, initial)
    if not vrptw_shape(space.problem):
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

SEEDED_TEMP_WORSE = 0.005
"""Where the epochs start from a plan (the OR-Tools parts' merged plan), the annealing
starts cooler than from scratch: a plan 0.5% costlier is accepted with probability 1/2,
not 5%, so the seed's quality is not spent in the first epochs. Havering AM, cost of the
default policy, 120 s, seed 0, the parts 15% of the clock, quiet machine: 5% £10,163; 0.5%
£10,044; 0.1% £10,033 (docs/benchmarks-policy.md)."""

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
    whole = Annealing(temp_worse=SEEDED_TEMP_WORSE) if initial else Annealing()
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
    if not vrptw_shape(space.problem):
        return solve_fleet(space, time_limit_s, seed, initial=initial)
    found = solve_vrptw_pyvrp(space, time_limit_s, seed)
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
    solve_fleet(IndexSpace(_warm_up_problem()), 1e-3, 0)
    _warm = True


__all__ = [
    "Annealing",
    "SearchRoute",
    "routes_cost",
    "solve_improved",
    "supported",
    "vrptw_shape",
    "warm_up",
]
