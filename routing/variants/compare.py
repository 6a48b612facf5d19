"""Plan the baseline and each variant and price them: the side-by-side :class:`VariantTable`.

The planner and the matrix builder are passed in (the pipeline's, see
:func:`routing.pipeline.compare_scenario_variants`), so this module plans nothing itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from routing.baseline import current_plan
from routing.costing import plan_cost, round_pence
from routing.errors import InvalidScenarioError, RoutingError
from routing.executor import Executor
from routing.matrix import TravelMatrix, pupil_location_id, school_location_id
from routing.model import Plan, Scenario
from routing.rides import RIDE_THRESHOLDS_MIN, ride_times_s
from routing.variants.apply import apply_variant
from routing.variants.budgets import PersonalBudget, personal_budgets
from routing.variants.overrides import (
    BASELINE_NAME,
    CURRENT_NAME,
    Variant,
    describe_variant,
    parse_variants,
)

logger = logging.getLogger(__name__)


class HasPlan(Protocol):
    """What the pipeline's ``PlanResult`` offers: the checked plan."""

    @property
    def plan(self) -> Plan: ...


Planner = Callable[[Scenario, TravelMatrix], "Plan | HasPlan"]
"""Plans a scenario on a matrix, e.g.
``lambda s, m: pipeline.plan_scenario(s, m, params)`` (its PlanResult is accepted)."""
MatrixBuilder = Callable[[Scenario], TravelMatrix]


@dataclass(frozen=True, slots=True)
class VariantResult:
    """One line of the side-by-side table.

    Costs are annual pence; ``annual_cost_pence`` = routes + estimated solo journeys of
    unassigned pupils (``estimated_annual_pence``, from :func:`routing.costing.plan_cost`)
    + personal budgets (``budget_annual_pence``). ``num_pupils`` counts pupils carried,
    priced as a fallback, or on a budget. Ride times are over all rides (AM and PM);
    ``num_pupils_over_*`` count distinct pupils with any ride over the threshold.
    ``error`` is set (and the numbers are zero) when the variant could not be planned.
    """

    name: str
    description: str
    annual_cost_pence: int = 0
    day_cost_pence: int = 0
    num_pupils: int = 0
    cost_per_pupil_pence: int = 0
    vehicles_by_type: tuple[tuple[str, int], ...] = ()
    num_vehicles: int = 0
    num_assistants: int = 0
    num_pupils_over_45_min: int = 0
    num_pupils_over_75_min: int = 0
    mean_ride_min: float = 0.0
    max_ride_min: float = 0.0
    num_unassigned: int = 0
    estimated_annual_pence: int = 0
    num_budget_pupils: int = 0
    budget_annual_pence: int = 0
    solve_seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class VariantTable:
    """The baseline plan, today's arrangement (optionally) and each variant, in order."""

    scenario_name: str
    travel_model: str
    rows: tuple[VariantResult, ...]
    plans: Mapping[str, Plan] = field(default_factory=dict)

    def row(self, name: str) -> VariantResult:
        for r in self.rows:
            if r.name == name:
                return r
        msg = f"Unknown variant '{name}'."
        raise InvalidScenarioError(msg)


def variant_result(
    name: str,
    description: str,
    scenario: Scenario,
    plan: Plan,
    matrix: TravelMatrix,
    budgets: Sequence[PersonalBudget],
    solve_seconds: float,
) -> VariantResult:
    cost = plan_cost(scenario, plan, matrix=matrix)
    rides = ride_times_s(plan)
    minutes = [s / 60 for s in rides.values()]
    lo, hi = RIDE_THRESHOLDS_MIN
    budget_annual = sum(b.annual_pence for b in budgets)
    annual = cost.annual_pence + budget_annual
    num_pupils = cost.num_pupils + len(budgets)
    days = scenario.policy.school_days_per_year
    return VariantResult(
        name=name,
        description=description,
        annual_cost_pence=annual,
        day_cost_pence=cost.day_pence + round_pence(Fraction(budget_annual, days)),
        num_pupils=num_pupils,
        cost_per_pupil_pence=round_pence(Fraction(annual, num_pupils)) if num_pupils else 0,
        vehicles_by_type=tuple((t.vehicle_type, t.num_vehicles) for t in cost.by_vehicle_type),
        num_vehicles=cost.num_vehicles,
        num_assistants=cost.num_assistants,
        num_pupils_over_45_min=len({pid for (_, pid), s in rides.items() if s > lo * 60}),
        num_pupils_over_75_min=len({pid for (_, pid), s in rides.items() if s > hi * 60}),
        mean_ride_min=sum(minutes) / len(minutes) if minutes else 0.0,
        max_ride_min=max(minutes, default=0.0),
        num_unassigned=len({u.pupil_id for u in plan.unassigned}),
        estimated_annual_pence=cost.fallback_day_pence * days,
        num_budget_pupils=len(budgets),
        budget_annual_pence=budget_annual,
        solve_seconds=solve_seconds,
    )


def _as_plan(result: Plan | HasPlan) -> Plan:
    return result if isinstance(result, Plan) else result.plan


PlanOutcome = tuple["Plan | None", str, float]
"""A plan (or None), the error that stopped it ("" if none), the seconds it took."""


