"""The one call both faces use: scenario -> matrix -> solve -> check -> cost.

The CLI and the API's job worker both call :func:`plan_scenario`, so the order of the
steps lives here and neither face re-implements it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routing.checks import Violation, check_plan
from routing.comparison import Comparison, compare
from routing.dataset import load_scenario
from routing.decompose import plan_run
from routing.errors import InfeasiblePlanError
from routing.matrix import TravelMatrix
from routing.model import Plan, Route, Run, Scenario, SolveParams, SolveProgress, Unassigned
from routing.network import build_travel_matrix

logger = logging.getLogger(__name__)

ProgressFn = Callable[[SolveProgress], None]


@dataclass(frozen=True)
class PlanResult:
    """A checked plan, its comparison with today's arrangement, and timings."""

    scenario: Scenario
    matrix: TravelMatrix
    plan: Plan
    comparison: Comparison
    violations: tuple[Violation, ...]
    matrix_seconds: float
    solve_seconds: float


def plan_scenario(
    scenario: Scenario,
    matrix: TravelMatrix,
    params: SolveParams,
    *,
    runs: tuple[Run, ...] = (Run.AM, Run.PM),
    progress: ProgressFn | None = None,
    matrix_seconds: float = 0.0,
) -> PlanResult:
    """Plan the given runs of a scenario, check the plan and price it.

    Parameters
    ----------
    scenario
        The validated scenario.
    matrix
        Travel times and distances between every location of the scenario.
    params
        Solver settings; ``time_limit_s`` applies to each run.
    runs
        Which runs to plan (AM, PM or both).
    progress
        Called with a :class:`SolveProgress` as parts finish and better plans are found.
    matrix_seconds
        How long the matrix took to build, carried into the result for reporting.

    Returns
    -------
    PlanResult
        The plan (every route passed the independent checker) and its comparison.

    Raises
    ------
    InfeasiblePlanError
        If the checker finds any violation: a plan that breaks a rule is never returned.
    """
    started = time.perf_counter()
    routes: list[Route] = []
    unassigned: list[Unassigned] = []
    notes: list[str] = []
    run_plans: list[Plan] = []
    objective = 0
    for run in runs:
        run_plan = plan_run(scenario, matrix, run, params, progress)
        routes.extend(run_plan.routes)
        unassigned.extend(run_plan.unassigned)
        notes.extend(run_plan.notes)
        run_plans.append(run_plan)
        objective += run_plan.objective
    solve_seconds = time.perf_counter() - started
    plan = Plan(
        scenario_name=scenario.name,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        travel_model=matrix.model,
        solve_seconds=solve_seconds,
        objective=objective,
        notes=tuple(dict.fromkeys(notes)),
        flags=tuple(f for p in run_plans for f in p.flags),
    )
    violations = tuple(check_plan(scenario, matrix, plan))
    if violations:
        logger.error(
            "plan for %s failed the checker: %d violations", scenario.name, len(violations)
        )
        msg = (
            f"The plan for scenario '{scenario.name}' breaks {len(violations)} rule(s); "
            f"first: {violations[0].message}"
        )
        raise InfeasiblePlanError(msg, violations)
    comparison = compare(scenario, matrix, plan)
    return PlanResult(
        scenario=scenario,
        matrix=matrix,
        plan=plan,
        comparison=comparison,
        violations=violations,
        matrix_seconds=matrix_seconds,
        solve_seconds=solve_seconds,
    )


def plan_folder(
    folder: Path,
    params: SolveParams,
    *,
    runs: tuple[Run, ...] = (Run.AM, Run.PM),
    progress: ProgressFn | None = None,
    cache_dir: Path | None = None,
    scenario_transform: Callable[[Scenario], Scenario] | None = None,
) -> PlanResult:
    """Load a scenario folder, build its travel matrix and plan it (see plan_scenario)."""
    scenario = load_scenario(folder)
    if scenario_transform is not None:
        scenario = scenario_transform(scenario)
    started = time.perf_counter()
    matrix = build_travel_matrix(scenario, folder, cache_dir=cache_dir)
    matrix_seconds = time.perf_counter() - started
    return plan_scenario(
        scenario, matrix, params, runs=runs, progress=progress, matrix_seconds=matrix_seconds
    )
