"""Collection points: which pupils walk to a point to be picked up, decided before solving.

A pupil is moved from their home to a collection point only when

- an officer marked them able (``Pupil.can_use_collection_point``) and their needs allow a
  shared kerbside stop: no wheelchair (the lift is used at the door), not travelling
  alone, no particular vehicle, no sibling group (siblings keep their shared home stop);
- the walk from home to the point is within ``Policy.collection_point_max_walk_m``,
  measured on the scenario's footpath network where it has one (``[network] walk_graph``)
  and otherwise estimated as the straight line x :data:`WALK_CIRCUITY_FACTOR` (labelled);
- the point is no further from the pupil's school than their home is (straight lines):
  the walk never takes a pupil away from school, so it cannot lengthen their ride;
- the point gathers at least ``Policy.collection_point_min_pupils`` such pupils of the
  same school and the same need of a passenger assistant (pupils who can share one
  request, so the vehicle makes one stop where it made several, without spreading an
  assistant to pupils who do not need one).

Points are chosen greedily per school and assistant need: the point that gathers the most
of the remaining pupils (shortest total walk on a tie), then the next, until no point
gathers enough. Everyone else is picked up at home. The decision is :class:`CollectionWalk` rows
on the scenario (``Scenario.walks``), which the problem builder reads and the plan states.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from routing.eligibility import WALK_CIRCUITY_FACTOR
from routing.matrix import great_circle_m
from routing.model import (
    CollectionWalk,
    Pupil,
    Scenario,
    VehicleRequirement,
)
from routing.network import load_walk_graph, resolve_graph_path, walk_distances_m

logger = logging.getLogger(__name__)

ESTIMATED_WALK_WORDS = (
    "Walks to collection points are ESTIMATED: the scenario has no footpath network, so "
    f"each is the straight-line distance x {WALK_CIRCUITY_FACTOR:g}."
)


@dataclass(frozen=True, slots=True)
class WalkDistances:
    """Walking metres from able pupils' homes to the points within reach, and how measured."""

    metres: Mapping[tuple[str, str], int]  # (pupil_id, point_id) -> metres, within the limit
    is_estimated: bool
    method: str


def can_move(pupil: Pupil) -> bool:
    """Whether this pupil may be picked up at a collection point at all (see module)."""
    needs = pupil.needs
    return (
        pupil.can_use_collection_point
        and not needs.wheelchair
        and not needs.travel_alone
        and needs.vehicle_requirement is VehicleRequirement.NONE
        and not pupil.sibling_group
    )


def measure_walks(scenario: Scenario, source_dir: Path | None) -> WalkDistances:
    """Walking distances from each movable pupil's home to each point within the limit.

    Parameters
    ----------
    scenario
        The scenario (its collection points, pupils and walk limit).
    source_dir
        Its folder, where a relative ``walk_graph`` is found; None: walks are estimated.

    Returns
    -------
    WalkDistances
        Only pairs within ``collection_point_max_walk_m`` (a walk is never shorter than
        the straight line, so pairs further apart than the limit are never measured) whose
        point is no further from the pupil's school than their home.
    """
    limit_m = scenario.policy.collection_point_max_walk_m
    pupils = [p for p in scenario.pupils if can_move(p)]
    points = list(scenario.collection_points)
    schools = scenario.schools_by_id()
    near: list[tuple[int, int, float]] = []
    for i, pupil in enumerate(pupils):
        school = schools[pupil.school_id]
        home_to_school = great_circle_m(pupil.lon, pupil.lat, school.lon, school.lat)
        for j, point in enumerate(points):
            straight = great_circle_m(pupil.lon, pupil.lat, point.lon, point.lat)
            towards = great_circle_m(point.lon, point.lat, school.lon, school.lat)
            if straight <= limit_m and towards <= home_to_school:
                near.append((i, j, straight))
    if not scenario.network.walk_graph:
        estimated = {
            (pupils[i].pupil_id, points[j].point_id): round(straight * WALK_CIRCUITY_FACTOR)
            for i, j, straight in near
        }
        return WalkDistances(
            {k: v for k, v in estimated.items() if v <= limit_m}, True, ESTIMATED_WALK_WORDS
        )
    graph_path = resolve_graph_path(scenario.network.walk_graph, source_dir)
    graph = load_walk_graph(graph_path)
    rows = sorted({i for i, _, _ in near})
    cols = sorted({j for _, j, _ in near})
    metres = walk_distances_m(
        graph,
        [(pupils[i].lon, pupils[i].lat) for i in rows],
        [(points[j].lon, points[j].lat) for j in cols],
    )
    row_of = {i: r for r, i in enumerate(rows)}
    col_of = {j: c for c, j in enumerate(cols)}
    measured: dict[tuple[str, str], int] = {}
    for i, j, _ in near:
        value = float(metres[row_of[i], col_of[j]])
        if math.isfinite(value) and round(value) <= limit_m:
            measured[(pupils[i].pupil_id, points[j].point_id)] = round(value)
    return WalkDistances(
        measured,
        False,
        f"Walks to collection points measured on the footpath network {graph_path.name}.",
    )


