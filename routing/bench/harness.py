"""Run a solver on benchmark instances and compare with the best-known values.

``run_instance`` reads one file with the product's readers, solves the Problem (by default
with the product's own :func:`routing.solver.solve`), checks the plan with the product's
checker (:func:`routing.checks.check_problem_plan`) and, independently, against the file in
double precision (:func:`routing.bench.plans.verify_in_file_units`), and reports the
objective in the literature's units. ``run_cli`` is what ``schoolrun bench`` calls.
"""

from __future__ import annotations

import csv
import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from routing.bench.cordeau import read_cordeau
from routing.bench.instance import BenchInstance, to_problem
from routing.bench.plans import plan_distance, route_node_ids, verify_in_file_units
from routing.bench.solomon import read_solomon
from routing.errors import InvalidScenarioError
from routing.model import Plan, SolveParams
from routing.problem import Problem

logger = logging.getLogger(__name__)

SolverFn = Callable[[Problem, float, int], Plan]
FAMILIES = ("darp", "vrptw")
_BKS_FAMILY = {"darp": "cordeau", "vrptw": "solomon"}
# Objectives of the BKS table that our plans are compared with, in order of preference.
_BKS_OBJECTIVES = {"darp": ("darp_dist",), "vrptw": ("vrptw_dist_trunc1", "vrptw_hier_exact")}


@dataclass(frozen=True, slots=True)
class BestKnown:
    """A best-known value from the BKS table and what it measures."""

    value: float
    objective: str
    vehicles: int | None = None


