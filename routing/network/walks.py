"""Walks on a footpath graph: one walk's route, and walking distances (eligibility)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from routing.model import Scenario
from routing.network.arrays import graph_arrays
from routing.network.paths import SOURCE_CHUNK, augmented_graph
from routing.network.route_lines import dedupe_coords, lonlat_line, path_lines
from routing.network.snapping import DEFAULT_MAX_SNAP_M, snap_points

if TYPE_CHECKING:
    import networkx as nx


class WalkRoute(NamedTuple):
    """A walk: its length in metres and its line, (lon, lat) points from home to school."""

    distance_m: float
    coords: tuple[tuple[float, float], ...]


def walk_route(
    walk_graph: nx.MultiDiGraph,
    origin_lonlat: tuple[float, float],
    dest_lonlat: tuple[float, float],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> WalkRoute | None:
    """The shortest walk between two points on a footpath graph, with its line.

    Length = the straight leg from the origin to the nearest footpath + the path along the
    network + the leg from the network to the destination.

    Parameters
    ----------
    walk_graph
        A walk graph (:func:`load_walk_graph`).
    origin_lonlat, dest_lonlat
        (lon, lat) in degrees.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    WalkRoute or None
        None when either point is off the network (further than ``max_snap_m``).
    """
    arrays = graph_arrays(walk_graph)
    lons = [origin_lonlat[0], dest_lonlat[0]]
    lats = [origin_lonlat[1], dest_lonlat[1]]
    snap = snap_points(walk_graph, lons, lats, max_snap_m=max_snap_m)
    if not snap.is_reachable.all():
        return None
    if tuple(origin_lonlat) == tuple(dest_lonlat):
        point = (float(origin_lonlat[0]), float(origin_lonlat[1]))
        return WalkRoute(0.0, (point, point))
    (found,) = path_lines(arrays, snap, "length", [(0, 1)])
    if found is None:
        return None
    weight, line = found
    distance_m = weight / 10.0 + float(snap.snap_distance_m[0] + snap.snap_distance_m[1])
    coords = dedupe_coords(
        [
            (float(origin_lonlat[0]), float(origin_lonlat[1])),
            *lonlat_line(arrays, line),
            (float(dest_lonlat[0]), float(dest_lonlat[1])),
        ]
    )
    return WalkRoute(distance_m=round(distance_m, 1), coords=tuple(coords))


def walk_distances_m(
    walk_graph: nx.MultiDiGraph,
    origins: Sequence[tuple[float, float]],
    destinations: Sequence[tuple[float, float]],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> npt.NDArray[np.float64]:
    """Shortest walking distances from every origin to every destination, in metres.

    One multi-source Dijkstra by length from the destinations over the reversed graph
    (destinations, e.g. schools, are usually the fewer), snap legs included.

    Parameters
    ----------
    walk_graph
        A walk graph (:func:`load_walk_graph`).
    origins, destinations
        (lon, lat) points in degrees.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    numpy.ndarray
        Float array (len(origins), len(destinations)); ``inf`` where a point is off the
        network. Identical points are 0 apart.
    """
    from scipy.sparse import csgraph

    arrays = graph_arrays(walk_graph)
    num_o, num_d = len(origins), len(destinations)
    points = [*origins, *destinations]
    if not points:
        return np.zeros((num_o, num_d))
    lons = np.array([p[0] for p in points], dtype=np.float64)
    lats = np.array([p[1] for p in points], dtype=np.float64)
    snap = snap_points(walk_graph, lons, lats, max_snap_m=max_snap_m)
    graph_t = augmented_graph(arrays, snap, "length").T.tocsr()
    n_nodes = arrays.num_nodes
    out = np.full((num_o, num_d), np.inf)
    dest_ok = np.flatnonzero(snap.is_reachable[num_o:])
    orig_ok = np.flatnonzero(snap.is_reachable[:num_o])
    for start in range(0, len(dest_ok), SOURCE_CHUNK):
        chunk = dest_ok[start : start + SOURCE_CHUNK]
        dist = csgraph.dijkstra(graph_t, directed=True, indices=n_nodes + num_o + chunk)
        out[np.ix_(orig_ok, chunk)] = dist[:, n_nodes + orig_ok].T
    snap_m = np.where(snap.is_reachable, snap.snap_distance_m, np.inf)
    out = out / 10.0 + snap_m[:num_o, None] + snap_m[None, num_o:]
    same = (lons[:num_o, None] == lons[None, num_o:]) & (lats[:num_o, None] == lats[None, num_o:])
    return np.where(same, 0.0, out)


def pupil_walk_distances_m(
    walk_graph: nx.MultiDiGraph, scenario: Scenario, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> dict[str, float | None]:
    """Each pupil's shortest walk from home to their own school, metres (None if off-network).

    Parameters
    ----------
    walk_graph
        A walk graph (:func:`load_walk_graph`).
    scenario
        The scenario whose pupils and schools are measured.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    dict
        ``pupil_id`` -> distance in metres, or None where home or school is off the network.
    """
    schools = list(scenario.schools)
    column = {s.school_id: j for j, s in enumerate(schools)}
    matrix = walk_distances_m(
        walk_graph,
        [(p.lon, p.lat) for p in scenario.pupils],
        [(s.lon, s.lat) for s in schools],
        max_snap_m=max_snap_m,
    )
    out: dict[str, float | None] = {}
    for i, pupil in enumerate(scenario.pupils):
        value = float(matrix[i, column[pupil.school_id]])
        out[pupil.pupil_id] = round(value, 1) if math.isfinite(value) else None
    return out
