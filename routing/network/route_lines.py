"""Path lines on the roads: drawing drive routes (map, GeoJSON) and walks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from routing.network.arrays import GraphArrays, graph_arrays
from routing.network.paths import augmented_graph
from routing.network.snapping import DEFAULT_MAX_SNAP_M, Snap, snap_points

if TYPE_CHECKING:
    import networkx as nx
    import shapely


_PATH_SOURCE_CHUNK = 64


def _sorted_pair_keys(arrays: GraphArrays, kind: str) -> tuple[Any, Any]:
    best = arrays.best_edge[kind]
    keys = arrays.edge_u[best] * arrays.num_nodes + arrays.edge_v[best]
    order = np.argsort(keys)
    return keys[order], best[order]


def _sub_line(line: shapely.LineString, start: float, end: float) -> list[tuple[float, float]]:
    """Projected points of ``line`` from fraction ``start`` to ``end`` (either order)."""
    from shapely.ops import substring

    lo, hi = min(start, end), max(start, end)
    part = substring(line, lo, hi, normalized=True)
    coords = [(float(x), float(y)) for x, y, *_ in part.coords] if not part.is_empty else []
    return coords[::-1] if start > end else coords


def path_lines(
    arrays: GraphArrays,
    snap: Snap,
    kind: str,
    pairs: Sequence[tuple[int, int]],
) -> list[tuple[float, list[tuple[float, float]]] | None]:
    """For each (origin point, destination point): network weight and projected line.

    One Dijkstra with predecessors per block of distinct origins (blocks bound memory).
    """
    from scipy.sparse import csgraph

    graph = augmented_graph(arrays, snap, kind)
    n_nodes = arrays.num_nodes
    results: list[tuple[float, list[tuple[float, float]]] | None] = [None] * len(pairs)
    sources = sorted({o for o, _ in pairs if snap.is_reachable[o]})
    keys, edges = _sorted_pair_keys(arrays, kind)
    for start in range(0, len(sources), _PATH_SOURCE_CHUNK):
        block = sources[start : start + _PATH_SOURCE_CHUNK]
        dist, pred = csgraph.dijkstra(
            graph, directed=True, indices=[n_nodes + s for s in block], return_predecessors=True
        )
        row_of = {s: r for r, s in enumerate(block)}
        for k, (o, d) in enumerate(pairs):
            if o not in row_of or not snap.is_reachable[d]:
                continue
            row = row_of[o]
            target = n_nodes + d
            if o == d:
                results[k] = (0.0, [])
            elif np.isfinite(dist[row, target]):
                nodes = [target]
                while nodes[-1] != n_nodes + o:
                    nodes.append(int(pred[row, nodes[-1]]))
                nodes.reverse()
                line = _nodes_line(arrays, snap, nodes, keys, edges)
                results[k] = (float(dist[row, target]), line)
    return results


def _nodes_line(
    arrays: GraphArrays,
    snap: Snap,
    nodes: list[int],
    keys: npt.NDArray[np.int64],
    edges: npt.NDArray[np.int64],
) -> list[tuple[float, float]]:
    """Projected line along a path of graph nodes and point nodes (>= num_nodes)."""
    n_nodes = arrays.num_nodes
    line: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(nodes):
        if a >= n_nodes and b >= n_nodes:  # two points on one edge
            e = snap.edge_idx[a - n_nodes]
            piece = _sub_line(
                arrays.edge_lines[e], snap.fraction[a - n_nodes], snap.fraction[b - n_nodes]
            )
        elif a >= n_nodes:  # leave a point for a node
            e, f = snap.edge_idx[a - n_nodes], snap.fraction[a - n_nodes]
            end = 1.0 if b == arrays.edge_v[e] else 0.0
            piece = _sub_line(arrays.edge_lines[e], f, end)
        elif b >= n_nodes:  # arrive at a point from a node
            e, f = snap.edge_idx[b - n_nodes], snap.fraction[b - n_nodes]
            start = 0.0 if a == arrays.edge_u[e] else 1.0
            piece = _sub_line(arrays.edge_lines[e], start, f)
        else:
            pos = int(np.searchsorted(keys, a * n_nodes + b))
            e = int(edges[pos])
            piece = [(float(x), float(y)) for x, y, *_ in arrays.edge_lines[e].coords]
        if line and piece and line[-1] == piece[0]:
            piece = piece[1:]
        line.extend(piece)
    return line


def lonlat_line(arrays: GraphArrays, line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if not line:
        return []
    xs, ys = zip(*line, strict=True)
    lons, lats = arrays.to_lonlat.transform(np.array(xs), np.array(ys))
    return [(round(float(x), 7), round(float(y), 7)) for x, y in zip(lons, lats, strict=True)]


def dedupe_coords(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or out[-1] != c:
            out.append(c)
    return out


def drive_path_coords(
    graph: nx.MultiDiGraph,
    lonlat_sequence: Sequence[tuple[float, float]],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[list[tuple[float, float]]]:
    """Road geometry of a route: the fastest path of each leg between consecutive stops.

    Parameters
    ----------
    graph
        A drive graph (:func:`load_road_graph`).
    lonlat_sequence
        The route's stops in order, (lon, lat) degrees.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    list of list of (lon, lat)
        One line per leg (``len(lonlat_sequence) - 1`` of them), starting at one stop and
        ending at the next. A leg with an unreachable end is a straight segment.
    """
    return drive_routes_coords(graph, [lonlat_sequence], max_snap_m=max_snap_m)[0]


def drive_routes_coords(
    graph: nx.MultiDiGraph,
    routes: Sequence[Sequence[tuple[float, float]]],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[list[list[tuple[float, float]]]]:
    """:func:`drive_path_coords` for many routes at once (one snap, shared Dijkstra runs).

    Parameters
    ----------
    graph
        A drive graph (:func:`load_road_graph`).
    routes
        Each route's stops in order, (lon, lat) degrees.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    list
        Per route, its legs as in :func:`drive_path_coords`.
    """
    arrays = graph_arrays(graph)
    point_of: dict[tuple[float, float], int] = {}
    for route in routes:
        for lon, lat in route:
            point_of.setdefault((float(lon), float(lat)), len(point_of))
    points = list(point_of)
    snap = snap_points(graph, [p[0] for p in points], [p[1] for p in points], max_snap_m=max_snap_m)
    pairs: list[tuple[int, int]] = []
    for route in routes:
        ids = [point_of[(float(lon), float(lat))] for lon, lat in route]
        pairs.extend(itertools.pairwise(ids))
    found = iter(path_lines(arrays, snap, "time", pairs) if pairs else [])
    out: list[list[list[tuple[float, float]]]] = []
    pair_iter = iter(pairs)
    for route in routes:
        legs: list[list[tuple[float, float]]] = []
        for _ in range(max(len(route) - 1, 0)):
            o, d = next(pair_iter)
            result = next(found)
            start, end = points[o], points[d]
            if result is None:
                legs.append([start, end])
            else:
                legs.append(dedupe_coords([start, *lonlat_line(arrays, result[1]), end]))
        out.append(legs)
    return out