@dataclass
class BenchResult:
    """One solve of one instance, in the literature's units.

    ``objective`` is the total distance in double precision; ``gap_pct`` compares it (or,
    for the ``vrptw_dist_trunc1`` convention, the same routes with arcs truncated to one
    decimal) with the best-known value. ``feasible`` is True only when the plan serves
    every request, the product's checker finds no violation and the file-units check
    agrees.
    """

    instance: str
    family: str
    solver: str
    seed: int
    time_limit_s: float
    objective: float
    vehicles: int
    feasible: bool
    complete: bool
    wall_s: float
    num_requests: int
    bks: float | None = None
    bks_objective: str = ""
    gap_pct: float | None = None
    violations: list[str] = field(default_factory=list)
    checker: str = "routing.checks"
    routes: list[list[int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_bks(path: Path) -> dict[tuple[str, str], list[BestKnown]]:
    """Read the best-known-values CSV: (family, lower-case instance) -> values.

    Columns: family, instance, objective, value, vehicles, source, note.
    """
    out: dict[tuple[str, str], list[BestKnown]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                value = float(row["value"])
            except (KeyError, ValueError):
                continue
            veh = row.get("vehicles") or ""
            key = (row["family"].strip().lower(), row["instance"].strip().lower())
            out.setdefault(key, []).append(
                BestKnown(value, row["objective"].strip(), int(veh) if veh.strip() else None)
            )
    return out


def find_bks(
    table: dict[tuple[str, str], list[BestKnown]], family: str, instance: str
) -> BestKnown | None:
    """The best-known value to compare a ``family`` ('darp'/'vrptw') instance with."""
    rows = table.get((_BKS_FAMILY[family], instance.lower()), [])
    for objective in _BKS_OBJECTIVES[family]:
        for row in rows:
            if row.objective == objective:
                return row
    return None


def read_instance(path: Path, family: str) -> BenchInstance:
    """Read a benchmark file of the given family ('darp' or 'vrptw')."""
    if family == "darp":
        return read_cordeau(path)
    if family == "vrptw":
        return read_solomon(path)
    msg = f"Benchmark family '{family}' is not one of {', '.join(FAMILIES)}."
    raise InvalidScenarioError(msg)


def product_solver(problem: Problem, time_limit_s: float, seed: int) -> Plan:
    """The product's solver: ``routing.solver.solve`` with the benchmark's limits."""
    return product_solver_with(workers=SolveParams().num_workers)(problem, time_limit_s, seed)


def product_solver_with(workers: int) -> SolverFn:
    """The product's solver running ``workers`` searches in parallel (seeds seed, seed+1...)."""

    def solve_it(problem: Problem, time_limit_s: float, seed: int) -> Plan:
        from routing.solver import solve

        params = SolveParams(time_limit_s=time_limit_s, seed=seed, num_workers=workers)
        return solve(problem, params)

    return solve_it


def check_with_product(problem: Problem, plan: Plan) -> tuple[list[str], str]:
    """The product checker's violations as text, and the checker's name."""
    try:
        from routing.checks import check_problem_plan
    except ImportError:
        return [], "file-units only (routing.checks.check_problem_plan not available)"
    return [str(getattr(v, "message", v)) for v in check_problem_plan(problem, plan)], (
        "routing.checks"
    )


def run_instance(
    path: Path,
    family: str,
    time_limit_s: float,
    seed: int = 0,
    *,
    solver: SolverFn | None = None,
    solver_name: str = "schoolrun",
    bks: dict[tuple[str, str], list[BestKnown]] | None = None,
) -> BenchResult:
    """Solve one benchmark file and report it in the literature's units.

    Parameters
    ----------
    path
        Instance file.
    family
        'darp' (Cordeau format) or 'vrptw' (Solomon format).
    time_limit_s
        The solver's wall-clock budget, seconds.
    seed
        Random seed handed to the solver.
    solver
        ``(problem, time_limit_s, seed) -> Plan``; default the product's solver.
    solver_name
        Label in the result.
    bks
        Best-known values (``read_bks``); None for no gap.

    Returns
    -------
    BenchResult
    """
    instance = read_instance(path, family)
    problem = to_problem(instance)
    fn = solver or product_solver
    t0 = time.perf_counter()
    plan = fn(problem, time_limit_s, seed)
    wall_s = time.perf_counter() - t0
    violations, checker = check_with_product(problem, plan)
    file_issues = verify_in_file_units(instance, problem, plan)
    violations += [f"file units: {msg}" for msg in file_issues]
    objective = plan_distance(instance, plan)
    best = find_bks(bks, family, instance.name) if bks else None
    gap = None
    if best is not None and plan.is_complete:
        ours = (
            plan_distance(instance, plan, truncate1=True)
            if best.objective == "vrptw_dist_trunc1"
            else objective
        )
        gap = 100.0 * (ours - best.value) / best.value
    return BenchResult(
        instance=instance.name,
        family=family,
        solver=solver_name,
        seed=seed,
        time_limit_s=time_limit_s,
        objective=round(objective, 4),
        vehicles=len(plan.routes),
        feasible=plan.is_complete and not violations,
        complete=plan.is_complete,
        wall_s=round(wall_s, 3),
        num_requests=instance.num_requests,
        bks=best.value if best else None,
        bks_objective=best.objective if best else "",
        gap_pct=None if gap is None else round(gap, 3),
        violations=violations,
        checker=checker,
        routes=[route_node_ids(instance, r) for r in plan.routes],
    )


def format_result(res: BenchResult) -> str:
    """One human-readable line per result."""
    gap = "" if res.gap_pct is None else f"  bks {res.bks:.2f}  gap {res.gap_pct:+.2f}%"
    status = "feasible" if res.feasible else f"INFEASIBLE ({len(res.violations)} violations)"
    return (
        f"{res.instance:<8} {res.solver:<10} obj {res.objective:10.2f}  veh {res.vehicles:>2}  "
        f"{status}  wall {res.wall_s:6.1f}s{gap}"
    )


def median(values: list[float]) -> float:
    """Median (the benchmark's summary over seeds)."""
    return float(statistics.median(values))


def run_cli(
    family: str,
    files: list[Path],
    time_limit_s: float,
    seed: int,
    bks: Path | None,
    as_json: bool,
    write: Callable[[str], None],
    *,
    solver: SolverFn | None = None,
    solver_name: str = "schoolrun",
    workers: int | None = None,
) -> int:
    """``schoolrun bench FAMILY FILE...``: solve each file, write one line each.

    Parameters
    ----------
    family
        'darp' or 'vrptw'.
    files
        Instance files.
    time_limit_s
        Budget per instance, seconds.
    seed
        Solver seed.
    bks
        Best-known values CSV (``../shared/bench/bks.csv``), or None.
    as_json
        Write one JSON object per line (with the routes as node ids as in the file).
    write
        Receives each output line.
    solver, solver_name
        Another solver to run (the reference script uses this).
    workers
        Parallel searches of the product's solver (default ``SolveParams().num_workers``).

    Returns
    -------
    int
        0 when every plan is feasible and complete, 1 otherwise, 2 on unreadable input.
    """
    if family not in FAMILIES:
        write(f"error: family '{family}' is not one of {', '.join(FAMILIES)}")
        return 2
    try:
        table = read_bks(bks) if bks else None
    except (OSError, KeyError) as err:
        write(f"error: cannot read the BKS file '{bks}': {err}")
        return 2
    if solver is None:
        from routing.solver.improve import warm_up

        solver = product_solver_with(workers or SolveParams().num_workers)
        warm_up()  # compile the ALNS before the first instance's clock starts
    ok = True
    for path in files:
        try:
            res = run_instance(
                path,
                family,
                time_limit_s,
                seed,
                solver=solver,
                solver_name=solver_name,
                bks=table,
            )
        except (OSError, InvalidScenarioError) as err:
            write(
                json.dumps({"instance": path.stem, "error": str(err)})
                if as_json
                else f"error: {err}"
            )
            ok = False
            continue
        ok = ok and res.feasible
        write(json.dumps(res.to_json()) if as_json else format_result(res))
    return 0 if ok else 1
