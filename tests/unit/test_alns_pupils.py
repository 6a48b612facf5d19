"""The ruin-and-recreate search on the pupils' full model (``SolveParams.search="alns"``),
the council's value of a pupil's minute included.

Worlds on a straight road (``routing.synthetic.scenario_on_line``: 1 km = 120 s), every
plan judged by the independent checker.
"""

from __future__ import annotations

import numpy as np
import pytest

from routing.checks import check_plan
from routing.decompose import objective_pence
from routing.model import Needs, Plan, Policy, Route, Run, SolveParams
from routing.problem import build_problem
from routing.rides import ride_times_s
from routing.solver import alns_fleet, fleet_search, solve
from routing.solver.improve import warm_up
from routing.solver.schedule import ride_value
from routing.solver.space import IndexSpace
from routing.synthetic import default_vehicle_types, scenario_on_line

TAXI, _MPV, WAV, MINIBUS = default_vehicle_types()

ALNS = SolveParams(time_limit_s=2.0, num_workers=1, search="alns")


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    warm_up()  # numba compiles once per machine (cached on disk), not inside a timed solve


def _route_of(plan: Plan, pupil_id: str) -> Route:
    return next(r for r in plan.routes if pupil_id in r.pupil_ids())


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_every_rule_of_a_mixed_world_holds(run: Run) -> None:
    # Two schools, a wheelchair user who needs an assistant, siblings at different
    # schools, an incompatible pair, a pupil who travels alone; taxis and WAVs.
    pupils = [(f"P{i}", "S1" if i % 3 else "S2", 1.0 + i, {}) for i in range(7)]
    pupils += [("W", "S1", 2.0, {"needs": Needs(wheelchair=True, needs_assistant=True)})]
    pupils += [("L", "S2", 3.0, {"needs": Needs(travel_alone=True)})]
    pupils += [
        ("A", "S1", 5.0, {"sibling_group": "G"}),
        ("B", "S2", 5.0, {"sibling_group": "G"}),
    ]
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.0},
        pupils,
        vehicle_types=(TAXI, WAV),
        incompatible=(("P1", "P2"),),
    )
    problem, _ = build_problem(scenario, matrix, run)
    plan = solve(problem, ALNS)
    assert check_plan(scenario, matrix, plan) == []
    assert plan.unassigned == ()
    assert _route_of(plan, "A") == _route_of(plan, "B")
    assert _route_of(plan, "P1") != _route_of(plan, "P2")
    assert _route_of(plan, "L").pupil_ids() == ("L",)
    wheelchair = _route_of(plan, "W")
    assert wheelchair.vehicle_type == "wav" and wheelchair.has_assistant


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_twelve_pupils_cost_no_more_than_the_ortools_plan(run: Run) -> None:
    pupils = [(f"P{k:02d}", "S1", 2.0 + 0.5 * k, {}) for k in range(12)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI, MINIBUS))
    problem, _ = build_problem(scenario, matrix, run)
    ortools = solve(problem, SolveParams(time_limit_s=2.0, num_workers=1))
    plan = solve(problem, ALNS)
    assert check_plan(scenario, matrix, plan) == []
    assert plan.unassigned == ()
    # Both searches price in thousandths of a penny; each route's cost is rounded to the
    # penny on the plan, so a tie in the search may differ by a penny a route.
    assert plan.cost_pence <= ortools.cost_pence + len(plan.routes)


def test_without_mixed_school_routes_each_route_serves_one_school() -> None:
    pupils = [(f"P{i}", "S1" if i % 2 else "S2", 2.0 + i, {}) for i in range(6)]
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 0.5},
        pupils,
        vehicle_types=(TAXI,),
        policy=Policy(allow_mixed_school_routes=False),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    plan = solve(problem, ALNS)
    assert check_plan(scenario, matrix, plan) == []
    assert plan.unassigned == ()
    for route in plan.routes:
        assert len({s.school_id for s in route.stops}) == 1


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
