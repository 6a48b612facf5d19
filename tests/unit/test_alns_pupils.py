"""The ruin-and-recreate search on the pupils' full model (``SolveParams.search="alns"``).

Worlds on a straight road (``routing.synthetic.scenario_on_line``: 1 km = 120 s), every
plan judged by the independent checker.
"""

from __future__ import annotations

import pytest

from routing.checks import check_plan
from routing.model import Needs, Plan, Policy, Route, Run, SolveParams
from routing.problem import build_problem
from routing.solver import solve
from routing.solver.improve import warm_up
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
