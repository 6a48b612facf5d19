"""A road graph as arrays: projected nodes and edges, snapping trees, sparse weights."""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import networkx as nx
    import shapely
    from pyproj import Transformer


logger = logging.getLogger(__name__)


# Fastest paths carry their length in one float64 Dijkstra: an edge weighs
# ms * LEN_SLOTS + decimetres, so the sum is (total ms, total dm) exactly as long as it
# stays below 2**53 (25 hours of driving). Ties in time go to the shorter path.
LEN_SLOTS = 100_000_000


@dataclass(frozen=True)
class GraphArrays:
    """A graph as arrays: projected nodes, edges, snapping tree and sparse matrices."""

    node_ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    to_proj: Transformer
    to_lonlat: Transformer
    edge_u: npt.NDArray[np.int64]  # node positions
    edge_v: npt.NDArray[np.int64]
    edge_time_ms: npt.NDArray[np.int64]  # free flow (the peak factor is applied later)
    edge_len_dm: npt.NDArray[np.int64]
    edge_lines: npt.NDArray[np.object_]  # projected shapely LineStrings, oriented u -> v
    snap_edges: npt.NDArray[np.int64]  # edges in the main component, one per two-way pair
    snap_twin: npt.NDArray[np.int64]  # the reverse edge of each snap edge, or -1
    snap_tree: shapely.STRtree
    island_tree: shapely.STRtree | None  # edges outside the main component (for reporting)
    # Per weight kind ("time" = ms*slots+dm, "length" = dm): the fastest edge per (u, v).
    best_edge: dict[str, npt.NDArray[np.int64]]

    @property
    def num_nodes(self) -> int:
        return len(self.node_ids)


_ARRAYS: weakref.WeakKeyDictionary[nx.MultiDiGraph, GraphArrays] = weakref.WeakKeyDictionary()


def graph_arrays(graph: nx.MultiDiGraph) -> GraphArrays:
    """Arrays of ``graph``, built once per graph object (graphs are shared read-only)."""
    arrays = _ARRAYS.get(graph)
    if arrays is None:
        arrays = _build_graph_arrays(graph)
        _ARRAYS[graph] = arrays
    return arrays


