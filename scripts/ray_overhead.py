"""Overhead of Ray on one machine: Havering ``compare`` with 6 variants, local pool vs Ray.

Runs ``schoolrun compare data/havering --variant x6 --time-limit S --executor K`` for
K = local and K = ray, interleaved (A B B A ...), each a fresh process (Ray's start-up
counted), and prints wall times, the Ray / local ratio per pair and the load average:

    python scripts/ray_overhead.py --time-limit 10 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = (
    "ride60=ride_limit_primary_min=60,ride_limit_secondary_min=90",
    "ride40=ride_limit_primary_min=40,ride_limit_secondary_min=60",
    "nomix=mixed_schools=false",
    "pa70=assistant_day_gbp=70",
    "ride90=ride_limit_primary_min=90,ride_limit_secondary_min=120",
    "cheap=price_factor=0.9",
)


def run(kind: str, time_limit: float, out: Path) -> float:
    cmd = [sys.executable, "-m", "routing.cli", "compare", "data/havering"]
    for v in VARIANTS:
        cmd += ["--variant", v]
    cmd += ["--time-limit", str(time_limit), "--executor", kind, "--out", str(out / kind)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/ray_overhead"))
    args = parser.parse_args()
    ratios = []
    for rep in range(args.repeats):
        order = ("local", "ray") if rep % 2 == 0 else ("ray", "local")
        walls = {}
        for kind in order:
            load = os.getloadavg()[0]
            walls[kind] = run(kind, args.time_limit, args.out)
            print(f"repeat {rep + 1} {kind:5s}: {walls[kind]:6.1f} s (load before {load:.2f})")
        ratios.append(walls["ray"] / walls["local"])
        print(f"repeat {rep + 1} ratio ray/local: {ratios[-1]:.3f}")
    print(f"ratios: {', '.join(f'{r:.3f}' for r in ratios)}")


if __name__ == "__main__":
    main()
