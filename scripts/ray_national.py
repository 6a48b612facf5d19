"""The national shape on paper: cluster size and wall time to plan England's transported
SEND pupils for one policy, from a per-pupil solve cost (docs/ray.md).

Each council is one sweep item (AM and PM). Total work = pupils x CPU-seconds per pupil;
a cluster of C CPUs needs at least total / C, and never less than the largest council's
own wall time (its parts on ``parts_cpus`` CPUs: 1 is a sweep item as ``schoolrun sweep``
runs it today, more when its parts fan out on the cluster too):

    python scripts/ray_national.py --cpu-s-per-pupil 0.60
"""

from __future__ import annotations

import argparse
import math


def wall_s(total_cpu_s: float, cpus: int, largest_cpu_s: float, parts_cpus: int) -> float:
    return max(total_cpu_s / cpus, largest_cpu_s / min(parts_cpus, cpus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=520_000)
    parser.add_argument("--councils", type=int, default=152)
    parser.add_argument("--largest", type=int, default=8_000, help="pupils, largest council")
    parser.add_argument("--cpu-s-per-pupil", type=float, default=0.60)
    parser.add_argument("--cpus", default="16,64,152,512")
    args = parser.parse_args()
    total = args.pupils * args.cpu_s_per_pupil
    largest = args.largest * args.cpu_s_per_pupil
    print(
        f"{args.pupils:,} pupils in {args.councils} councils (mean "
        f"{args.pupils / args.councils:,.0f}, largest {args.largest:,}), "
        f"{args.cpu_s_per_pupil:.2f} CPU-s a pupil: {total / 3600:,.1f} CPU-hours\n"
    )
    print("| CPUs | nodes of 16 | wall, councils one CPU each | wall, parts on up to 64 CPUs |")
    print("| --- | --- | --- | --- |")
    for cpus in (int(c) for c in args.cpus.split(",")):
        one = wall_s(total, cpus, largest, 1)
        many = wall_s(total, cpus, largest, 64)
        print(f"| {cpus} | {math.ceil(cpus / 16)} | {one / 60:,.0f} min | {many / 60:,.0f} min |")


if __name__ == "__main__":
    main()
