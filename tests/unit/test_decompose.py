"""Splitting a run into parts, sharing vehicles and time, merging one plan."""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter

import pytest

from routing.checks import check_plan
from routing.decompose import _bins, _share_vehicles, merge_plans, plan_run, split_requests
from routing.model import (
    Needs,
    Run,
    SolveParams,
    SolveProgress,
    StopKind,
    VehicleCategory,
    VehicleType,
)
from routing.problem import build_problem
from routing.rides import count_rides_over
from routing.synthetic import great_circle_matrix, scenario_on_line, synthetic_scenario

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)


def _parts_of(scenario, max_part):  # type: ignore[no-untyped-def]
    matrix = great_circle_matrix(scenario)
    problem, _ = build_problem(scenario, matrix, Run.AM)
    return problem, split_requests(problem, max_part)


def test_every_request_is_in_exactly_one_part_of_bounded_size() -> None:
    scenario = synthetic_scenario(150, 8, seed=1)
    problem, parts = _parts_of(scenario, 40)
    ids = [rid for part in parts for rid in part]
    assert sorted(ids) == sorted(r.request_id for r in problem.requests)
    assert all(len(part) <= 40 for part in parts)
    assert len(parts) >= math.ceil(len(ids) / 40)


def test_small_problem_is_one_part() -> None:
    scenario = synthetic_scenario(20, 2, seed=1)
    problem, parts = _parts_of(scenario, 120)
    assert parts == [[r.request_id for r in problem.requests]]


def test_siblings_at_different_schools_stay_in_one_part() -> None:
    pupils = [(f"P{i:02d}", "S1" if i < 10 else "S2", float(i % 5) + 1, {}) for i in range(20)]
    pupils += [("A", "S1", 2.0, {"sibling_group": "G"}), ("B", "S2", 2.0, {"sibling_group": "G"})]
    scenario, matrix = scenario_on_line({"S1": 0.0, "S2": 30.0}, pupils, vehicle_types=(TAXI,))
    problem, _ = build_problem(scenario, matrix, Run.AM)
    (group,) = problem.same_vehicle
    parts = split_requests(problem, 11)
    assert sum(1 for part in parts if set(group) <= set(part)) == 1


def test_a_school_larger_than_a_part_is_cut_into_sectors_by_direction() -> None:
    # 24 pupils east of the school and 24 west: a cut by direction keeps each side whole.
    pupils = [(f"E{i:02d}", "S1", 1.0 + i / 10, {}) for i in range(24)]
    pupils += [(f"W{i:02d}", "S1", -1.0 - i / 10, {}) for i in range(24)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI,))
    problem, _ = build_problem(scenario, matrix, Run.AM)
    parts = split_requests(problem, 30)
    assert len(parts) == 2
    for part in parts:
        sides = {problem.request(rid).pupil_ids[0][0] for rid in part}
        assert len(sides) == 1


def test_limited_vehicles_are_shared_in_proportion_and_never_more_than_exist() -> None:
    scenario = synthetic_scenario(
        90,
        6,
        seed=2,
        vehicle_types=(dataclasses.replace(TAXI, num_available=7),),
    )
    problem, parts = _parts_of(scenario, 30)
    shares = _share_vehicles(problem, parts)
    assert sum(s["taxi"] or 0 for s in shares) == 7
    big, small = max(parts, key=len), min(parts, key=len)
    assert shares[parts.index(big)]["taxi"] >= shares[parts.index(small)]["taxi"]  # type: ignore[operator]


def test_bins_balance_requests_over_workers() -> None:
    scenario = synthetic_scenario(150, 8, seed=1)
    matrix = great_circle_matrix(scenario)
    problem, _ = build_problem(scenario, matrix, Run.AM)
    from routing.problem import restrict

    parts = [restrict(problem, ids) for ids in split_requests(problem, 30)]
    bins = _bins(parts, 2)
    loads = [sum(len(p.requests) for p in b) for b in bins]
    assert max(loads) - min(loads) <= max(len(p.requests) for p in parts)


