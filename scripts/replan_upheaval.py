"""Re-plan with the least upheaval, measured: 20 single changes to Havering (issue 11).

    PYTHONPATH=. .venv/bin/python scripts/replan_upheaval.py data/havering \
        --time-limit 30 --seed 11 --out out/replan_upheaval

Plans the scenario once (the plan in use), then draws 20 single changes with a fixed
seed: 5 new pupils (a copy of a pupil's needs and school, living at another pupil's
address moved by up to about 300 m), 5 leavers, 5 house moves within the borough (to
another pupil's address, moved the same way) and 5 need changes (a new wheelchair user,
a wheelchair-accessible vehicle, 90 s boarding). Each edited scenario is re-planned
against the plan in use (``routing.replan.replan``) and planned fresh
(``routing.pipeline.plan_scenario``, the same time limit per run); for both it counts
the OTHER pupils whose vehicle changed or whose home time moved by more than 5 minutes
(``routing.plan_diff.upheaval``) and the day cost (routes plus an estimated solo
journey per unassigned pupil). Writes ``upheaval.csv`` and ``upheaval.md`` to ``--out``
and prints the table, the machine load before and after, and the medians.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

from routing.costing import plan_cost
from routing.dataset import load_scenario
from routing.model import Pupil, Scenario, SolveParams, VehicleRequirement
from routing.pipeline import build_matrix, plan_scenario
from routing.plan_diff import upheaval
from routing.plan_file import read_plan, write_plan_json
from routing.replan import replan
from routing.reports import write_csv

JITTER_DEG = 0.003  # about 300 m of latitude, 200 m of longitude


@dataclass(frozen=True)
class Change:
    kind: str
    pupil_id: str
    scenario: Scenario


def _moved(pupil: Pupil, to: Pupil, rng: random.Random) -> Pupil:
    return replace(
        pupil,
        lon=to.lon + rng.uniform(-JITTER_DEG, JITTER_DEG),
        lat=to.lat + rng.uniform(-JITTER_DEG, JITTER_DEG),
        postcode="",
        sibling_group="",
    )


def _without(scenario: Scenario, pupil_id: str) -> Scenario:
    return replace(
        scenario,
        pupils=tuple(p for p in scenario.pupils if p.pupil_id != pupil_id),
        incompatible_pairs=tuple(
            x for x in scenario.incompatible_pairs if pupil_id not in (x.pupil_a, x.pupil_b)
        ),
        current_routes=tuple(
            replace(r, pupil_ids=tuple(p for p in r.pupil_ids if p != pupil_id))
            for r in scenario.current_routes
        ),
    )


def _with_pupil(scenario: Scenario, new: Pupil) -> Scenario:
    pupils = tuple(new if p.pupil_id == new.pupil_id else p for p in scenario.pupils)
    if new.pupil_id not in {p.pupil_id for p in scenario.pupils}:
        pupils += (new,)
    return replace(scenario, pupils=pupils)


def draw_changes(scenario: Scenario, seed: int, each: int = 5) -> list[Change]:
    """``each`` new pupils, leavers, house moves and need changes, drawn with ``seed``."""
    rng = random.Random(seed)
    pupils = list(scenario.pupils)
    lone = [p for p in pupils if not p.sibling_group]
    out: list[Change] = []
    for k in range(each):
        model, home = rng.sample(pupils, 2)
        new = _moved(replace(model, pupil_id=f"NEW{k + 1:02d}", first_name="New"), home, rng)
        out.append(Change("new pupil", new.pupil_id, _with_pupil(scenario, new)))
    for p in rng.sample(lone, each):
        out.append(Change("leaver", p.pupil_id, _without(scenario, p.pupil_id)))
    for p in rng.sample(lone, each):
        to = rng.choice(pupils)
        out.append(Change("house move", p.pupil_id, _with_pupil(scenario, _moved(p, to, rng))))
    walkers = [p for p in lone if not p.needs.wheelchair]
    for p in rng.sample(walkers, each):
        needs = replace(
            p.needs,
            wheelchair=True,
            vehicle_requirement=VehicleRequirement.WHEELCHAIR_ACCESSIBLE,
            boarding_s=max(90, p.needs.boarding_s),
        )
        out.append(
            Change(
                "new wheelchair user", p.pupil_id, _with_pupil(scenario, replace(p, needs=needs))
            )
        )
    return out


def _load() -> str:
    return Path("/proc/loadavg").read_text(encoding="utf-8").split(" ", 3)[0:3].__str__()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--each", type=int, default=5, help="changes of each kind")
    parser.add_argument("--out", type=Path, default=Path("out/replan_upheaval"))
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="plan.json of the plan in use (default: plan the scenario now)",
    )
    args = parser.parse_args()
    params = SolveParams(time_limit_s=args.time_limit, seed=0)
    base = load_scenario(args.scenario)
    print(f"load before: {_load()}", flush=True)
    matrix, _ = build_matrix(base, args.scenario)
    if args.previous is not None:
        previous = read_plan(args.previous)
    else:
        previous = plan_scenario(base, matrix, params).plan
    args.out.mkdir(parents=True, exist_ok=True)
    write_plan_json(previous, args.out / "previous_plan.json")
    print(
        f"plan in use: {len(previous.routes)} routes, {len(previous.unassigned)} pupil-runs "
        f"unassigned, {previous.cost_pence / 100:,.2f} a day",
        flush=True,
    )
    rows: list[dict[str, object]] = []
    for k, change in enumerate(draw_changes(base, args.seed, args.each), start=1):
        edited = change.scenario
        m2, _ = build_matrix(edited, args.scenario)
        t0 = time.perf_counter()
        re = replan(edited, m2, previous, params=params)
        replan_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fresh = plan_scenario(edited, m2, params).plan
        fresh_s = time.perf_counter() - t0
        # Day cost with each unassigned pupil's estimated solo journey (a fresh plan on a
        # busy machine can leave a part unsolved: its routes alone would look cheap).
        replan_cost = plan_cost(edited, re.plan, matrix=m2).day_pence
        fresh_cost = plan_cost(edited, fresh, matrix=m2).day_pence
        row = {
            "n": k,
            "change": change.kind,
            "pupil_id": change.pupil_id,
            "replan_others_upset": upheaval(previous, re.plan, exclude=[change.pupil_id]),
            "fresh_others_upset": upheaval(previous, fresh, exclude=[change.pupil_id]),
            "replan_cost_pence": replan_cost,
            "fresh_cost_pence": fresh_cost,
            "replan_vs_fresh_pct": round(100 * (replan_cost / fresh_cost - 1), 2),
            "replan_unassigned": len(re.plan.unassigned),
            "fresh_unassigned": len(fresh.unassigned),
            "replan_s": round(replan_s, 1),
            "fresh_s": round(fresh_s, 1),
        }
        rows.append(row)
        print(row, flush=True)
    columns = list(rows[0])
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "upheaval.csv", columns, rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]

    def col(name: str) -> list[float]:
        return [float(str(r[name])) for r in rows]

    summary = [
        f"previous plan: {previous.cost_pence / 100:,.2f} a day, {len(previous.routes)} routes, "
        f"{len(previous.unassigned)} pupil-runs unassigned",
        f"re-plan: others upset median {statistics.median(col('replan_others_upset'))}, "
        f"worst {max(col('replan_others_upset')):.0f}; cost vs fresh median "
        f"{statistics.median(col('replan_vs_fresh_pct')):+.2f}%, worst "
        f"{max(col('replan_vs_fresh_pct')):+.2f}%; time median "
        f"{statistics.median(col('replan_s')):.1f} s, worst {max(col('replan_s')):.1f} s",
        f"fresh plan: others upset median {statistics.median(col('fresh_others_upset'))}, "
        f"worst {max(col('fresh_others_upset')):.0f}; time median "
        f"{statistics.median(col('fresh_s')):.1f} s",
        f"load after: {_load()}",
    ]
    (args.out / "upheaval.md").write_text(
        "\n".join([*lines, "", *summary]) + "\n", encoding="utf-8"
    )
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
