"""The Havering default planned by SchoolRun and by plain OR-Tools at the same time limit.

Issue 3 asks that the solver's improvements carry over to the pupils: the day cost of the
Havering plan at 60 s and 300 s against plain OR-Tools at the same limits.

- ``schoolrun``: the product (``routing.pipeline.plan_scenario``): warm start, the run
  split into parts solved on both cores, repair and right-sizing;
- ``ortools-parallel`` / ``ortools-local``: plain OR-Tools as the issue set it up
  (first solution parallel or local cheapest insertion, guided local search, one
  process), on the product's OR-Tools model of every rule (``routing.solver.solve`` with
  ``warm_start=False``), one model per run, no decomposition. The model's own repair and
  right-sizing passes still run, so this baseline is if anything kinder than plain.

Every plan goes through the independent checker; pupils a plan leaves out are priced as
estimated solo journeys (``routing.costing.plan_cost``), so a plan cannot look cheaper by
leaving pupils out. The time limit is per run (AM and PM each), as in ``make demo``.

Usage::

    .venv/bin/python scripts/havering_vs_ortools.py --solver schoolrun --time-limit 60 \\
        [--repeat 3] [--jsonl out/bench/havering.jsonl]
    .venv/bin/python scripts/havering_vs_ortools.py --render out/bench/havering.jsonl \\
        [--out docs/benchmarks-havering.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from routing.checks import check_plan  # noqa: E402
from routing.costing import plan_cost  # noqa: E402
from routing.dataset import load_scenario  # noqa: E402
from routing.decompose import merge_plans  # noqa: E402
from routing.matrix import TravelMatrix  # noqa: E402
from routing.model import Plan, Run, Scenario, SolveParams  # noqa: E402
from routing.network import build_travel_matrix  # noqa: E402
from routing.pipeline import plan_scenario  # noqa: E402
from routing.problem import build_problem  # noqa: E402
from routing.rides import ride_stats  # noqa: E402
from routing.solver import solve  # noqa: E402
from routing.summary import format_gbp  # noqa: E402

SOLVERS = ("schoolrun", "ortools-parallel", "ortools-local")
FIRST = {
    "ortools-parallel": "PARALLEL_CHEAPEST_INSERTION",
    "ortools-local": "LOCAL_CHEAPEST_INSERTION",
}


def plain_ortools(
    scenario: Scenario, matrix: TravelMatrix, time_limit_s: float, first_solution: str
) -> Plan:
    """Both runs, each as one OR-Tools model with the issue's plain settings."""
    plans: list[Plan] = []
    for run in (Run.AM, Run.PM):
        problem, pre_unassigned = build_problem(scenario, matrix, run)
        params = SolveParams(
            time_limit_s=time_limit_s, first_solution=first_solution, num_workers=1
        )
        part = solve(problem, params, warm_start=False)
        plans.append(
            merge_plans(
                scenario.name,
                run,
                [part],
                pre_unassigned,
                travel_model=matrix.model,
                notes=problem.notes,
            )
        )
    return Plan(
        scenario_name=scenario.name,
        routes=plans[0].routes + plans[1].routes,
        unassigned=plans[0].unassigned + plans[1].unassigned,
        travel_model=matrix.model,
        solve_seconds=sum(p.solve_seconds for p in plans),
        objective=sum(p.objective for p in plans),
    )


