"""Check ``schoolrun modes``' "place on the route" savings against re-planning.

For a seeded sample of routed pupils, each run's route is re-planned by the solver twice
from scratch: with its pupils, and without the sampled pupil. The difference is the
re-planned saving; ``routing.modes`` removes the pupil and re-times the route in its
planned order instead. Reports, per pupil, both day savings and their relative
disagreement (against the re-planned saving, floored at £1 a day so a pence-sized
mileage saving does not swamp the median), and the median over the sample.

    python scripts/modes_vs_replan.py data/havering --plan out/havering --sample 20
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from routing.dataset import load_scenario
from routing.matrix import TravelMatrix
from routing.model import Run, Scenario, SolveParams
from routing.modes import price_modes
from routing.network import build_travel_matrix
from routing.plan_file import read_plan
from routing.problem import build_problem
from routing.solver import solve

FLOOR_PENCE = 100


@dataclass(frozen=True)
class Agreement:
    pupil_id: str
    modes_day_pence: int
    replan_day_pence: int

    @property
    def relative(self) -> float:
        base = max(abs(self.replan_day_pence), FLOOR_PENCE)
        return abs(self.modes_day_pence - self.replan_day_pence) / base


def _replan_cost(
    pupil_ids: list[str], scenario: Scenario, matrix: TravelMatrix, run: Run, limit_s: float
) -> int:
    scenario_pupils = pupil_ids
    if not scenario_pupils:
        return 0
    problem, unassigned = build_problem(scenario, matrix, run, pupil_ids=scenario_pupils)
    plan = solve(problem, SolveParams(time_limit_s=limit_s, num_workers=1))
    if unassigned or plan.unassigned:
        msg = f"re-planning {len(scenario_pupils)} pupils left some unassigned"
        raise RuntimeError(msg)
    return sum(r.cost_pence for r in plan.routes)


def compare(
    scenario_dir: Path, plan_dir: Path, sample: int, seed: int, limit_s: float
) -> list[Agreement]:
    """Sampled pupils' day saving by ``modes`` and by re-planning their routes."""
    scenario = load_scenario(scenario_dir)
    matrix = build_travel_matrix(scenario, scenario_dir)
    plan = read_plan(plan_dir)
    report = price_modes(scenario, matrix, plan, with_switches=False)
    days = scenario.policy.school_days_per_year
    routed = sorted(r.pupil_id for r in report.pupils if r.route_place_annual_pence is not None)
    chosen = random.Random(seed).sample(routed, min(sample, len(routed)))
    by_id = {r.pupil_id: r for r in report.pupils}
    out = []
    for pid in chosen:
        replan = 0
        for route in plan.routes:
            members = list(route.pupil_ids())
            if pid not in members:
                continue
            with_all = _replan_cost(members, scenario, matrix, route.run, limit_s)
            others = [p for p in members if p != pid]
            replan += with_all - _replan_cost(others, scenario, matrix, route.run, limit_s)
        place = by_id[pid].route_place_annual_pence or 0
        out.append(Agreement(pid, round(place / days), replan))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds per re-plan")
    args = parser.parse_args(argv)
    rows = compare(args.scenario, args.plan, args.sample, args.seed, args.time_limit)
    print(f"{'pupil':<8} {'modes £/day':>12} {'re-plan £/day':>14} {'disagreement':>13}")
    for a in rows:
        print(
            f"{a.pupil_id:<8} {a.modes_day_pence / 100:>12.2f} "
            f"{a.replan_day_pence / 100:>14.2f} {a.relative:>12.1%}"
        )
    median = statistics.median(a.relative for a in rows) if rows else 0.0
    print(f"\nMedian disagreement over {len(rows)} pupils: {median:.1%} (target <= 10%)")
    return 0 if median <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