def test_merge_renumbers_routes_and_keeps_the_problem_flags() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 40.0},
        [("A", "S1", 3.0, {}), ("B", "S2", 43.0, {}), ("C", "S1", 80.0, {})],
        vehicle_types=(TAXI,),
    )
    # The parts' plans merged as they are (the whole-run search would join A and B).
    params = SolveParams(time_limit_s=2, num_workers=1, max_part_requests=1, search="ortools")
    plan = plan_run(scenario, matrix, Run.AM, params)
    # C's direct trip (160 min) is over the 75-minute limit: carried and flagged.
    assert [r.route_id for r in plan.routes] == ["AM-001", "AM-002", "AM-003"]
    assert plan.unassigned == ()
    assert [(f.pupil_id, f.code) for f in plan.flags] == [("C", "long_direct_ride")]
    assert plan.travel_model == matrix.model and plan.scenario_name == "line"
    assert check_plan(scenario, matrix, plan) == []


def test_merge_plans_of_nothing_is_an_empty_plan() -> None:
    plan = merge_plans("x", Run.PM, [])
    assert plan.routes == () and plan.unassigned == ()


@pytest.mark.parametrize("workers", [1, 2])  # in process; on a spawned pool
def test_plan_run_solves_parts_within_the_time_limit_and_passes_the_checker(
    workers: int,
) -> None:
    scenario = synthetic_scenario(60, 4, seed=5)
    matrix = great_circle_matrix(scenario)
    params = SolveParams(time_limit_s=5, num_workers=workers, max_part_requests=20)
    seen = []
    started = time.monotonic()
    plan = plan_run(scenario, matrix, Run.PM, params, seen.append)
    elapsed = time.monotonic() - started
    # the run keeps to its budget (slack for spawning workers on a loaded 2-core machine)
    assert elapsed < params.time_limit_s + 10
    assert check_plan(scenario, matrix, plan) == []
    routed = Counter(pid for r in plan.routes for pid in r.pupil_ids())
    left = Counter(u.pupil_id for u in plan.unassigned)
    assert routed + left == Counter(p.pupil_id for p in scenario.pupils)
    assert len({r.route_id for r in plan.routes}) == len(plan.routes)
    assert seen[-1].parts_done == seen[-1].parts_total >= 3
    assert seen[-1].best_cost_pence == sum(r.cost_pence for r in plan.routes)


@pytest.mark.parametrize("workers", [1, 2])  # in process; on a spawned pool
def test_progress_counts_the_rides_over_45_minutes_of_the_parts_done(workers: int) -> None:
    # Three pupils 30 km out (60 min alone: carried on their own longer limit), three near.
    pupils = [(f"F{i}", "S1", 30.0 + i, {}) for i in range(3)]
    pupils += [(f"N{i}", "S1", 2.0 + i, {}) for i in range(3)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI,))
    params = SolveParams(time_limit_s=4, num_workers=workers, max_part_requests=2)
    seen: list[SolveProgress] = []
    plan = plan_run(scenario, matrix, Run.AM, params, seen.append)
    assert count_rides_over(plan) >= 3
    assert seen[-1].rides_over_45_min == count_rides_over(plan)
    assert seen[0].rides_over_45_min is None  # before any part is done, not known
    done = [e.rides_over_45_min for e in seen if e.parts_done]
    assert done and all(n is not None for n in done)


def test_plan_run_with_no_pupils_on_the_run_is_empty() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0}, [("A", "S1", 3.0, {"attends_am": False})], vehicle_types=(TAXI,)
    )
    plan = plan_run(scenario, matrix, Run.AM, SolveParams(time_limit_s=1))
    assert plan.routes == () and plan.unassigned == ()


def test_needs_survive_the_split() -> None:
    pupils = [(f"P{i:02d}", "S1", 2.0 + i / 5, {}) for i in range(12)]
    pupils.append(("X", "S1", 2.0, {"needs": Needs(travel_alone=True)}))
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI,))
    plan = plan_run(
        scenario, matrix, Run.AM, SolveParams(time_limit_s=2, num_workers=1, max_part_requests=5)
    )
    assert check_plan(scenario, matrix, plan) == []
    route = next(r for r in plan.routes if "X" in r.pupil_ids())
    on_board: set[str] = set()
    for stop in route.stops:
        if stop.kind is StopKind.PICKUP:
            on_board |= set(stop.pupil_ids)
        if "X" in on_board:
            assert on_board == {"X"}
        if stop.kind is StopKind.DROPOFF:
            on_board -= set(stop.pupil_ids)
