"""Iterations a second of the ruin-and-recreate search, one process, from scratch.

How fast ``routing.solver.fleet_search.solve_fleet`` runs on one problem: a Cordeau
instance (``--cordeau a7-70``) or one run of a scenario folder (``--scenario data/havering
--run AM``). Prints the iterations, the CPU seconds and the cost it reached, so a change to
the kernels can be compared with the code before it on the same problem and seed::

    .venv/bin/python scripts/search_rate.py --cordeau a7-70 --seconds 20
    .venv/bin/python scripts/search_rate.py --scenario data/havering --run AM --seconds 30

The numba kernels are compiled first (not timed). The search logs its iterations at INFO.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from routing.bench.cordeau import load_cordeau_problem  # noqa: E402
from routing.model import Run  # noqa: E402
from routing.problem import Problem, build_problem  # noqa: E402
from routing.solver.fleet_search import solve_fleet  # noqa: E402
from routing.solver.improve import routes_cost, warm_up  # noqa: E402
from routing.solver.space import IndexSpace  # noqa: E402


def _problem(args: argparse.Namespace) -> Problem:
    if args.cordeau:
        return load_cordeau_problem(ROOT / "data" / "bench" / "cordeau_a" / f"{args.cordeau}.txt")
    from routing.dataset import load_scenario
    from routing.pipeline import build_matrix, place_pickups

    source = Path(args.scenario)
    scenario = place_pickups(load_scenario(source), source)
    matrix, _ = build_matrix(scenario, source)
    problem, _ = build_problem(scenario, matrix, Run(args.run))
    return problem


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--cordeau", help="a Cordeau a-set instance, e.g. a7-70")
    where.add_argument("--scenario", help="a scenario folder, e.g. data/havering")
    ap.add_argument("--run", default="AM", choices=["AM", "PM"])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warm_up()
    space = IndexSpace(_problem(args))
    cpu = time.process_time()
    routes = solve_fleet(space, args.seconds, args.seed) or []
    print(
        f"{space.problem.name}: {len(space.requests)} requests, {len(routes)} routes, "
        f"objective {routes_cost(space, routes)}, {time.process_time() - cpu:.1f} CPU s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
