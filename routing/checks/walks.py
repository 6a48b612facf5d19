"""Walks to collection points: each one allowed, to a known point, within the limit, and
not shorter than the straight line (a walk cannot beat it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from routing.checks.violations import DISTANCE_TOLERANCE_M, Violation, ViolationKind
from routing.matrix import great_circle_m
from routing.model import CollectionWalk, Run, Scenario


def check_walks(scenario: Scenario, walks: Sequence[CollectionWalk], run: Run) -> list[Violation]:
    """Every rule the plan's walks break (reported on ``run``, the first run checked).

    Parameters
    ----------
    scenario
        The scenario (pupils, collection points, ``collection_point_max_walk_m``).
    walks
        The plan's statement of who walks to which point and how far.
    run
        The run the violations are reported on (a walk serves both runs).

    Returns
    -------
    list[Violation]
        One per broken rule and pupil, ``kind`` :attr:`ViolationKind.WALK`.
    """
    pupils = scenario.pupils_by_id()
    points = scenario.collection_points_by_id()
    limit_m = scenario.policy.collection_point_max_walk_m
    out: list[Violation] = []

    def add(pupil_id: str, message: str) -> None:
        out.append(Violation(ViolationKind.WALK, run, "", pupil_id, message))

    counts = Counter(w.pupil_id for w in walks)
    for pid, count in sorted(counts.items()):
        if count > 1:
            add(pid, f"Pupil '{pid}' is said to walk to {count} collection points.")
    for walk in walks:
        pid = walk.pupil_id
        pupil, point = pupils.get(pid), points.get(walk.point_id)
        if pupil is None:
            add(pid, f"Pupil '{pid}' walks to a collection point but is not in the scenario.")
            continue
        if point is None:
            add(pid, f"Pupil '{pid}' walks to unknown collection point '{walk.point_id}'.")
            continue
        if not pupil.can_use_collection_point:
            add(pid, f"Pupil '{pid}' walks to '{walk.point_id}' but is not marked able to.")
        if walk.walk_m > limit_m:
            add(
                pid,
                f"Pupil '{pid}' walks {walk.walk_m} m to collection point '{walk.point_id}', "
                f"over the limit of {limit_m} m.",
            )
        straight_m = great_circle_m(pupil.lon, pupil.lat, point.lon, point.lat)
        if walk.walk_m + DISTANCE_TOLERANCE_M < straight_m:
            add(
                pid,
                f"Pupil '{pid}' is said to walk {walk.walk_m} m to collection point "
                f"'{walk.point_id}', less than the straight line ({straight_m:.0f} m).",
            )
    return out
