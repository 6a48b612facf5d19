"""Improvement heuristics: the ALNS's exact route schedule, problem shapes, ALNS plans."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from routing.bench.cordeau import load_cordeau_problem
from routing.bench.solomon import load_solomon_problem
from routing.checks import check_problem_plan
from routing.solver import improve, plan_from_visits
from routing.solver.fleet_search import solve_fleet
from routing.solver.route_kernels import schedule_route
from routing.solver.space import IndexSpace

BENCH = Path(__file__).resolve().parents[2] / "data" / "bench"


def _one_request(ride: int) -> tuple[np.ndarray, ...]:
    # Nodes 0 start, 1 pickup, 2 drop-off, 3 end; every leg 10; no service times.
    T = np.full((4, 4), 10, dtype=np.int64)
    np.fill_diagonal(T, 0)
    svc = np.zeros(4, dtype=np.int64)
    e = np.array([0, 0, 50, 0], dtype=np.int64)
    late = np.array([1000, 100, 60, 1000], dtype=np.int64)
    rides = np.array([0, ride], dtype=np.int64)
    return T, svc, e, late, rides


@pytest.mark.parametrize(
    ("ride", "expected"),
    [
        (15, [35, 50]),  # earliest pickup 10 would ride 40: delayed to 50 - 15
        (40, [10, 50]),  # the limit allows the earliest schedule
        (5, []),  # the direct leg (10) is longer than the limit: infeasible
    ],
)
def test_schedule_route_delays_pickups_only_as_far_as_ride_limits_force(
    ride: int, expected: list[int]
) -> None:
    T, svc, e, late, rides = _one_request(ride)
    seq = np.array([1, 2], dtype=np.int64)
    times = schedule_route(seq, T, svc, e, late, rides, 1, 1000)
    assert times.tolist() == expected


def test_schedule_route_rejects_a_route_longer_than_its_duration_limit() -> None:
    T, svc, e, late, rides = _one_request(40)
    seq = np.array([1, 2], dtype=np.int64)
    # Leaving at 40 at the latest still ends at 60 + 10: duration 30 fits, 29 does not.
    assert schedule_route(seq, T, svc, e, late, rides, 1, 30).tolist() == [50 - 10, 50]
    assert schedule_route(seq, T, svc, e, late, rides, 1, 29).tolist() == []


def test_problem_shapes_pick_the_right_search() -> None:
    darp = load_cordeau_problem(BENCH / "cordeau_a" / "a2-16.txt")
    vrptw = load_solomon_problem(BENCH / "solomon" / "r101.txt")
    # The literature's DARP and the pupils' model (several classes: a route's class is
    # chosen in the insertion) are one search; classes starting from different depots are
    # not modelled.
    assert improve.supported(darp) and not improve.vrptw_shape(darp)
    assert improve.vrptw_shape(vrptw)
    two_classes = dataclasses.replace(darp, vehicle_classes=darp.vehicle_classes * 2)
    assert improve.supported(two_classes)
    vc = darp.vehicle_classes[0]
    other = dataclasses.replace(vc, start_loc=darp.requests[0].pickup_loc)
    two_depots = dataclasses.replace(darp, vehicle_classes=(vc, other))
    assert not improve.supported(two_depots)
    assert improve.solve_improved(IndexSpace(two_depots), 1.0) is None


@pytest.mark.slow  # the first call compiles the ALNS with numba (~30-60 s on 2 cores)
def test_alns_plan_of_a2_16_passes_the_checker_near_the_optimum() -> None:
    problem = load_cordeau_problem(BENCH / "cordeau_a" / "a2-16.txt")
    improve.warm_up()  # compiled before the clock starts, as solve() does
    routes = solve_fleet(IndexSpace(problem), 2.0, seed=0)
    assert routes is not None
    plan = plan_from_visits(problem, [visits for _, visits in routes])
    assert plan.is_complete
    assert check_problem_plan(problem, plan) == []
    assert plan.objective <= 294_250 * 1.03 + 1000  # optimum 294.25 (x1000, rounded arcs)
