"""Warm start and right-sizing: shared routes built per school, each on its cheapest class.

Scenarios lie on a straight road (``routing.synthetic.scenario_on_line``): 1 km = 120 s.
A taxi (4 seats) costs 45.00 a run, a minibus (16 seats) 105.00: for one pupil the taxi
is cheaper, for twelve the minibus is (three taxis cost 135.00).
"""

from __future__ import annotations

import dataclasses

import pytest

from routing.checks import check_plan
from routing.model import Needs, Run, SolveParams, VehicleCategory, VehicleType
from routing.problem import build_problem
from routing.solver import solve
from routing.solver.plans import initial_from_plan
from routing.solver.schedule import route_ok
from routing.solver.sizing import cheapest_class
from routing.solver.space import IndexSpace, Vehicle
from routing.solver.warmstart import initial_routes
from routing.synthetic import scenario_on_line

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
MINIBUS = VehicleType(
    "minibus",
    VehicleCategory.MINIBUS,
    16,
    max_wheelchair_places=2,
    seats_per_wheelchair_place=2,
    day_rate_pence=21000,
    cost_per_mile_pence=230,
)


def _twelve_on_a_road(run: Run):  # type: ignore[no-untyped-def]
    pupils = [(f"P{k:02d}", "S1", 2.0 + 0.5 * k, {}) for k in range(12)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI, MINIBUS))
    problem, unassigned = build_problem(scenario, matrix, run)
    assert unassigned == ()
    return scenario, matrix, problem


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_twelve_pupils_on_one_road_share_one_minibus(run: Run) -> None:
    scenario, matrix, problem = _twelve_on_a_road(run)
    plan = solve(problem, SolveParams(time_limit_s=1.0))
    assert check_plan(scenario, matrix, plan) == []
    assert plan.unassigned == ()
    assert [r.vehicle_type for r in plan.routes] == ["minibus"]


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_initial_routes_cover_every_request_on_a_feasible_cheapest_class(run: Run) -> None:
    _, _, problem = _twelve_on_a_road(run)
    model = IndexSpace(problem, seed=0)
    routes = initial_routes(model, time_budget_s=1.0)
    served = sorted(model.nodes[n].request_idx for _, seq in routes for n in seq)
    assert served == sorted(2 * list(range(len(problem.requests))))
    for ci, seq in routes:
        assert route_ok(model, Vehicle(ci, 0, 0), seq) is not None
        best = cheapest_class(model, seq)
        assert best is not None and best[0] == ci


def test_a_few_pupils_are_right_sized_to_a_taxi() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {}), ("B", "S1", 3.5, {}), ("C", "S1", 4.0, {})],
        vehicle_types=(MINIBUS, TAXI),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    plan = solve(problem, SolveParams(time_limit_s=1.0))
    assert check_plan(scenario, matrix, plan) == []
    assert [r.vehicle_type for r in plan.routes] == ["taxi"]


def test_a_pupil_needing_an_assistant_keeps_one_after_right_sizing() -> None:
    pupils = [(f"P{k:02d}", "S1", 2.0 + 0.5 * k, {}) for k in range(8)]
    pupils.append(("A", "S1", 3.0, {"needs": Needs(needs_assistant=True)}))
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI, MINIBUS))
    problem, _ = build_problem(scenario, matrix, Run.AM)
    plan = solve(problem, SolveParams(time_limit_s=1.0))
    assert check_plan(scenario, matrix, plan) == []
    assert next(r for r in plan.routes if "A" in r.pupil_ids()).has_assistant


@pytest.mark.parametrize("run", [Run.AM, Run.PM])
def test_a_plan_passed_in_is_where_the_search_starts(run: Run) -> None:
    # A taxis-only plan of the twelve pupils as the initial plan of the problem with
    # minibuses too, with one solution allowed: the search keeps that start (the same
    # pupils on each route), where the warm start would have made one minibus.
    scenario, matrix, problem = _twelve_on_a_road(run)
    taxi_only = build_problem(dataclasses.replace(scenario, vehicle_types=(TAXI,)), matrix, run)
    # One solution each, so a loaded machine gives the same plans (no time limit cut).
    first = solve(taxi_only[0], SolveParams(time_limit_s=30.0), solution_limit=1)
    assert {r.vehicle_type for r in first.routes} == {"taxi"} and len(first.routes) > 1
    assert first.unassigned == ()
    start = initial_from_plan(IndexSpace(problem), first)
    assert [len(seq) for _, seq in start] == [2 * len(r.pupil_ids()) for r in first.routes]
    again = solve(problem, SolveParams(time_limit_s=30.0), initial=first, solution_limit=1)
    assert check_plan(scenario, matrix, again) == []
    assert again.unassigned == ()
    assert [r.pupil_ids() for r in again.routes] == [r.pupil_ids() for r in first.routes]