def run_once(
    solver: str, scenario: Scenario, matrix: TravelMatrix, time_limit_s: float, seed: int
) -> dict[str, object]:
    """Plan Havering once with one solver; the checked, priced result as a JSON row."""
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    if solver == "schoolrun":
        plan = plan_scenario(
            scenario, matrix, SolveParams(time_limit_s=time_limit_s, seed=seed)
        ).plan
    else:
        plan = plain_ortools(scenario, matrix, time_limit_s, FIRST[solver])
    wall = time.perf_counter() - t0
    violations = check_plan(scenario, matrix, plan)
    cost = plan_cost(scenario, plan, matrix=matrix)
    rides = ride_stats(scenario, plan)
    return {
        "solver": solver,
        "time_limit_s": time_limit_s,
        "seed": seed,
        "wall_s": round(wall, 1),
        "violations": len(violations),
        "day_pence": cost.day_pence,
        "routes_day_pence": cost.routes_day_pence,
        "fallback_day_pence": cost.fallback_day_pence,
        "fallback_pupils": cost.num_fallback_pupils,
        "unassigned_rides": len(plan.unassigned),
        "routes": len(plan.routes),
        "vehicles": cost.num_vehicles,
        "mean_ride_min": round(rides.mean_min, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def render(rows: list[dict[str, object]], note: str = "") -> str:
    """The markdown table: medians per solver and time limit, then ``note``."""
    limits = sorted({float(str(r["time_limit_s"])) for r in rows})
    out = [
        "# Havering default: SchoolRun against plain OR-Tools",
        "",
        "Day cost of the whole Havering default (802 synthetic pupils, 35 schools, AM and PM, "
        "approximate travel model) at the same time limit per run. Pupils a plan leaves out "
        "are priced as estimated solo journeys, so leaving pupils out never looks cheap. "
        "Every plan was checked by `routing.checks.check_plan`. Median over the repeats "
        "shown (`n`); wall is the whole plan (AM + PM).",
        "",
        "- schoolrun: the product (`routing.pipeline.plan_scenario`): warm start, each run "
        "split into parts solved on both cores, repair and right-sizing.",
        "- ortools-parallel / ortools-local: plain OR-Tools as the issue set it up (parallel "
        "or local cheapest insertion, guided local search, one process, one model per run, "
        "no warm start, no split) on the product's OR-Tools model of every rule "
        "(`routing.solver.solve(..., warm_start=False)`); that model's repair and "
        "right-sizing passes still run, so this baseline is if anything kinder than plain.",
        "",
        "| limit per run | solver | n | day cost | of which solo estimates | pupil-runs left out "
        "| routes | mean ride (min) | violations | wall (s) | vs plain OR-Tools (best) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for limit in limits:
        cells: dict[str, list[dict[str, object]]] = {}
        for r in rows:
            if float(str(r["time_limit_s"])) == limit:
                cells.setdefault(str(r["solver"]), []).append(r)

        def med(rs: list[dict[str, object]], key: str) -> float:
            return float(statistics.median(float(str(r[key])) for r in rs))

        plain = [med(cells[s], "day_pence") for s in SOLVERS[1:] if s in cells]
        best_plain = min(plain) if plain else None
        for solver in SOLVERS:
            rs = cells.get(solver)
            if not rs:
                continue
            day = med(rs, "day_pence")
            vs = "" if best_plain is None else f"{100 * (day - best_plain) / best_plain:+.1f}%"
            out.append(
                f"| {limit:g} s | {solver} | {len(rs)} | {format_gbp(int(day))} "
                f"| {format_gbp(int(med(rs, 'fallback_day_pence')))} "
                f"| {med(rs, 'unassigned_rides'):g} | {med(rs, 'routes'):g} "
                f"| {med(rs, 'mean_ride_min'):.1f} | {max(int(str(r['violations'])) for r in rs)} "
                f"| {med(rs, 'wall_s'):.0f} | {vs} |"
            )
    if note:
        out += ["", note]
    loads = [float(str(r["load_before"])) for r in rows] + [
        float(str(r["load_after"])) for r in rows
    ]
    out += [
        "",
        f"Load average (1 min) seen at the start and end of the runs: {min(loads):.1f} to "
        f"{max(loads):.1f} on 2 cores. SchoolRun solves the parts of a run on both cores; "
        "plain OR-Tools is one process, as the issue set it up.",
        "",
        "Reproduce (each line appends to the JSONL; the last renders this page):",
        "",
        "```",
        "H='.venv/bin/python scripts/havering_vs_ortools.py'",
        "$H --solver schoolrun --time-limit 60 --repeat 3",
        "$H --solver ortools-local --time-limit 60",
        "$H --solver ortools-parallel --time-limit 60",
        "# ... the same three at --time-limit 300",
        "$H --render out/bench/havering.jsonl  # this page: docs/benchmarks-data/havering.jsonl",
        "```",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run one solver on Havering (appending JSON rows), or render recorded rows."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solver", choices=SOLVERS, default="schoolrun")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per run")
    ap.add_argument("--repeat", type=int, default=1, help="runs (seeds 0, 1, ...)")
    ap.add_argument("--scenario", type=Path, default=ROOT / "data" / "havering")
    ap.add_argument("--jsonl", type=Path, default=ROOT / "out" / "bench" / "havering.jsonl")
    ap.add_argument("--render", type=Path, nargs="*", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-havering.md")
    ap.add_argument("--note", default="", help="what the table shows (markdown, for --render)")
    args = ap.parse_args(argv)
    if args.render is not None:
        rows = [json.loads(x) for p in args.render for x in p.read_text().splitlines() if x]
        args.out.write_text(render(rows, args.note))
        print(f"wrote {args.out}")
        return 0
    scenario = load_scenario(args.scenario)
    matrix = build_travel_matrix(scenario, args.scenario)
    args.jsonl.parent.mkdir(parents=True, exist_ok=True)
    for seed in range(args.repeat):
        row = run_once(args.solver, scenario, matrix, args.time_limit, seed)
        print(json.dumps(row), flush=True)
        with args.jsonl.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