def plan_outcome(planner: Planner, scenario: Scenario, matrix: TravelMatrix) -> PlanOutcome:
    """Plan one scenario, a RoutingError caught as the outcome's error (run anywhere: in
    this process or on an executor's worker)."""
    t0 = time.perf_counter()
    try:
        plan = _as_plan(planner(scenario, matrix))
    except RoutingError as err:
        return None, str(err), time.perf_counter() - t0
    return plan, "", time.perf_counter() - t0


def _plan_all(
    planner: Planner,
    jobs: Sequence[tuple[str, str, Scenario, TravelMatrix, Sequence[PersonalBudget]]],
    executor: Executor | None,
    progress: Callable[[str], None] | None,
) -> list[PlanOutcome]:
    """Each job's outcome, in order: one after another, or all at once on ``executor``."""
    if executor is None:
        outcomes = []
        for name, description, variant_scenario, variant_matrix, _ in jobs:
            if progress is not None:
                progress(f"planning {name}: {description}")
            outcomes.append(plan_outcome(planner, variant_scenario, variant_matrix))
        return outcomes
    futures = []
    for name, description, variant_scenario, variant_matrix, _ in jobs:
        if progress is not None:
            progress(f"planning {name}: {description} (on {executor.kind})")
        futures.append(executor.submit(plan_outcome, planner, variant_scenario, variant_matrix))
    return [f.result() for f in futures]


def compare_variants(
    scenario: Scenario,
    matrix_builder: MatrixBuilder,
    planner: Planner,
    variants: Sequence[Variant | str],
    *,
    base_dir: Path | None = None,
    include_current: bool = True,
    allow_price_files: bool = True,
    progress: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> VariantTable:
    """Plan the baseline and each variant, and report them side by side.

    Parameters
    ----------
    scenario
        The baseline scenario.
    matrix_builder
        Builds a travel matrix for a scenario (called once for the baseline; again only
        for a variant whose locations the baseline's matrix lacks).
    planner
        Plans a scenario on a matrix (the pipeline's ``plan_scenario`` with its params);
        it may return a ``Plan`` or anything with a ``.plan``.
    variants
        Parsed variants or their ``NAME=OVERRIDES`` text.
    base_dir
        Folder for relative ``vehicle_prices`` paths.
    include_current
        Add today's arrangement (:func:`routing.baseline.current_plan`) as a row named
        ``current``, when the scenario has current routes.
    allow_price_files
        Accept ``vehicle_prices:PATH`` (see :func:`apply_variant`); a service passes
        False.
    progress
        Called with a line of text as each variant starts (with an executor: as each is
        handed to it).
    executor
        Plan the baseline and the variants at once on this executor
        (:mod:`routing.executor`; the planner must then be picklable, e.g.
        :func:`routing.pipeline.planner`); None: one after another in this process.

    Returns
    -------
    VariantTable
        Rows: ``current`` (if asked and known), ``baseline``, then the variants in order.
        A variant whose plan fails (no solution, a checker violation) gets a row with
        ``error`` set; the others are still reported.

    Raises
    ------
    InvalidScenarioError
        If a variant does not parse or does not apply (checked for all variants before
        any planning starts).
    """
    parsed = parse_variants([v if isinstance(v, str) else v.text for v in variants])
    changed = [
        (v, apply_variant(scenario, v, base_dir=base_dir, allow_price_files=allow_price_files))
        for v in parsed
    ]
    started = time.perf_counter()
    matrix = matrix_builder(scenario)
    logger.info("variants: matrix for %s in %.1f s", scenario.name, time.perf_counter() - started)
    rows: list[VariantResult] = []
    plans: dict[str, Plan] = {}
    if include_current and scenario.current_routes:
        today = current_plan(scenario, matrix)
        plans[CURRENT_NAME] = today
        rows.append(
            variant_result(CURRENT_NAME, "today's arrangement", scenario, today, matrix, (), 0.0)
        )
    todo: list[tuple[str, str, Scenario, tuple[str, ...]]] = [
        (BASELINE_NAME, "the scenario as it is", scenario, ())
    ]
    todo += [(v.name, describe_variant(v), s, v.budget_pupil_ids) for v, s in changed]
    jobs: list[tuple[str, str, Scenario, TravelMatrix, list[PersonalBudget]]] = []
    for name, description, variant_scenario, budget_ids in todo:
        locations = [pupil_location_id(p.pupil_id) for p in variant_scenario.pupils]
        locations += [school_location_id(s.school_id) for s in variant_scenario.schools]
        variant_matrix = (
            matrix if all(loc in matrix for loc in locations) else matrix_builder(variant_scenario)
        )
        budgets = personal_budgets(scenario, matrix, budget_ids)
        jobs.append((name, description, variant_scenario, variant_matrix, budgets))
    outcomes = _plan_all(planner, jobs, executor, progress)
    for (name, description, variant_scenario, variant_matrix, budgets), outcome in zip(
        jobs, outcomes, strict=True
    ):
        plan, error, seconds = outcome
        if plan is None:
            logger.warning("variant %s could not be planned: %s", name, error)
            rows.append(VariantResult(name=name, description=description, error=error))
            continue
        plans[name] = plan
        rows.append(
            variant_result(
                name, description, variant_scenario, plan, variant_matrix, budgets, seconds
            )
        )
    return VariantTable(
        scenario_name=scenario.name, travel_model=matrix.model, rows=tuple(rows), plans=plans
    )
