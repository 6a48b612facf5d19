"""SchoolRun's domain: plan SEND home-to-school transport (routes, times, costs).

The public API, as PyVRP's ``pyvrp/__init__.py`` offers its own::

    import routing

    scenario = routing.load_scenario(folder)
    result = routing.plan_folder(folder, routing.SolveParams(time_limit_s=60))
    assert not routing.check_plan(result.scenario, result.matrix, result.plan)

Names load on first use (PEP 562 ``__getattr__``), not when ``routing`` is imported:
each solver process the decomposer spawns imports this package before its part, and
an eager import of every room (pandas for the dataset, the road network, reports) would
add to every spawn what the part never uses. ``python -X importtime -c "import routing"``
shows the package itself costs nothing; a name costs its module's import once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.checks import Violation, ViolationKind, check_plan
    from routing.comparison import Comparison, compare
    from routing.costing import PlanCost, plan_cost, round_pence
    from routing.dataset import load_scenario, write_scenario
    from routing.eligibility import EligibilityDecision, assess_eligibility
    from routing.errors import (
        InfeasiblePlanError,
        InvalidScenarioError,
        NetworkUnavailableError,
        NoSolutionError,
        RoutingError,
        UnreachableLocationError,
    )
    from routing.matrix import TravelMatrix
    from routing.model import (
        CurrentRoute,
        IncompatiblePair,
        Needs,
        Plan,
        Policy,
        Pupil,
        Route,
        Run,
        Scenario,
        School,
        SolveParams,
        SolveProgress,
        Stop,
        Unassigned,
        UnassignedCode,
        VehicleType,
    )
    from routing.network import build_travel_matrix
    from routing.pipeline import (
        EligibilityResult,
        PlanResult,
        assess_source,
        build_matrix,
        compare_source_variants,
        plan_folder,
        plan_scenario,
        plan_source,
    )
    from routing.problem import Problem, build_problem
    from routing.solver import solve
    from routing.variants import VariantTable, compare_variants, parse_variant

_MODULE_OF: dict[str, str] = {
    # the domain model
    "CurrentRoute": "routing.model",
    "IncompatiblePair": "routing.model",
    "Needs": "routing.model",
    "Plan": "routing.model",
    "Policy": "routing.model",
    "Pupil": "routing.model",
    "Route": "routing.model",
    "Run": "routing.model",
    "Scenario": "routing.model",
    "School": "routing.model",
    "SolveParams": "routing.model",
    "SolveProgress": "routing.model",
    "Stop": "routing.model",
    "Unassigned": "routing.model",
    "UnassignedCode": "routing.model",
    "VehicleType": "routing.model",
    # errors
    "InfeasiblePlanError": "routing.errors",
    "InvalidScenarioError": "routing.errors",
    "NetworkUnavailableError": "routing.errors",
    "NoSolutionError": "routing.errors",
    "RoutingError": "routing.errors",
    "UnreachableLocationError": "routing.errors",
    # the steps, in the order of the data flow
    "load_scenario": "routing.dataset",
    "write_scenario": "routing.dataset",
    "TravelMatrix": "routing.matrix",
    "build_travel_matrix": "routing.network",
    "EligibilityDecision": "routing.eligibility",
    "assess_eligibility": "routing.eligibility",
    "Problem": "routing.problem",
    "build_problem": "routing.problem",
    "solve": "routing.solver",
    "Violation": "routing.checks",
    "ViolationKind": "routing.checks",
    "check_plan": "routing.checks",
    "PlanCost": "routing.costing",
    "plan_cost": "routing.costing",
    "round_pence": "routing.costing",
    "Comparison": "routing.comparison",
    "compare": "routing.comparison",
    "VariantTable": "routing.variants",
    "compare_variants": "routing.variants",
    "parse_variant": "routing.variants",
    # the pipeline both faces call
    "EligibilityResult": "routing.pipeline",
    "PlanResult": "routing.pipeline",
    "assess_source": "routing.pipeline",
    "build_matrix": "routing.pipeline",
    "compare_source_variants": "routing.pipeline",
    "plan_folder": "routing.pipeline",
    "plan_scenario": "routing.pipeline",
    "plan_source": "routing.pipeline",
}

__all__ = [
    "Comparison",
    "CurrentRoute",
    "EligibilityDecision",
    "EligibilityResult",
    "IncompatiblePair",
    "InfeasiblePlanError",
    "InvalidScenarioError",
    "Needs",
    "NetworkUnavailableError",
    "NoSolutionError",
    "Plan",
    "PlanCost",
    "PlanResult",
    "Policy",
    "Problem",
    "Pupil",
    "Route",
    "RoutingError",
    "Run",
    "Scenario",
    "School",
    "SolveParams",
    "SolveProgress",
    "Stop",
    "TravelMatrix",
    "Unassigned",
    "UnassignedCode",
    "UnreachableLocationError",
    "VariantTable",
    "VehicleType",
    "Violation",
    "ViolationKind",
    "assess_eligibility",
    "assess_source",
    "build_matrix",
    "build_problem",
    "build_travel_matrix",
    "check_plan",
    "compare",
    "compare_source_variants",
    "compare_variants",
    "load_scenario",
    "parse_variant",
    "plan_cost",
    "plan_folder",
    "plan_scenario",
    "plan_source",
    "round_pence",
    "solve",
    "write_scenario",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (see the module docstring)."""
    module = _MODULE_OF.get(name)
    if module is None:
        msg = f"module 'routing' has no attribute '{name}'"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
