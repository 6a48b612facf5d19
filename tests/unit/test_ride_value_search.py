"""The council's value of a pupil's minute inside the ruin-and-recreate search.

Worlds on a straight road (``routing.synthetic.scenario_on_line``: 1 km = 120 s), every
plan judged by the independent checker.
"""

from __future__ import annotations

import numpy as np
import pytest

from routing.checks import check_plan
from routing.decompose import objective_pence
from routing.model import Policy, Run, SolveParams
from routing.problem import build_problem
from routing.rides import ride_times_s
from routing.solver import alns_fleet, fleet_search, solve
from routing.solver.improve import warm_up
from routing.solver.schedule import ride_value
from routing.solver.space import IndexSpace
from routing.synthetic import default_vehicle_types, scenario_on_line

TAXI, _MPV, _WAV, MINIBUS = default_vehicle_types()

ALNS = SolveParams(time_limit_s=2.0, num_workers=1, search="alns")


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    warm_up()


def _either_side(value_gbp: float):  # type: ignore[no-untyped-def]
    # P at +5 km and Q at -5 km of the school: one taxi saves a vehicle but P rides
    # 15 km (30 min) instead of 5 (10 min).
    policy = Policy(ride_minute_value_pence=round(100 * value_gbp))
    pupils = [("P", "S", 5.0, {}), ("Q", "S", -5.0, {})]
    return scenario_on_line({"S": 0.0}, pupils, vehicle_types=(TAXI,), policy=policy)


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_a_high_ride_value_buys_a_second_vehicle_a_low_one_does_not(run: Run) -> None:
    routes = {}
    for value in (0.0, 0.5, 5.0):
        scenario, matrix = _either_side(value)
        problem, _ = build_problem(scenario, matrix, run)
        plan = solve(problem, ALNS)
        assert check_plan(scenario, matrix, plan) == []
        assert plan.unassigned == ()
        routes[value] = len(plan.routes)
        longest = max(ride_times_s(plan).values())
        # 20 extra minutes at £5 a minute (£100) is worth more than a taxi (£45 + miles);
        # at 50p (£10) it is not.
        assert (longest <= 10 * 60 + 60) == (value == 5.0), (value, longest)
    assert routes == {0.0: 1, 0.5: 1, 5.0: 2}


def test_every_insertions_priced_change_is_the_routes_recomputed_change() -> None:
    # Pupils on both sides of two schools with a ride value: the kernels' added cost of
    # each insertion (vehicle, miles, and everyone's ride) equals the route's cost after
    # it minus before, and the route's ride value is the Python one (schedule.ride_value).
    rng = np.random.default_rng(3)
    pupils = [(f"P{k}", "S1" if k % 2 else "S2", float(rng.uniform(-6, 6)), {}) for k in range(9)]
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.5},
        pupils,
        vehicle_types=(TAXI, MINIBUS),
        policy=Policy(ride_minute_value_pence=20),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    space = IndexSpace(problem)
    inst = fleet_search._inst(space)
    assert inst.has_rc
    sol = fleet_search._empty_sol(inst)
    ws = alns_fleet._workspace(inst)
    view = fleet_search._view(space)
    for r in range(1, inst.n + 1):
        delta, k, i, j, c = alns_fleet._best_insertion(inst, sol, r, -1, ws, 0)
        assert k >= 0
        before = int(sol.rcost[k]) if sol.rlen[k] else 0
        alns_fleet._insert(inst, sol, k, i, j, r, c, ws)
        assert int(sol.rcost[k]) - before == delta
        seq = [int(view[node]) for node in sol.routes[k, : sol.rlen[k]]]
        assert int(sol.rride[k]) == ride_value(space, seq) > 0


def test_the_run_objective_adds_the_rides_value_only_when_the_policy_prices_a_minute() -> None:
    # The whole-run search keeps its seed only when the seed is better on this objective:
    # the two-taxi plan is dearer in money but cheaper once P's 20 extra minutes count.
    plans = {}
    for value in (0.0, 5.0):
        scenario, matrix = _either_side(value)
        problem, _ = build_problem(scenario, matrix, Run.AM)
        plans[value] = (problem, solve(problem, ALNS))
    priced, two_taxis = plans[5.0]
    unpriced, one_taxi = plans[0.0]
    assert len(two_taxis.routes) == 2 and len(one_taxi.routes) == 1
    assert two_taxis.cost_pence > one_taxi.cost_pence
    assert objective_pence(priced, two_taxis) < objective_pence(priced, one_taxi)
    assert objective_pence(unpriced, one_taxi) == one_taxi.cost_pence
    # P and Q each ride their direct 10 minutes at £5 a minute: £100 on top (the rate per
    # second is rounded to a thousandth of a penny).
    assert objective_pence(priced, two_taxis) == pytest.approx(two_taxis.cost_pence + 10_000, abs=1)
