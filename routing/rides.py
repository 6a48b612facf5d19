"""Ride times: how long each pupil is on board, and their statistics over a plan.

A ride is the drop-off's service start minus the pickup's departure. Plain data over a
``Plan``; it imports only the domain model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.model import Plan, Run, Scenario, StopKind

RIDE_THRESHOLDS_MIN = (45, 75)
"""The councils' ride-time benchmarks reported by :func:`ride_stats` (primary, secondary)."""


@dataclass(frozen=True, slots=True)
class RideStats:
    """Ride times (drop-off service start - pickup departure), in minutes.

    ``run`` None means both runs together; ``by_run`` holds each run's own stats (empty
    inside a per-run entry). ``num_over_own_limit`` counts rides over the pupil's own
    limit (``policy.max_ride_s_for``). ``p95_min`` is numpy's linear-interpolation
    95th percentile.
    """

    run: Run | None
    num_rides: int
    mean_min: float
    p95_min: float
    max_min: float
    num_over_45_min: int
    num_over_75_min: int
    num_over_own_limit: int
    by_run: tuple[RideStats, ...] = ()


def ride_times_s(plan: Plan) -> dict[tuple[Run, str], int]:
    """Each pupil's ride in seconds on each run (pupils without both stops are skipped)."""
    out: dict[tuple[Run, str], int] = {}
    for route in plan.routes:
        departed: dict[str, int] = {}
        for stop in route.stops:
            for pid in stop.pupil_ids:
                if stop.kind is StopKind.PICKUP:
                    departed.setdefault(pid, stop.departure_s)
                elif pid in departed:
                    out.setdefault((route.run, pid), stop.service_start_s - departed[pid])
    return out


def count_rides_over(plan: Plan, minutes: int = RIDE_THRESHOLDS_MIN[0]) -> int:
    """How many of the plan's rides are over ``minutes`` (a progress figure, no scenario)."""
    return sum(1 for s in ride_times_s(plan).values() if s > minutes * 60)


def _stats(run: Run | None, rides: list[tuple[str, int]], scenario: Scenario) -> RideStats:
    pupils = scenario.pupils_by_id()
    seconds = np.asarray([s for _, s in rides], dtype=np.float64)
    over_own = sum(
        1 for pid, s in rides if pid in pupils and s > scenario.policy.max_ride_s_for(pupils[pid])
    )
    if seconds.size == 0:
        return RideStats(run, 0, 0.0, 0.0, 0.0, 0, 0, 0)
    lo, hi = RIDE_THRESHOLDS_MIN
    return RideStats(
        run=run,
        num_rides=int(seconds.size),
        mean_min=float(seconds.mean() / 60),
        p95_min=float(np.percentile(seconds, 95) / 60),
        max_min=float(seconds.max() / 60),
        num_over_45_min=int((seconds > lo * 60).sum()),
        num_over_75_min=int((seconds > hi * 60).sum()),
        num_over_own_limit=over_own,
    )


def ride_stats(scenario: Scenario, plan: Plan) -> RideStats:
    """Mean, 95th percentile and longest ride, and rides over 45 and 75 minutes.

    Parameters
    ----------
    scenario
        The scenario (for each pupil's own ride limit).
    plan
        The plan whose rides are measured.

    Returns
    -------
    RideStats
        Both runs together, with each run's stats in ``by_run`` (AM then PM, only runs
        the plan has rides in).
    """
    rides = ride_times_s(plan)
    per_run = []
    for run in Run:
        these = [(pid, s) for (r, pid), s in rides.items() if r is run]
        if these:
            per_run.append(_stats(run, these, scenario))
    overall = _stats(None, [(pid, s) for (_, pid), s in rides.items()], scenario)
    return RideStats(
        run=None,
        num_rides=overall.num_rides,
        mean_min=overall.mean_min,
        p95_min=overall.p95_min,
        max_min=overall.max_min,
        num_over_45_min=overall.num_over_45_min,
        num_over_75_min=overall.num_over_75_min,
        num_over_own_limit=overall.num_over_own_limit,
        by_run=tuple(per_run),
    )
