"""Snapping points to the nearest road of a graph's main component."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from routing.network.arrays import graph_arrays

if TYPE_CHECKING:
    import networkx as nx


DEFAULT_MAX_SNAP_M = 1500.0
"""A point further than this from every road of the graph's main component is unreachable.
(Rutland's 1,273 postcode centroids snap at most 926 m, 95% within 164 m, to the drive graph.)"""


@dataclass(frozen=True)
class Snap:
    """Where points meet a graph.

    ``edge_idx[i]`` is the graph edge point ``i`` snaps to (-1 if unreachable),
    ``fraction[i]`` how far along it (0 at its start node, 1 at its end),
    ``snap_distance_m[i]`` the straight distance from the point to the road,
    ``is_reachable[i]`` whether the point is within ``max_snap_m`` of the graph's main
    (largest strongly connected) component, and ``is_island[i]`` whether its nearest road
    lies outside that component.
    """

    edge_idx: npt.NDArray[np.int64]
    fraction: npt.NDArray[np.float64]
    snap_distance_m: npt.NDArray[np.float64]
    is_reachable: npt.NDArray[np.bool_]
    is_island: npt.NDArray[np.bool_]
    twin_idx: npt.NDArray[np.int64]


def snap_points(
    graph: nx.MultiDiGraph,
    lons: Sequence[float] | npt.NDArray[np.float64],
    lats: Sequence[float] | npt.NDArray[np.float64],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Snap:
    """Snap points to the nearest road of the graph's main component.

    Points are projected to UTM and matched to the nearest edge geometry (not the nearest
    node: on a simplified rural graph an edge can be kilometres long). Edges outside the
    largest strongly connected component (one-way stubs, islands) are never snapped to:
    a vehicle could not get in or out.

    Parameters
    ----------
    graph
        An osmnx graph (EPSG:4326), as from :func:`load_road_graph`.
    lons, lats
        Points, degrees.
    max_snap_m
        Points further than this from the main component are unreachable.

    Returns
    -------
    Snap
        Per point: edge, fraction along it, snap distance in metres, reachability.
    """
    import shapely

    arrays = graph_arrays(graph)
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    n = len(lon_arr)
    if n == 0:
        empty_i = np.empty(0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        empty_b = np.empty(0, dtype=bool)
        return Snap(empty_i, empty_f, empty_f, empty_b, empty_b, empty_i)
    px, py = arrays.to_proj.transform(lon_arr, lat_arr)
    points = shapely.points(px, py)
    hits, dist = arrays.snap_tree.query_nearest(points, return_distance=True, all_matches=False)
    nearest = np.full(n, -1, dtype=np.int64)
    snap_m = np.full(n, np.inf)
    nearest[hits[0]] = hits[1]
    snap_m[hits[0]] = dist
    edge_idx = arrays.snap_edges[nearest]
    twin_idx = arrays.snap_twin[nearest]
    lines = arrays.edge_lines[edge_idx]
    fraction = np.clip(shapely.line_locate_point(lines, points, normalized=True), 0.0, 1.0)
    fraction = np.nan_to_num(fraction, nan=0.0)
    is_island = np.zeros(n, dtype=bool)
    if arrays.island_tree is not None:
        ihits, idist = arrays.island_tree.query_nearest(
            points, return_distance=True, all_matches=False
        )
        island_m = np.full(n, np.inf)
        island_m[ihits[0]] = idist
        is_island = island_m < snap_m
    is_reachable = snap_m <= max_snap_m
    edge_idx = np.where(is_reachable, edge_idx, -1)
    return Snap(
        edge_idx=edge_idx,
        fraction=fraction,
        snap_distance_m=snap_m,
        is_reachable=is_reachable,
        is_island=is_island & ~is_reachable,
        twin_idx=np.where(is_reachable, twin_idx, -1),
    )
