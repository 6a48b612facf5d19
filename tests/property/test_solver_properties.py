"""Properties of solved small random problems (hypothesis).

1. The independent checker finds no violation.
2. Every pupil who attends the run is routed exactly once or listed unassigned once.
3. The same seed gives the same plan (under a solution limit: OR-Tools' time limits are
   wall-clock, so only a solution limit makes two runs stop at the same plan).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.checks import check_plan
from routing.decompose import plan_run
from routing.model import Policy, RouteStart, Run, SolveParams
from routing.problem import build_problem
from routing.solver import solve
from routing.synthetic import great_circle_matrix, synthetic_scenario

POLICIES = st.builds(
    Policy,
    allow_mixed_school_routes=st.booleans(),
    route_start=st.sampled_from([RouteStart.FIRST_PICKUP, RouteStart.DEPOT]),
    depot_lon=st.just(0.2),
    depot_lat=st.just(51.56),
    max_ride_primary_s=st.sampled_from([20 * 60, 45 * 60]),
)


@settings(max_examples=12)
@given(
    num_pupils=st.integers(1, 14),
    num_schools=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    policy=POLICIES,
    run=st.sampled_from([Run.AM, Run.PM]),
    max_part=st.sampled_from([5, 120]),
)
def test_random_small_problems_give_checked_plans_covering_every_pupil(
    num_pupils: int, num_schools: int, seed: int, policy: Policy, run: Run, max_part: int
) -> None:
    scenario = synthetic_scenario(num_pupils, num_schools, seed=seed, policy=policy)
    matrix = great_circle_matrix(scenario)
    params = SolveParams(time_limit_s=1.0, num_workers=1, max_part_requests=max_part)
    plan = plan_run(scenario, matrix, run, params)
    assert check_plan(scenario, matrix, plan) == []
    routed = Counter(pid for r in plan.routes for pid in r.pupil_ids())
    left = Counter(u.pupil_id for u in plan.unassigned)
    assert not routed & left
    assert routed + left == Counter(p.pupil_id for p in scenario.pupils if run in p.runs())
    assert all(u.reason for u in plan.unassigned)


@settings(max_examples=5)
@given(num_pupils=st.integers(2, 12), seed=st.integers(0, 10_000), solver_seed=st.integers(0, 3))
def test_same_seed_gives_the_same_plan(num_pupils: int, seed: int, solver_seed: int) -> None:
    scenario = synthetic_scenario(num_pupils, 2, seed=seed)
    matrix = great_circle_matrix(scenario)
    problem, _ = build_problem(scenario, matrix, Run.AM)
    params = SolveParams(time_limit_s=20.0, seed=solver_seed)
    first = solve(problem, params, solution_limit=25)
    second = solve(problem, params, solution_limit=25)
    assert first.routes == second.routes
    assert first.unassigned == second.unassigned
    assert dataclasses.replace(first, solve_seconds=0) == dataclasses.replace(
        second, solve_seconds=0
    )