def choose_points(scenario: Scenario, distances: WalkDistances) -> tuple[CollectionWalk, ...]:
    """The greedy choice of points per school and assistant need (see the module), as walks.

    Parameters
    ----------
    scenario
        The scenario (pupils, points, ``collection_point_min_pupils``).
    distances
        From :func:`measure_walks`: the pairs within the walk limit.

    Returns
    -------
    tuple of CollectionWalk
        One per moved pupil, in the scenario's pupil order.
    """
    policy = scenario.policy
    if policy.collection_point_max_walk_m <= 0 or not scenario.collection_points:
        return ()
    reach: dict[str, dict[str, int]] = {}  # pupil -> point -> metres
    for (pid, point_id), metres in distances.metres.items():
        reach.setdefault(pid, {})[point_id] = metres
    by_school: dict[tuple[str, bool], list[str]] = {}
    for pupil in scenario.pupils:
        if pupil.pupil_id in reach and can_move(pupil):
            key = (pupil.school_id, pupil.needs.needs_assistant)
            by_school.setdefault(key, []).append(pupil.pupil_id)
    chosen: dict[str, tuple[str, int]] = {}
    order = [c.point_id for c in scenario.collection_points]
    for pupil_ids in by_school.values():
        chosen.update(_greedy(pupil_ids, reach, order, policy.collection_point_min_pupils))
    return tuple(
        CollectionWalk(pid, chosen[pid][0], chosen[pid][1], distances.is_estimated)
        for pid in (p.pupil_id for p in scenario.pupils)
        if pid in chosen
    )


def _greedy(
    pupil_ids: Sequence[str],
    reach: Mapping[str, Mapping[str, int]],
    point_order: Sequence[str],
    min_pupils: int,
) -> dict[str, tuple[str, int]]:
    """One school's pupils (of one assistant need): repeatedly the point gathering the most
    (shortest walks on a tie)."""
    left = set(pupil_ids)
    out: dict[str, tuple[str, int]] = {}
    rank = {point_id: k for k, point_id in enumerate(point_order)}
    while True:
        gathered: dict[str, list[str]] = {}
        for pid in sorted(left):
            for point_id in reach[pid]:
                gathered.setdefault(point_id, []).append(pid)
        best = min(
            gathered.items(),
            key=lambda item: (
                -len(item[1]),
                sum(reach[p][item[0]] for p in item[1]),
                rank[item[0]],
            ),
            default=None,
        )
        if best is None or len(best[1]) < min_pupils:
            return out
        point_id, members = best
        for pid in members:
            out[pid] = (point_id, reach[pid][point_id])
            left.discard(pid)


def assign_collection_points(scenario: Scenario, source_dir: Path | None) -> Scenario:
    """The pipeline step before the solver: the scenario with its walks decided.

    Parameters
    ----------
    scenario
        The validated scenario; any walks it carries are decided afresh.
    source_dir
        Its folder (for the footpath network); None: walks are estimated.

    Returns
    -------
    Scenario
        The scenario with ``walks`` set (empty when nobody walks).
    """
    if not scenario.collection_points or scenario.policy.collection_point_max_walk_m <= 0:
        return replace(scenario, walks=())
    distances = measure_walks(scenario, source_dir)
    walks = choose_points(scenario, distances)
    logger.info("%d pupil(s) walk to %d collection point(s)", len(walks), len(points_used(walks)))
    return replace(scenario, walks=walks)


def points_used(walks: Sequence[CollectionWalk]) -> list[str]:
    """The point ids the walks go to, first use first."""
    return list(dict.fromkeys(w.point_id for w in walks))


def walk_note(walks: Sequence[CollectionWalk]) -> str | None:
    """The plan's note on collection points: who walks, how far, how measured (None when
    nobody walks)."""
    if not walks:
        return None
    mean_m = sum(w.walk_m for w in walks) / len(walks)
    longest = max(w.walk_m for w in walks)
    method = (
        ESTIMATED_WALK_WORDS
        if any(w.is_estimated for w in walks)
        else "Walks to collection points measured on the footpath network."
    )
    return (
        f"{len(walks)} pupil(s) walk to {len(points_used(walks))} collection point(s) "
        f"(mean {mean_m:.0f} m, longest {longest} m) and ride from there. {method}"
    )
