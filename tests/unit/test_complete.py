"""The completion step: every pupil the search left out whom a vehicle can carry, placed.

Plans here are made the way a search leaves them: some pupils solved, others listed as
``not_placed`` or ``siblings_apart``; ``complete_run`` must carry them, within the fleet,
and the independent checker must pass the result.
"""

from __future__ import annotations

import dataclasses
import time

from routing.checks import check_plan
from routing.matrix import TravelMatrix
from routing.model import (
    Needs,
    Plan,
    Run,
    Scenario,
    SolveParams,
    Unassigned,
    UnassignedCode,
    VehicleCategory,
    VehicleType,
)
from routing.problem import Problem, build_problem, restrict
from routing.solver import solve
from routing.solver.complete import FLEET_FULL_REASON, GROUP_APART_REASON, complete_run
from routing.synthetic import scenario_on_line

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
MPV = VehicleType("mpv", VehicleCategory.MPV, 6, day_rate_pence=9500, cost_per_mile_pence=160)
PARAMS = SolveParams(time_limit_s=1.0)


def _left_out(
    scenario: Scenario, matrix: TravelMatrix, solved: list[str], code: UnassignedCode
) -> tuple[Problem, Plan]:
    """The run's problem and a plan of ``solved`` pupils only, the rest left out with ``code``."""
    problem, pre = build_problem(scenario, matrix, Run.AM)
    assert pre == ()
    keep = [r.request_id for r in problem.requests if set(r.pupil_ids) <= set(solved)]
    plan = solve(restrict(problem, keep), PARAMS) if keep else None
    routes = plan.routes if plan is not None else ()
    out = [
        Unassigned(pid, Run.AM, "left out by the search", code=code)
        for r in problem.requests
        for pid in r.pupil_ids
        if pid not in solved
    ]
    return problem, Plan(scenario.name, routes, tuple(out), matrix.model)


def _complete(problem: Problem, plan: Plan) -> Plan:
    return complete_run(problem, plan, time.monotonic() + 10)


def _route_of(plan: Plan, pupil_id: str) -> str:
    return next(r.route_id for r in plan.routes if pupil_id in r.pupil_ids())


def test_a_left_out_pupil_joins_the_passing_route_instead_of_a_new_vehicle() -> None:
    # A and B ride together from 10 km; C lives at 5 km, on their way to school.
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 10.0, {}), ("B", "S1", 10.2, {}), ("C", "S1", 5.0, {})],
        vehicle_types=(TAXI,),
    )
    problem, plan = _left_out(scenario, matrix, ["A", "B"], UnassignedCode.NOT_PLACED)
    assert len(plan.routes) == 1
    done = _complete(problem, plan)
    assert done.unassigned == ()
    assert len(done.routes) == 1 and _route_of(done, "C") == _route_of(done, "A")
    assert done.routes[0].route_id == "AM-001"
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_a_whole_part_the_search_lost_gets_routes_and_shares_them() -> None:
    # Nothing solved (a part whose time ran out): eight pupils at two schools.
    pupils = [(f"P{i}", "S1" if i % 2 else "S2", 6.0 + 0.3 * i, {}) for i in range(8)]
    scenario, matrix = scenario_on_line({"S1": 0.0, "S2": 0.5}, pupils, vehicle_types=(TAXI, MPV))
    problem, plan = _left_out(scenario, matrix, [], UnassignedCode.NOT_PLACED)
    done = _complete(problem, plan)
    assert done.unassigned == ()
    assert len(done.routes) < 8  # shared, not one vehicle each
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_siblings_the_search_split_ride_together_on_one_vehicle() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 4.0, "S2": -4.0},
        [
            ("A", "S1", 0.0, {"sibling_group": "G"}),
            ("B", "S2", 0.0, {"sibling_group": "G"}),
            ("C", "S1", 1.0, {}),
        ],
        vehicle_types=(TAXI,),
    )
    problem, plan = _left_out(scenario, matrix, ["C"], UnassignedCode.SIBLINGS_APART)
    done = _complete(problem, plan)
    assert done.unassigned == ()
    assert _route_of(done, "A") == _route_of(done, "B")
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_a_full_route_moves_to_a_roomier_vehicle_when_that_is_cheaper_than_a_second() -> None:
    # Four pupils fill the taxi; a fifth at the same place fits an MPV of the same run.
    pupils = [(f"P{i}", "S1", 10.0, {}) for i in range(5)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI, MPV))
    problem, plan = _left_out(scenario, matrix, ["P0", "P1", "P2", "P3"], UnassignedCode.NOT_PLACED)
    assert [r.vehicle_type for r in plan.routes] == ["taxi"]
    done = _complete(problem, plan)
    assert done.unassigned == ()
    assert [r.vehicle_type for r in done.routes] == ["mpv"]
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_the_fleet_limit_holds_and_what_it_stops_is_said() -> None:
    # One taxi in all: A travels alone on it, so B cannot be carried on this run.
    one_taxi = dataclasses.replace(TAXI, num_available=1)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 12.0, {"needs": Needs(travel_alone=True)}), ("B", "S1", 12.0, {})],
        vehicle_types=(one_taxi,),
    )
    problem, plan = _left_out(scenario, matrix, ["A"], UnassignedCode.NOT_PLACED)
    done = _complete(problem, plan)
    (left,) = done.unassigned
    assert (left.pupil_id, left.code, left.reason) == (
        "B",
        UnassignedCode.FLEET_FULL,
        FLEET_FULL_REASON,
    )
    assert len(done.routes) == 1
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_siblings_no_vehicle_can_carry_together_stay_apart_with_the_reason() -> None:
    # Schools 30 km apart in opposite directions, both ringing at 9:00: no vehicle reaches
    # both inside their arrival windows.
    scenario, matrix = scenario_on_line(
        {"S1": 15.0, "S2": -15.0},
        [("A", "S1", 0.0, {"sibling_group": "G"}), ("B", "S2", 0.0, {"sibling_group": "G"})],
        vehicle_types=(TAXI,),
    )
    problem, plan = _left_out(scenario, matrix, [], UnassignedCode.SIBLINGS_APART)
    done = _complete(problem, plan)
    assert {(u.pupil_id, u.code, u.reason) for u in done.unassigned} == {
        ("A", UnassignedCode.SIBLINGS_APART, GROUP_APART_REASON),
        ("B", UnassignedCode.SIBLINGS_APART, GROUP_APART_REASON),
    }
    assert check_plan(scenario, matrix, done, runs=(Run.AM,)) == []


def test_pre_check_reasons_are_kept_as_they_are() -> None:
    scenario, matrix = scenario_on_line({"S1": 0.0}, [("A", "S1", 3.0, {})], vehicle_types=(TAXI,))
    problem, plan = _left_out(scenario, matrix, ["A"], UnassignedCode.NOT_PLACED)
    other = Unassigned(
        "Z", Run.AM, "home location could not be reached", UnassignedCode.UNREACHABLE
    )
    plan = dataclasses.replace(plan, unassigned=(other,))
    assert _complete(problem, plan) == plan
