"""Simulated scale-out of ``schoolrun sweep`` on Ray: 1 node vs 2 nodes of 1 CPU each.

Twelve small scenarios (Havering's schools in twelve groups, about 67 pupils each,
written as folders, current routes left out) x three variants (baseline, ride60,
no mixed-school routes) = 36 items, each a fixed amount of work (``solution_limit``, so
the wall time measures CPUs, not a clock), on a ``ray.cluster_utils.Cluster`` of one
and then two nodes, interleaved ``--repeats`` times. Writes each run's ``sweep.csv`` and
``sweep.png`` (with the per-item timeline) under ``--out`` and prints the table of
docs/ray.md.

    python scripts/ray_scaleout.py --out out/scaleout --repeats 3 --solution-limit 40
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

from routing.dataset import load_scenario, write_scenario
from routing.executor import LOCAL_RAY_SYSTEM_CONFIG
from routing.sweep import read_manifest, run_sweep, write_sweep_outputs

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = (
    ("ride60", "ride_limit_primary_min=60,ride_limit_secondary_min=90"),
    ("nomix", "mixed_schools=false"),
)


def build_scenarios(out: Path, num: int = 12) -> list[Path]:
    """Havering's schools (sorted by id) dealt into ``num`` groups, one folder each."""
    havering = load_scenario(ROOT / "data" / "havering")
    schools = sorted(havering.schools, key=lambda s: s.school_id)
    folders = []
    for k in range(num):
        keep = {s.school_id for s in schools[k::num]}
        pupils = tuple(p for p in havering.pupils if p.school_id in keep)
        ids = {p.pupil_id for p in pupils}
        part = replace(
            havering,
            name=f"havering-{k + 1:02d}",
            schools=tuple(s for s in havering.schools if s.school_id in keep),
            pupils=pupils,
            incompatible_pairs=tuple(
                c for c in havering.incompatible_pairs if {c.pupil_a, c.pupil_b} <= ids
            ),
            current_routes=(),
        )
        folder = out / "scenarios" / part.name
        write_scenario(part, folder)
        folders.append(folder)
    return folders


def write_manifest(out: Path, folders: list[Path], solution_limit: int) -> Path:
    lines = [
        "time_limit_s = 120",
        'runs = "AM"',
        f"solution_limit = {solution_limit}",
        "scenarios = [" + ", ".join(f'"{f}"' for f in folders) + "]",
    ]
    for name, overrides in VARIANTS:
        lines += ["[[variant]]", f'name = "{name}"', f'overrides = "{overrides}"']
    path = out / "sweep.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_on_cluster(manifest: Path, num_nodes: int, out: Path) -> float:
    """Wall seconds of the whole sweep on a fresh cluster of ``num_nodes`` x 1 CPU."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "include_dashboard": False,
            "_system_config": LOCAL_RAY_SYSTEM_CONFIG,
        },
    )
    for _ in range(num_nodes - 1):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        started = time.perf_counter()
        rows = run_sweep(read_manifest(manifest).items, "ray")
        wall = time.perf_counter() - started
        write_sweep_outputs(rows, out)
        errors = [r.error for r in rows if r.error]
        assert not errors, errors[:1]
        print(f"  {num_nodes} node(s): {wall:.1f} s, {len({r.node for r in rows})} workers")
        return wall
    finally:
        ray.shutdown()
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/scaleout"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--solution-limit", type=int, default=40)
    args = parser.parse_args()
    manifest = write_manifest(args.out, build_scenarios(args.out), args.solution_limit)
    walls: dict[int, list[float]] = {1: [], 2: []}
    for rep in range(args.repeats):
        for n in (1, 2) if rep % 2 == 0 else (2, 1):
            print(f"repeat {rep + 1}, load {os.getloadavg()[0]:.2f}")
            walls[n].append(run_on_cluster(manifest, n, args.out / f"run{rep + 1}-{n}node"))
    print("\n| nodes x CPU | wall (s), each repeat | best |")
    print("| --- | --- | --- |")
    for n, times in walls.items():
        print(f"| {n} x 1 | {', '.join(f'{t:.1f}' for t in times)} | {min(times):.1f} |")
    pairs = [a / b for a, b in zip(walls[1], walls[2], strict=True)]
    print(f"\nspeed-up 1 -> 2 nodes per repeat: {', '.join(f'{p:.2f}' for p in pairs)}")


if __name__ == "__main__":
    main()
