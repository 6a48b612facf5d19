"""The whole-run search after the decomposition: pupils move across the parts' seams.

Worlds on a straight road (``routing.synthetic.scenario_on_line``: 1 km = 120 s), every
plan judged by the independent checker.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from routing.checks import check_plan
from routing.decompose import plan_run, split_requests
from routing.model import Policy, Run, SolveParams
from routing.problem import build_problem
from routing.solver import fleet_search, improve
from routing.solver.plans import initial_from_plan, plan_from_routes
from routing.solver.schedule import route_ok
from routing.solver.space import IndexSpace, Visit
from routing.synthetic import default_vehicle_types, scenario_on_line

TAXI, _MPV, _WAV, MINIBUS = default_vehicle_types()


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    improve.warm_up()  # numba compiles once per machine (cached on disk), not in a solve


def _two_part_world():  # type: ignore[no-untyped-def]
    # Three pupils of S1 and one of S2, next door, homes in a row: with parts of at most
    # three requests the split puts S2's pupil apart, so the parts need two taxis; one
    # taxi (4 seats, mixed-school routes allowed) carries all four.
    pupils = [(f"P{k}", "S1", 4.0 + 0.2 * k, {}) for k in range(3)]
    pupils += [("Q", "S2", 4.7, {})]
    return scenario_on_line({"S1": 0.0, "S2": 0.2}, pupils, vehicle_types=(TAXI,))


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_a_pupil_moves_onto_another_parts_route_when_that_is_cheaper(run: Run) -> None:
    scenario, matrix = _two_part_world()
    problem, _ = build_problem(scenario, matrix, run)
    assert len(split_requests(problem, 3)) == 2  # the seam is there
    base = SolveParams(time_limit_s=4.0, num_workers=1, max_part_requests=3, search="ortools")
    parts = plan_run(scenario, matrix, run, base)
    whole = plan_run(scenario, matrix, run, replace(base, search="alns"))
    assert check_plan(scenario, matrix, parts, runs=[run]) == []
    assert check_plan(scenario, matrix, whole, runs=[run]) == []
    assert len(parts.routes) == 2 and whole.unassigned == ()
    assert len(whole.routes) == 1
    assert whole.cost_pence < parts.cost_pence


def test_two_workers_share_the_best_plan_and_every_rule_holds() -> None:
    # 14 pupils at two schools on both sides of the road, taxis only: the synced search
    # on two processes (epochs of a second) returns a checker-valid plan no worse than
    # the one it started from.
    pupils = [(f"P{k:02d}", "S1" if k % 2 else "S2", 2.0 + 0.7 * k, {}) for k in range(14)]
    scenario, matrix = scenario_on_line({"S1": 0.0, "S2": 1.0}, pupils, vehicle_types=(TAXI,))
    problem, _ = build_problem(scenario, matrix, Run.AM)
    space = IndexSpace(problem)
    # start: one taxi per pupil
    start = [(0, [Visit(i, True, 0), Visit(i, False, 0)]) for i in range(len(space.requests))]
    saved = improve.SYNC_EPOCH_S
    improve.SYNC_EPOCH_S = 1.0
    try:
        found = improve.solve_improved(space, 3.0, 0, num_workers=2, initial=start)
    finally:
        improve.SYNC_EPOCH_S = saved
    assert found is not None
    assert sum(len(v) for _, v in found) == 2 * len(space.requests)
    assert improve.routes_cost(space, found) < improve.routes_cost(space, start)
    space_routes = [
        (
            space.vehicles.append(space.vehicle_of_class(ci)) or len(space.vehicles) - 1,
            [space.visit_node(v) for v in visits],
            [v.service_start_s for v in visits],
        )
        for ci, visits in found
    ]
    plan = plan_from_routes(space, space_routes, 0.0, 0)
    assert check_plan(scenario, matrix, plan, runs=[Run.AM]) == []
    assert len(plan.routes) <= 4  # 14 pupils, 4 seats a taxi (one can run twice)


def test_nearest_requests_are_the_nearest_by_home_and_school() -> None:
    # Kernel numbering: 0 start, 1..n pickups, n+1..2n drop-offs, 2n+1 end.
    n = 4
    pos = np.asarray([0, 1, 2, 10, 11, 0, 0, 5, 5, 0], dtype=np.int64)
    D = np.abs(pos[:, None] - pos[None, :])
    near = fleet_search.nearest_requests(D, n, 1)
    # request 1 (home 1, school 0): request 2 (home 2, school 0) is nearest
    assert near[1, 0] == 2 and near[2, 0] == 1
    assert near[3, 0] == 4 and near[4, 0] == 3
    assert set(fleet_search.nearest_requests(D, n, 10)[1]) == {2, 3, 4}


def test_a_route_that_needs_a_pickup_delayed_for_its_ride_limit_seeds_the_search() -> None:
    # P2, P1 and P0 picked up in turn, P1 left at S1 (0 km, rings 09:00), P0 and P2 at S2
    # (-6.5 km, rings 09:20). As late as possible P2 rides too long, as early as possible
    # P0 waits too long on board; P2 picked up later than its earliest holds both. Such a
    # route (a search made it) must carry into the next search, not be dropped.
    pupils = [
        ("P0", "S2", -8.8, {"year_group": 9}),
        ("P1", "S1", 8.3, {"year_group": 9}),
        ("P2", "S2", 6.3, {"year_group": 9}),
    ]
    policy = Policy(comfort_ride_factor=0, comfort_ride_extra_s=0)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": -6.5}, pupils, vehicle_types=(MINIBUS,), policy=policy
    )
    schools = tuple(
        replace(s, am_start_s=9 * 3600 + 20 * 60) if s.school_id == "S2" else s
        for s in scenario.schools
    )
    scenario = replace(scenario, schools=schools)
    problem, _ = build_problem(scenario, matrix, Run.AM)
    space = IndexSpace(problem)
    p0, p1, p2 = (space.position[r.request_id] for r in problem.requests)
    seq = [space.pickup_node(p2), space.pickup_node(p1), space.pickup_node(p0)]
    seq += [space.dropoff_node(p1), space.dropoff_node(p0), space.dropoff_node(p2)]
    veh = space.vehicle_of_class(0)
    assert route_ok(space, veh, seq) is None
    starts = route_ok(space, veh, seq, exact=True)
    assert starts is not None
    space.vehicles.append(veh)
    plan = plan_from_routes(space, [(len(space.vehicles) - 1, seq, starts)], 0.0, 0)
    assert check_plan(scenario, matrix, plan, runs=[Run.AM]) == []
    assert initial_from_plan(IndexSpace(problem), plan) == [(0, seq)]
