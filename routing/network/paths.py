"""Fastest paths between points on a road graph: one multi-source Dijkstra."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from routing.errors import UnreachableLocationError
from routing.matrix import UNREACHABLE_M, UNREACHABLE_S, great_circle_m
from routing.network.arrays import LEN_SLOTS, GraphArrays, edge_weight, graph_arrays
from routing.network.graph import KPH_TO_MPS
from routing.network.snapping import DEFAULT_MAX_SNAP_M, Snap, snap_points

if TYPE_CHECKING:
    import networkx as nx
    import scipy.sparse as sp


SNAP_LEG_SPEED_KPH = 10.0
"""Speed on the off-network leg between a point and the road it snaps to (a driveway, a car
park, a lane the map lacks); not scaled by the peak factor."""

_MAX_EXACT = 2**53  # time weights sum exactly below this (see arrays.LEN_SLOTS)
SOURCE_CHUNK = 256  # sources per Dijkstra call


def augmented_graph(arrays: GraphArrays, snap: Snap, kind: str) -> sp.csr_matrix:
    """The graph plus one node per reachable point, joined into the edge it snaps to.

    Point ``i`` is node ``num_nodes + i``. From a point on edge u->v at fraction f one
    drives (1 - f) of the edge to v, or f of the twin edge v->u back to u; into the point
    one drives f of u->v from u, or (1 - f) of v->u from v. Points on the same edge are
    joined directly (no detour through a node).
    """
    import scipy.sparse as sp

    n_nodes = arrays.num_nodes
    best = arrays.best_edge[kind]
    rows = [arrays.edge_u[best]]
    cols = [arrays.edge_v[best]]
    weights = [edge_weight(arrays, kind, best).astype(np.float64)]

    def part(edges: npt.NDArray[np.int64], share: npt.NDArray[np.float64]) -> Any:
        if kind == "time":
            t = np.rint(arrays.edge_time_ms[edges] * share)
            d = np.rint(arrays.edge_len_dm[edges] * share)
            return t * LEN_SLOTS + d
        # Explicit zeros stay edges in csgraph (a point on a junction is 0 m from it).
        return np.rint(arrays.edge_len_dm[edges] * share)

    idx = np.flatnonzero(snap.is_reachable)
    e = snap.edge_idx[idx]
    f = snap.fraction[idx]
    pnode = n_nodes + idx
    rows += [pnode, arrays.edge_u[e]]
    cols += [arrays.edge_v[e], pnode]
    weights += [part(e, 1.0 - f), part(e, f)]
    has_twin = snap.twin_idx[idx] >= 0
    r = snap.twin_idx[idx][has_twin]
    rows += [pnode[has_twin], arrays.edge_u[r]]
    cols += [arrays.edge_v[r], pnode[has_twin]]  # twin runs v->u: its end is u
    weights += [part(r, f[has_twin]), part(r, 1.0 - f[has_twin])]

    # Points sharing an edge: direct legs along it.
    order = np.lexsort((f, e))
    e_sorted = e[order]
    starts = np.flatnonzero(np.r_[True, e_sorted[1:] != e_sorted[:-1]])
    ends = np.r_[starts[1:], len(e_sorted)]
    for s, t in zip(starts, ends, strict=True):
        if t - s < 2:
            continue
        members = order[s:t]  # sorted by fraction along the edge
        a_idx, b_idx = np.triu_indices(len(members), k=1)
        a, b = members[a_idx], members[b_idx]
        share = f[b] - f[a]
        edge = np.full(len(a), e[members[0]])
        rows.append(pnode[a])
        cols.append(pnode[b])
        weights.append(part(edge, share))
        twin = snap.twin_idx[idx][members[0]]
        if twin >= 0:
            rows.append(pnode[b])
            cols.append(pnode[a])
            weights.append(part(np.full(len(a), twin), share))

    size = n_nodes + len(snap.edge_idx)
    all_rows = np.concatenate(rows)
    all_cols = np.concatenate(cols)
    all_w = np.concatenate(weights)
    # Keep the lightest of parallel edges (a sparse matrix would add them up).
    order = np.lexsort((all_w, all_cols, all_rows))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (all_rows[order][1:] != all_rows[order][:-1]) | (
        all_cols[order][1:] != all_cols[order][:-1]
    )
    sel = order[keep]
    return sp.csr_matrix((all_w[sel], (all_rows[sel], all_cols[sel])), shape=(size, size))


def _point_to_point(
    arrays: GraphArrays,
    snap: Snap,
    kind: str,
    sources: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Network weights between snapped points (inf where none), multi-source Dijkstra."""
    from scipy.sparse import csgraph

    graph = augmented_graph(arrays, snap, kind)
    n_nodes = arrays.num_nodes
    out = np.full((len(sources), len(targets)), np.inf)
    ok_src = np.flatnonzero(snap.is_reachable[sources])
    ok_tgt = np.flatnonzero(snap.is_reachable[targets])
    if len(ok_src) == 0 or len(ok_tgt) == 0:
        return out
    target_nodes = n_nodes + targets[ok_tgt]
    for start in range(0, len(ok_src), SOURCE_CHUNK):
        chunk = ok_src[start : start + SOURCE_CHUNK]
        dist = csgraph.dijkstra(graph, directed=True, indices=n_nodes + sources[chunk])
        out[np.ix_(chunk, ok_tgt)] = dist[:, target_nodes]
    return out


