"""The steps both faces use: source -> matrix -> solve -> check -> cost, eligibility and
the comparison of variants.

A *source* is a validated scenario and the folder its files came from (``None`` for one
with no files: the matrix is then approximate and walks are estimated). The CLI and the
API's job worker call the same functions here, so the order of the steps lives in one
place and neither face re-implements it:

- :func:`place_pickups`: source -> who walks to a collection point (before the solver);
- :func:`build_matrix`: source -> travel matrix (and how long it took);
- :func:`plan_scenario`: scenario + matrix -> a checked, priced plan;
- :func:`plan_source` (and :func:`plan_folder`, which first reads the folder): both;
- :func:`assess_source`: source -> every pupil's eligibility decision (and walks);
- :func:`compare_source_variants`: source -> the baseline and each variant planned by
  :func:`plan_scenario` side by side;
- :func:`replan_source`: source -> matrix -> a re-plan against the plan in use;
- :func:`matrix_builder` and :func:`planner`: those two steps as the callables that
  what plans many scenarios takes (the variants, the ride-value sweep).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from routing.checks import Violation, check_plan
from routing.collection import assign_collection_points, walk_note
from routing.comparison import Comparison, compare
from routing.dataset import load_scenario
from routing.decompose import plan_run
from routing.eligibility import EligibilityDecision, assess_scenario, eligibility_routes_geojson
from routing.errors import InfeasiblePlanError
from routing.executor import Executor
from routing.matrix import TravelMatrix
from routing.model import Plan, Route, Run, Scenario, SolveParams, SolveProgress, Unassigned
from routing.network import build_travel_matrix
from routing.plan_locks import PlanLocks
from routing.replan import ReplanResult, UpheavalPrices, replan
from routing.variants import VariantTable, compare_variants

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
    note = walk_note(scenario.walks)
    if note is not None:
        notes.insert(0, note)
    plan = Plan(
        scenario_name=scenario.name,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        travel_model=matrix.model,
        solve_seconds=solve_seconds,
        objective=objective,
        notes=tuple(dict.fromkeys(notes)),
        flags=tuple(f for p in run_plans for f in p.flags),
        walks=scenario.walks,
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


def place_pickups(scenario: Scenario, source_dir: Path | None) -> Scenario:
    """The step before the solver: which pupils walk to a collection point, and how far.

    Walks are measured on the source's footpath network where it has one, else estimated
    (see :mod:`routing.collection`); the scenario comes back with ``walks`` set, which the
    problem builder reads and :func:`plan_scenario` copies onto the plan.
    """
    return assign_collection_points(scenario, source_dir)


def build_matrix(
    scenario: Scenario, source_dir: Path | None, *, cache_dir: Path | None = None
) -> tuple[TravelMatrix, float]:
    """Source -> travel matrix: road times from the folder's network, else approximate.

    Parameters
    ----------
    scenario
        The validated scenario.
    source_dir
        The folder its files (road network) came from; None for a scenario without files.
    cache_dir
        Where built matrices are cached (None: no cache).

    Returns
    -------
    tuple of (TravelMatrix, float)
        The matrix and the seconds it took to build (or read from the cache).
    """
    started = time.perf_counter()
    matrix = build_travel_matrix(scenario, source_dir, cache_dir=cache_dir)
    return matrix, time.perf_counter() - started


def plan_source(
    scenario: Scenario,
    source_dir: Path | None,
    params: SolveParams,
    *,
    runs: tuple[Run, ...] = (Run.AM, Run.PM),
    progress: ProgressFn | None = None,
    cache_dir: Path | None = None,
) -> PlanResult:
    """Decide who walks to a collection point, build the source's travel matrix and plan it
    (:func:`place_pickups`, :func:`build_matrix`, then :func:`plan_scenario`)."""
    scenario = place_pickups(scenario, source_dir)
    matrix, matrix_seconds = build_matrix(scenario, source_dir, cache_dir=cache_dir)
    return plan_scenario(
        scenario, matrix, params, runs=runs, progress=progress, matrix_seconds=matrix_seconds
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
    return plan_source(scenario, folder, params, runs=runs, progress=progress, cache_dir=cache_dir)


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """Every pupil's decision, in the scenario's pupil order, and optionally their walks."""

    decisions: tuple[EligibilityDecision, ...]
    walks_geojson: dict[str, Any] | None = None


def assess_source(
    scenario: Scenario,
    source_dir: Path | None,
    *,
    as_of: date | None = None,
    with_walks: bool = False,
) -> EligibilityResult:
    """Source -> eligibility: who is entitled to transport, and why.

    Parameters
    ----------
    scenario
        The validated scenario.
    source_dir
        Its folder (for the walk network); None: walks are estimated and decisions are
        marked indicative.
    as_of
        Assessment date for ages from dates of birth.
    with_walks
        Also draw every pupil's walk as GeoJSON (one path search per pupil; without it
        one multi-source search measures them all).

    Returns
    -------
    EligibilityResult
        The decisions and, when asked for, the walks.
    """
    if with_walks:
        decisions, walks = eligibility_routes_geojson(scenario, source_dir, as_of=as_of)
        return EligibilityResult(tuple(decisions), walks)
    return EligibilityResult(tuple(assess_scenario(scenario, source_dir, as_of=as_of)))


def matrix_builder(
    source_dir: Path | None, *, cache_dir: Path | None = None
) -> Callable[[Scenario], TravelMatrix]:
    """:func:`build_matrix` for any scenario of this source (a variant, a sweep point)."""

    def build(scenario: Scenario) -> TravelMatrix:
        return build_matrix(scenario, source_dir, cache_dir=cache_dir)[0]

    return build


def planner(
    params: SolveParams,
    *,
    runs: tuple[Run, ...] = (Run.AM, Run.PM),
    source_dir: Path | None = None,
) -> Callable[[Scenario, TravelMatrix], PlanResult]:
    """:func:`plan_scenario` with these settings, for what plans many scenarios (the
    variants, the ride-value sweep of :mod:`routing.tradeoff`), after :func:`place_pickups`
    on ``source_dir`` (the variant's own policy decides the walks); a ``partial`` of a
    module-level function, so it pickles to an executor's workers."""
    return partial(_plan_placed, params=params, runs=runs, source_dir=source_dir)


def _plan_placed(
    scenario: Scenario,
    matrix: TravelMatrix,
    params: SolveParams,
    *,
    runs: tuple[Run, ...],
    source_dir: Path | None,
) -> PlanResult:
    """:func:`place_pickups`, then :func:`plan_scenario` (what :func:`planner` binds)."""
    return plan_scenario(place_pickups(scenario, source_dir), matrix, params, runs=runs)


def compare_source_variants(
    scenario: Scenario,
    source_dir: Path | None,
    params: SolveParams,
    variants: Sequence[str],
    *,
    runs: tuple[Run, ...] = (Run.AM, Run.PM),
    cache_dir: Path | None = None,
    base_dir: Path | None = None,
    include_current: bool = True,
    allow_price_files: bool = True,
    progress: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> VariantTable:
    """Plan the baseline and each variant with :func:`plan_scenario` on the source's
    matrices (:func:`build_matrix`), side by side (:func:`routing.variants.compare_variants`).

    Parameters
    ----------
    scenario, source_dir
        The source (see :func:`build_matrix`).
    params, runs
        Solver settings for every plan; ``time_limit_s`` applies to each run of each.
    variants
        ``NAME=OVERRIDES`` texts (see :mod:`routing.variants.overrides`).
    cache_dir
        Matrix cache (see :func:`build_matrix`).
    base_dir, allow_price_files
        Where relative ``vehicle_prices`` paths are read, and whether price-list files
        are accepted at all (a service passes False).
    include_current
        Add today's arrangement as a row, when the scenario has current routes.
    progress
        Called with a line of text as each plan starts.
    executor
        Plan them all at once on this executor, each plan's parts in its worker
        (``num_workers=1``: one level fans out); None: one after another, each plan's
        parts on ``params.executor``.

    Returns
    -------
    VariantTable
        ``current`` (if asked and known), ``baseline``, then the variants in order.
    """
    item_params = params if executor is None else replace(params, num_workers=1)
    return compare_variants(
        scenario,
        matrix_builder(source_dir, cache_dir=cache_dir),
        planner(item_params, runs=runs, source_dir=source_dir),
        list(variants),
        base_dir=base_dir,
        include_current=include_current,
        allow_price_files=allow_price_files,
        progress=progress,
        executor=executor,
    )


def replan_source(
    scenario: Scenario,
    source_dir: Path | None,
    previous: Plan,
    params: SolveParams,
    *,
    locks: PlanLocks | None = None,
    prices: UpheavalPrices | None = None,
    cache_dir: Path | None = None,
) -> tuple[PlanResult, ReplanResult]:
    """Source -> matrix -> re-plan against ``previous`` (``routing.replan``) -> compare.

    The CLI's ``schoolrun replan`` and the API's re-plan both call this. Returns the
    result as :func:`plan_scenario` would (checked, priced, compared with today) and the
    re-plan's own result (what changed for each pupil, the routes kept whole).
    """
    matrix, matrix_seconds = build_matrix(scenario, source_dir, cache_dir=cache_dir)
    found = replan(scenario, matrix, previous, locks=locks, params=params, prices=prices)
    result = PlanResult(
        scenario=scenario,
        matrix=matrix,
        plan=found.plan,
        comparison=compare(scenario, matrix, found.plan),
        violations=(),
        matrix_seconds=matrix_seconds,
        solve_seconds=found.seconds,
    )
    return result, found