def _utm_crs(lon: float, lat: float) -> str:
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _build_graph_arrays(graph: nx.MultiDiGraph) -> GraphArrays:
    import scipy.sparse as sp
    import shapely
    from pyproj import Transformer
    from scipy.sparse import csgraph

    started = time.perf_counter()
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    position = {int(n): i for i, n in enumerate(node_ids)}
    lon = np.array([graph.nodes[n]["x"] for n in graph.nodes], dtype=np.float64)
    lat = np.array([graph.nodes[n]["y"] for n in graph.nodes], dtype=np.float64)
    crs = _utm_crs(float(np.median(lon)), float(np.median(lat)))
    to_proj = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    rows = [
        (
            position[int(u)],
            position[int(v)],
            d.get("travel_time", 0.0),
            d.get("length", 0.0),
            d.get("geometry"),
        )
        for u, v, d in graph.edges(data=True)
    ]
    num_edges = len(rows)
    edge_u = np.fromiter((r[0] for r in rows), dtype=np.int64, count=num_edges)
    edge_v = np.fromiter((r[1] for r in rows), dtype=np.int64, count=num_edges)
    time_s = np.fromiter((float(r[2]) for r in rows), dtype=np.float64, count=num_edges)
    length_m = np.fromiter((float(r[3]) for r in rows), dtype=np.float64, count=num_edges)
    geoms = np.empty(num_edges, dtype=object)
    geoms[:] = [r[4] for r in rows]
    # Edges without a geometry are straight lines between their nodes.
    straight = np.flatnonzero([g is None for g in geoms])
    if len(straight):
        ends = np.empty((2 * len(straight), 2))
        ends[0::2, 0], ends[0::2, 1] = lon[edge_u[straight]], lat[edge_u[straight]]
        ends[1::2, 0], ends[1::2, 1] = lon[edge_v[straight]], lat[edge_v[straight]]
        geoms[straight] = shapely.linestrings(ends, indices=np.repeat(np.arange(len(straight)), 2))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    first = np.searchsorted(owner, np.arange(num_edges))
    last = np.r_[first[1:], len(owner)] - 1
    # Orient every line u -> v whatever the file did: mirror a line within its own slice.
    d_first = (coords[first, 0] - lon[edge_u]) ** 2 + (coords[first, 1] - lat[edge_u]) ** 2
    d_last = (coords[last, 0] - lon[edge_u]) ** 2 + (coords[last, 1] - lat[edge_u]) ** 2
    flip = (d_last < d_first)[owner]
    pos = np.arange(len(owner))
    coords = coords[np.where(flip, first[owner] + last[owner] - pos, pos)]
    fx, fy = to_proj.transform(coords[:, 0], coords[:, 1])
    edge_lines = shapely.linestrings(np.column_stack([fx, fy]), indices=owner)
    # A length of zero would vanish from the sparse matrix; one decimetre keeps the edge.
    edge_len_dm = np.maximum(np.rint(length_m * 10.0), 1).astype(np.int64)
    edge_time_ms = np.maximum(np.rint(time_s * 1000.0), 1).astype(np.int64)

    # Main component: the largest strongly connected one (every node reaches every other).
    adjacency = sp.csr_matrix(
        (np.ones(num_edges), (edge_u, edge_v)), shape=(len(node_ids), len(node_ids))
    )
    _, labels = csgraph.connected_components(adjacency, directed=True, connection="strong")
    main_label = np.bincount(labels).argmax()
    in_main = labels == main_label
    edge_in_main = in_main[edge_u] & in_main[edge_v]

    # Snap to one edge of each two-way pair, and remember its twin for the way back: the
    # twin of u->v is the v->u edge closest to it in length (parallel edges are common).
    n = len(node_ids)
    pair_keys, pair_rank = np.unique(edge_u * n + edge_v, return_inverse=True)
    composite = pair_rank.astype(np.int64) * LEN_SLOTS + edge_len_dm
    by_comp = np.argsort(composite, kind="stable")
    sorted_comp = composite[by_comp]
    rev_keys = edge_v * n + edge_u
    rev_rank = np.searchsorted(pair_keys, rev_keys)
    has_rev = (rev_rank < len(pair_keys)) & (
        pair_keys[np.minimum(rev_rank, len(pair_keys) - 1)] == rev_keys
    )
    target = rev_rank.astype(np.int64) * LEN_SLOTS + edge_len_dm
    at = np.searchsorted(sorted_comp, target)
    best = np.full(num_edges, -1, dtype=np.int64)
    best_gap = np.full(num_edges, np.inf)
    # The nearest lengths either side of the target; at + 1 in case ``at`` is the edge
    # itself (a loop road's two directions are both u -> u).
    for pos in (at - 1, at, at + 1):
        ok = has_rev & (pos >= 0) & (pos < num_edges)
        cand = by_comp[np.clip(pos, 0, num_edges - 1)]
        ok &= (pair_rank[cand] == rev_rank) & (cand != np.arange(num_edges))
        gap = np.where(ok, np.abs(length_m[cand] - length_m), np.inf)
        better = gap < best_gap
        best = np.where(better, cand, best)
        best_gap = np.where(better, gap, best_gap)
    found = (best >= 0) & (best_gap <= np.maximum(1.0, 0.01 * length_m))
    twin = np.where(found, best, -1)
    mutual = found & (twin[np.maximum(twin, 0)] == np.arange(num_edges))
    # Keep the lower-numbered edge of each mutual pair; keep every edge without one.
    keep = edge_in_main & (~mutual | (np.arange(num_edges) < twin))
    snap_edges = np.flatnonzero(keep).astype(np.int64)
    island_edges = np.flatnonzero(~edge_in_main)

    best_edge: dict[str, npt.NDArray[np.int64]] = {}
    for kind, weight in (
        ("time", edge_time_ms * LEN_SLOTS + edge_len_dm),
        ("length", edge_len_dm),
    ):
        order = np.lexsort((weight, edge_v, edge_u))
        first = np.ones(num_edges, dtype=bool)
        first[1:] = (edge_u[order][1:] != edge_u[order][:-1]) | (
            edge_v[order][1:] != edge_v[order][:-1]
        )
        best_edge[kind] = order[first]

    arrays = GraphArrays(
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        to_proj=to_proj,
        to_lonlat=to_lonlat,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_time_ms=edge_time_ms,
        edge_len_dm=edge_len_dm,
        edge_lines=edge_lines,
        snap_edges=snap_edges,
        snap_twin=twin[snap_edges],
        snap_tree=shapely.STRtree(edge_lines[snap_edges]),
        island_tree=shapely.STRtree(edge_lines[island_edges]) if len(island_edges) else None,
        best_edge=best_edge,
    )
    logger.debug(
        "Graph arrays: %d nodes (%d in main component), %d edges in %.2f s",
        len(node_ids),
        int(in_main.sum()),
        num_edges,
        time.perf_counter() - started,
    )
    return arrays


def edge_weight(arrays: GraphArrays, kind: str, edges: npt.NDArray[np.int64]) -> Any:
    if kind == "time":
        return arrays.edge_time_ms[edges] * LEN_SLOTS + arrays.edge_len_dm[edges]
    return arrays.edge_len_dm[edges]