def _split_time(raw: npt.NDArray[np.float64]) -> tuple[Any, Any]:
    """(ms, dm) from combined time weights; inf stays inf in both."""
    finite = np.isfinite(raw)
    if finite.any() and raw[finite].max() >= _MAX_EXACT:
        msg = "A fastest path is longer than 25 hours: the graph or the points are wrong."
        raise UnreachableLocationError(msg)
    ints = np.where(finite, raw, 0).astype(np.int64)
    ms = np.where(finite, ints // LEN_SLOTS, np.inf)
    dm = np.where(finite, ints % LEN_SLOTS, np.inf)
    return ms, dm


@dataclass(frozen=True)
class NetworkMatrix:
    """Drive matrix over points on a road graph (before labelling with location ids)."""

    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]
    snap_distance_m: npt.NDArray[np.float64]
    is_reachable: npt.NDArray[np.bool_]
    is_island: npt.NDArray[np.bool_]


def network_matrix(
    graph: nx.MultiDiGraph,
    lons: Sequence[float] | npt.NDArray[np.float64],
    lats: Sequence[float] | npt.NDArray[np.float64],
    *,
    peak_travel_factor: float = 1.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> NetworkMatrix:
    """Fastest-path drive times and their lengths between every pair of points.

    One multi-source Dijkstra (``scipy.sparse.csgraph``) over the graph's sparse matrix,
    with each point joined into the edge it snaps to. Each edge weighs
    ``milliseconds * 10**8 + decimetres``, so one run finds the fastest paths and their
    lengths at once (ties go to the shorter path) and both come back exactly.

    ``duration_s[i, j]`` = snap leg of i + network time x ``peak_travel_factor`` + snap
    leg of j, the snap legs at :data:`SNAP_LEG_SPEED_KPH`; ``distance_m`` likewise. Two
    points on the same road may instead be joined by a straight leg at the snap-leg speed
    when that is faster (two pupils at one postcode are 0 s apart). Unreachable points'
    rows and columns hold :data:`UNREACHABLE_S` / :data:`UNREACHABLE_M`; the diagonal is 0.

    Parameters
    ----------
    graph
        An osmnx graph with free-flow ``travel_time`` (from :func:`load_road_graph`).
    lons, lats
        Points, degrees.
    peak_travel_factor
        Multiplies network times.
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    NetworkMatrix
    """
    arrays = graph_arrays(graph)
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    n = len(lon_arr)
    snap = snap_points(graph, lon_arr, lat_arr, max_snap_m=max_snap_m)
    everyone = np.arange(n, dtype=np.int64)
    raw = _point_to_point(arrays, snap, "time", everyone, everyone)
    ms, dm = _split_time(raw)
    snap_leg_m = np.where(snap.is_reachable, snap.snap_distance_m, 0.0)
    snap_leg_s = snap_leg_m / (SNAP_LEG_SPEED_KPH * KPH_TO_MPS)
    duration = snap_leg_s[:, None] + ms / 1000.0 * peak_travel_factor + snap_leg_s[None, :]
    distance = snap_leg_m[:, None] + dm / 10.0 + snap_leg_m[None, :]
    # Same road: a straight slow leg where it beats going round (identical points: 0).
    same_edge = (snap.edge_idx[:, None] == snap.edge_idx[None, :]) & snap.is_reachable[:, None]
    if same_edge.any():
        straight = great_circle_m(
            lon_arr[:, None], lat_arr[:, None], lon_arr[None, :], lat_arr[None, :]
        )
        straight_s = straight / (SNAP_LEG_SPEED_KPH * KPH_TO_MPS)
        better = same_edge & (straight_s < duration)
        duration = np.where(better, straight_s, duration)
        distance = np.where(better, straight, distance)
    unreachable = ~np.isfinite(duration)
    duration_s = np.where(unreachable, UNREACHABLE_S, np.rint(np.nan_to_num(duration, posinf=0)))
    distance_m = np.where(unreachable, UNREACHABLE_M, np.rint(np.nan_to_num(distance, posinf=0)))
    duration_s = duration_s.astype(np.int64)
    distance_m = distance_m.astype(np.int64)
    np.fill_diagonal(duration_s, 0)
    np.fill_diagonal(distance_m, 0)
    return NetworkMatrix(
        duration_s=duration_s,
        distance_m=distance_m,
        snap_distance_m=snap.snap_distance_m.copy(),
        is_reachable=snap.is_reachable.copy(),
        is_island=snap.is_island.copy(),
    )
