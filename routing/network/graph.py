"""Road graphs, snapping points to them, and travel matrices.

* :func:`load_road_graph` reads GraphML, OSM XML or PBF with osmnx and sets UK speeds.
* :func:`snap_points` puts points on the nearest road of the graph's main component.
* :func:`build_travel_matrix` gives a scenario's :class:`TravelMatrix`: on its road graph
  (multi-source Dijkstra over the sparse matrix, cached on disk) or, without one, with the
  approximate model (great-circle distance x circuity, banded speeds), labelled as such.
* :func:`walk_route`, :func:`walk_distances_m` measure walks (eligibility);
  :func:`drive_path_coords` draws routes on the roads (map, GeoJSON).
* :func:`fetch_network` downloads a place's graphs where there is internet.

Projected metres (UTM) stay inside this module; everything else is lon, lat.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gzip
import hashlib
import itertools
import logging
import math
import os
import pickle
import re
import shutil
import socket
import tempfile
import time
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from routing.errors import InvalidScenarioError, NetworkUnavailableError, UnreachableLocationError
from routing.matrix import (
    DEPOT_LOCATION_ID,
    UNREACHABLE_M,
    UNREACHABLE_S,
    TravelMatrix,
    great_circle_m,
    pupil_location_id,
    school_location_id,
)
from routing.model import Policy, RouteStart, Scenario

if TYPE_CHECKING:
    import networkx as nx
    import scipy.sparse as sp
    import shapely
    from pyproj import Transformer

# osmnx, networkx, scipy, shapely and pyproj are imported inside the functions that use them:
# importing osmnx alone takes seconds. TravelMatrix and the location ids live in
# routing.matrix, which needs none of them.

logger = logging.getLogger(__name__)


# =========================================================================== constants

# Typical driving speeds by OSM highway class on UK roads, km/h. They are what a taxi or
# minibus averages off-peak, not speed limits: a tagged ``maxspeed`` may lower an edge's
# speed below its class speed (a 20 mph zone) but never raise it (a rural lane signed at the
# 60 mph national limit is not driven at 96 km/h). ``policy.peak_travel_factor`` then
# multiplies every network time for school-run traffic.
UK_HWY_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 55.0,
    "secondary_link": 40.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
    "road": 30.0,
    "busway": 30.0,
}
FALLBACK_SPEED_KPH = 30.0
"""Speed of an edge whose class is not in :data:`UK_HWY_SPEEDS_KPH`."""

WALK_SPEED_KPH = 4.8
"""Walking speed set on walk graphs (``speed_kph``); walks are measured by length."""

SNAP_LEG_SPEED_KPH = 10.0
"""Speed on the off-network leg between a point and the road it snaps to (a driveway, a car
park, a lane the map lacks); not scaled by the peak factor."""

DEFAULT_MAX_SNAP_M = 1500.0
"""A point further than this from every road of the graph's main component is unreachable.
(Rutland's 1,273 postcode centroids snap at most 926 m, 95% within 164 m, to the drive graph.)"""

# Approximate model (no road network): speeds by distance band, applied to each band of a
# trip's estimated road distance in turn (the first 2 km at 20 km/h, the next 8 km at
# 30 km/h, the rest at 45 km/h). Marginal bands keep time increasing with distance: a
# whole-trip band would make a 2.1 km trip faster than a 1.9 km one. The values are
# door-to-door averages typical of outer-London school-run traffic (TfL reports average
# weekday speeds of about 20-30 km/h on outer-London roads, faster on the A12/A127/M25).
APPROX_SPEED_BANDS: tuple[tuple[float, float], ...] = (
    (2_000.0, 20.0),
    (10_000.0, 30.0),
    (math.inf, 45.0),
)

MATRIX_CACHE_VERSION = 1
"""Bump when the speeds, snapping or matrix method change, so old cached matrices are unused."""

_KPH_TO_MPS = 1000.0 / 3600.0
# Fastest paths carry their length in one float64 Dijkstra: an edge weighs
# ms * _LEN_SLOTS + decimetres, so the sum is (total ms, total dm) exactly as long as it
# stays below 2**53 (25 hours of driving). Ties in time go to the shorter path.
_LEN_SLOTS = 100_000_000
_MAX_EXACT = 2**53
_SOURCE_CHUNK = 256
_PATH_SOURCE_CHUNK = 64


# =========================================================================== graph loading


def _gz_text(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


def _file_key(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError as err:
        msg = f"Road graph file '{path}' cannot be read: {err.strerror}."
        raise NetworkUnavailableError(msg) from err
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def load_road_graph(
    path: Path,
    *,
    network_type: str = "drive",
    peak_travel_factor: float = 1.0,
    cache_dir: Path | None = None,
) -> nx.MultiDiGraph:
    """Load a road or footpath graph with speeds and travel times.

    Reads GraphML (``.graphml``, ``.graphml.gz``), OSM XML (``.osm``, ``.osm.bz2``,
    ``.osm.gz``) or PBF (``.osm.pbf``, ``.pbf``). XML and PBF ways are filtered with
    osmnx's own ``network_type`` filter (through pyosmium) before the graph is built.
    Drive graphs get ``speed_kph`` from the tagged ``maxspeed`` or the highway class
    (:data:`UK_HWY_SPEEDS_KPH`; a limit may lower a class speed, never raise it) and
    ``travel_time`` in seconds; walk graphs get :data:`WALK_SPEED_KPH`.

    Graphs are read once per process and shared: treat the result as read-only. The
    prepared graph is also pickled in ``cache_dir``, keyed by the file's SHA-256 and the
    library versions, because parsing GraphML is slow (Rutland's walk graph: about 4 s to
    parse, 0.3 s to unpickle).

    Parameters
    ----------
    path
        The graph file.
    network_type
        ``"drive"`` or ``"walk"`` (osmnx's names).
    peak_travel_factor
        Multiplies every edge's ``travel_time`` (1.0 = free flow). Other than 1.0, a
        copy of the shared graph is returned.
    cache_dir
        Folder for prepared-graph pickles (default :func:`default_graph_cache_dir`).

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected (EPSG:4326) osmnx graph.

    Raises
    ------
    NetworkUnavailableError
        If the file is missing, of an unknown kind, or cannot be parsed.
    """
    if network_type not in ("drive", "walk"):
        msg = f"network_type must be 'drive' or 'walk', got {network_type!r}."
        raise InvalidScenarioError(msg)
    if not 0.5 <= peak_travel_factor <= 5.0:
        msg = f"peak_travel_factor must be 0.5..5.0, got {peak_travel_factor}."
        raise InvalidScenarioError(msg)
    folder = cache_dir if cache_dir is not None else default_graph_cache_dir()
    graph = _load_graph_cached(*_file_key(Path(path)), network_type, str(folder))
    if peak_travel_factor == 1.0:
        return graph
    scaled = graph.copy()
    for _, _, data in scaled.edges(data=True):
        data["travel_time"] = float(data["travel_time"]) * peak_travel_factor
    return scaled


def load_walk_graph(path: Path) -> nx.MultiDiGraph:
    """Load a footpath graph: ``load_road_graph(path, network_type="walk")``.

    Parameters
    ----------
    path
        GraphML, OSM XML or PBF file.

    Returns
    -------
    networkx.MultiDiGraph
        Shared, read-only walk graph with ``length`` (m) on every edge.
    """
    return load_road_graph(path, network_type="walk")


@functools.lru_cache(maxsize=8)
def _load_graph_cached(
    resolved: str, mtime_ns: int, size: int, network_type: str, cache_dir: str
) -> nx.MultiDiGraph:
    """Read and prepare a graph file; keyed by path, mtime and size so edits reload."""
    path = Path(resolved)
    name = path.name.lower()
    if not name.endswith(
        (".graphml", ".graphml.gz", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".pbf")
    ):
        msg = (
            f"Road graph file '{path.name}' is not GraphML (.graphml, .graphml.gz), "
            "OSM XML (.osm, .osm.bz2) or PBF (.osm.pbf)."
        )
        raise NetworkUnavailableError(msg)
    started = time.perf_counter()
    pickled = _graph_pickle_path(Path(cache_dir), resolved, mtime_ns, size, network_type)
    graph = _read_graph_pickle(pickled)
    if graph is not None:
        logger.info("Loaded %s graph %s from %s", network_type, path.name, pickled)
        return graph
    import osmnx as ox  # only now: importing it takes seconds, unpickling does not need it

    try:
        if name.endswith(".graphml.gz"):
            graph = ox.load_graphml(graphml_str=_gz_text(path))
        elif name.endswith(".graphml"):
            graph = ox.load_graphml(filepath=path)
        else:
            graph = _graph_from_osm_file(path, network_type)
    except NetworkUnavailableError:
        raise
    except (OSError, ValueError, KeyError, ET.ParseError) as err:
        msg = f"Road graph file '{path}' could not be read: {err}."
        raise NetworkUnavailableError(msg) from err
    if graph.number_of_edges() == 0:
        msg = f"Road graph file '{path}' holds no {network_type} edges."
        raise NetworkUnavailableError(msg)
    _set_speeds(graph, network_type)
    logger.info(
        "Loaded %s graph %s: %d nodes, %d edges in %.1f s",
        network_type,
        path.name,
        graph.number_of_nodes(),
        graph.number_of_edges(),
        time.perf_counter() - started,
    )
    _write_graph_pickle(pickled, graph)
    return graph


GRAPH_CACHE_VERSION = 1
"""Bump when graph preparation (speeds, filters) changes, so old pickles are unused."""


def default_graph_cache_dir() -> Path:
    """Where prepared graphs are pickled by default.

    Returns
    -------
    Path
        ``$XDG_CACHE_HOME/schoolrun/graphs``, else ``~/.cache/schoolrun/graphs``.
    """
    return default_cache_dir().parent / "graphs"


def _graph_pickle_path(
    folder: Path, resolved: str, mtime_ns: int, size: int, network_type: str
) -> Path:
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(_file_sha256(resolved, mtime_ns, size).encode())
    libs = "|".join(version(lib) for lib in ("osmnx", "networkx", "shapely", "numpy"))
    digest.update(f"v{GRAPH_CACHE_VERSION}|{network_type}|{libs}".encode())
    return folder / f"{network_type}-graph-{digest.hexdigest()[:40]}.pickle"


def _read_graph_pickle(path: Path) -> nx.MultiDiGraph | None:
    import networkx as nx

    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            graph = pickle.load(fh)  # our own cache, written by _write_graph_pickle
    except Exception as err:  # a stale or broken pickle only means parsing again
        logger.warning("Ignoring unreadable graph cache %s: %s", path, err)
        return None
    return graph if isinstance(graph, nx.MultiDiGraph) else None


def _write_graph_pickle(path: Path, graph: nx.MultiDiGraph) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(graph, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: parallel processes never read half a file
    except OSError as err:
        logger.warning("Could not write graph cache %s: %s", path, err)


def _first(value: Any) -> Any:
    """First element of an osmnx list attribute (simplified edges merge ways' tags)."""
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(parsed, list) and parsed:
            return parsed[0]
    return value


def _set_speeds(graph: nx.MultiDiGraph, network_type: str) -> None:
    import networkx as nx
    import osmnx as ox

    if network_type == "walk":
        nx.set_edge_attributes(graph, WALK_SPEED_KPH, "speed_kph")
    else:
        for _, _, data in graph.edges(data=True):
            # GraphML round trips can leave lists as strings; osmnx wants real lists.
            for key in ("highway", "maxspeed"):
                value = data.get(key)
                if isinstance(value, str) and value.startswith("["):
                    with contextlib.suppress(ValueError, SyntaxError):
                        data[key] = ast.literal_eval(value)
        ox.add_edge_speeds(graph, hwy_speeds=UK_HWY_SPEEDS_KPH, fallback=FALLBACK_SPEED_KPH)
        for _, _, data in graph.edges(data=True):
            class_kph = UK_HWY_SPEEDS_KPH.get(str(_first(data.get("highway"))), FALLBACK_SPEED_KPH)
            speed = float(data["speed_kph"])
            if not math.isfinite(speed) or speed <= 0:
                speed = class_kph
            data["speed_kph"] = min(speed, class_kph)
    ox.add_edge_travel_times(graph)


# ---------------------------------------------------------------- OSM XML / PBF via pyosmium

_FILTER_TERM = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def _way_filter(network_type: str) -> Callable[[Mapping[str, str]], bool]:
    """osmnx's Overpass filter for ``network_type`` as a predicate on a way's tags."""
    from osmnx import _overpass  # osmnx keeps its filters here; the query text is stable

    text = _overpass._get_network_filter(network_type)
    terms = [(k, op, re.compile(v) if op else None) for k, op, v in _FILTER_TERM.findall(text)]

    def keep(tags: Mapping[str, str]) -> bool:
        for key, op, pattern in terms:
            value = tags.get(key)
            if not op:
                if value is None:
                    return False
            elif op == "!~":
                if value is not None and pattern is not None and pattern.search(value):
                    return False
            elif value is None or pattern is None or not pattern.search(value):
                return False
        return True

    return keep


def _graph_from_osm_file(path: Path, network_type: str) -> nx.MultiDiGraph:
    """Filter an OSM XML/PBF file's ways to ``network_type`` with pyosmium, then build."""
    import osmnx as ox

    try:
        import osmium
    except ImportError as err:
        msg = (
            f"Reading '{path.name}' needs pyosmium (`pip install osmium`); or convert it to "
            "GraphML once elsewhere, e.g. `osmium tags-filter in.osm.pbf w/highway -o "
            "highways.osm` then `ox.save_graphml(ox.graph_from_xml('highways.osm'), ...)`."
        )
        raise NetworkUnavailableError(msg) from err
    keep = _way_filter(network_type)
    way_ids: set[int] = set()
    node_ids: set[int] = set()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        tags = {tag.k: tag.v for tag in way.tags}
        if keep(tags) and isinstance(way, osmium.osm.Way):
            way_ids.add(way.id)
            node_ids.update(n.ref for n in way.nodes)
    if not way_ids:
        msg = f"OSM file '{path.name}' has no ways that osmnx's '{network_type}' filter keeps."
        raise NetworkUnavailableError(msg)
    with tempfile.TemporaryDirectory(prefix="schoolrun-osm-") as tmp:
        xml_path = Path(tmp) / "filtered.osm"
        writer = osmium.SimpleWriter(str(xml_path))
        try:
            for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
                if (isinstance(obj, osmium.osm.Node) and obj.id in node_ids) or (
                    isinstance(obj, osmium.osm.Way) and obj.id in way_ids
                ):
                    writer.add(obj)
        finally:
            writer.close()
        return ox.graph_from_xml(xml_path, bidirectional=network_type == "walk")


# =========================================================================== graph arrays


@dataclass(frozen=True)
class _GraphArrays:
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


_ARRAYS: weakref.WeakKeyDictionary[nx.MultiDiGraph, _GraphArrays] = weakref.WeakKeyDictionary()


def _graph_arrays(graph: nx.MultiDiGraph) -> _GraphArrays:
    """Arrays of ``graph``, built once per graph object (graphs are shared read-only)."""
    arrays = _ARRAYS.get(graph)
    if arrays is None:
        arrays = _build_graph_arrays(graph)
        _ARRAYS[graph] = arrays
    return arrays


def _utm_crs(lon: float, lat: float) -> str:
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _build_graph_arrays(graph: nx.MultiDiGraph) -> _GraphArrays:
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
    composite = pair_rank.astype(np.int64) * _LEN_SLOTS + edge_len_dm
    by_comp = np.argsort(composite, kind="stable")
    sorted_comp = composite[by_comp]
    rev_keys = edge_v * n + edge_u
    rev_rank = np.searchsorted(pair_keys, rev_keys)
    has_rev = (rev_rank < len(pair_keys)) & (
        pair_keys[np.minimum(rev_rank, len(pair_keys) - 1)] == rev_keys
    )
    target = rev_rank.astype(np.int64) * _LEN_SLOTS + edge_len_dm
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
        ("time", edge_time_ms * _LEN_SLOTS + edge_len_dm),
        ("length", edge_len_dm),
    ):
        order = np.lexsort((weight, edge_v, edge_u))
        first = np.ones(num_edges, dtype=bool)
        first[1:] = (edge_u[order][1:] != edge_u[order][:-1]) | (
            edge_v[order][1:] != edge_v[order][:-1]
        )
        best_edge[kind] = order[first]

    arrays = _GraphArrays(
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


def _edge_weight(arrays: _GraphArrays, kind: str, edges: npt.NDArray[np.int64]) -> Any:
    if kind == "time":
        return arrays.edge_time_ms[edges] * _LEN_SLOTS + arrays.edge_len_dm[edges]
    return arrays.edge_len_dm[edges]


# =========================================================================== snapping


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

    arrays = _graph_arrays(graph)
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


# =========================================================================== shortest paths


def _augmented_graph(arrays: _GraphArrays, snap: Snap, kind: str) -> sp.csr_matrix:
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
    weights = [_edge_weight(arrays, kind, best).astype(np.float64)]

    def part(edges: npt.NDArray[np.int64], share: npt.NDArray[np.float64]) -> Any:
        if kind == "time":
            t = np.rint(arrays.edge_time_ms[edges] * share)
            d = np.rint(arrays.edge_len_dm[edges] * share)
            return t * _LEN_SLOTS + d
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
    arrays: _GraphArrays,
    snap: Snap,
    kind: str,
    sources: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Network weights between snapped points (inf where none), multi-source Dijkstra."""
    from scipy.sparse import csgraph

    graph = _augmented_graph(arrays, snap, kind)
    n_nodes = arrays.num_nodes
    out = np.full((len(sources), len(targets)), np.inf)
    ok_src = np.flatnonzero(snap.is_reachable[sources])
    ok_tgt = np.flatnonzero(snap.is_reachable[targets])
    if len(ok_src) == 0 or len(ok_tgt) == 0:
        return out
    target_nodes = n_nodes + targets[ok_tgt]
    for start in range(0, len(ok_src), _SOURCE_CHUNK):
        chunk = ok_src[start : start + _SOURCE_CHUNK]
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
    ms = np.where(finite, ints // _LEN_SLOTS, np.inf)
    dm = np.where(finite, ints % _LEN_SLOTS, np.inf)
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
    arrays = _graph_arrays(graph)
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    n = len(lon_arr)
    snap = snap_points(graph, lon_arr, lat_arr, max_snap_m=max_snap_m)
    everyone = np.arange(n, dtype=np.int64)
    raw = _point_to_point(arrays, snap, "time", everyone, everyone)
    ms, dm = _split_time(raw)
    snap_leg_m = np.where(snap.is_reachable, snap.snap_distance_m, 0.0)
    snap_leg_s = snap_leg_m / (SNAP_LEG_SPEED_KPH * _KPH_TO_MPS)
    duration = snap_leg_s[:, None] + ms / 1000.0 * peak_travel_factor + snap_leg_s[None, :]
    distance = snap_leg_m[:, None] + dm / 10.0 + snap_leg_m[None, :]
    # Same road: a straight slow leg where it beats going round (identical points: 0).
    same_edge = (snap.edge_idx[:, None] == snap.edge_idx[None, :]) & snap.is_reachable[:, None]
    if same_edge.any():
        straight = great_circle_m(
            lon_arr[:, None], lat_arr[:, None], lon_arr[None, :], lat_arr[None, :]
        )
        straight_s = straight / (SNAP_LEG_SPEED_KPH * _KPH_TO_MPS)
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


# =========================================================================== approximate model


def approximate_duration_s(road_distance_m: Any, peak_travel_factor: float = 1.0) -> Any:
    """Drive time of an estimated road distance under :data:`APPROX_SPEED_BANDS`.

    Each band of the distance is driven at its band's speed in turn, so time rises with
    distance; the result is multiplied by ``peak_travel_factor``.

    Parameters
    ----------
    road_distance_m
        Estimated road distance(s), metres (a number or an array).
    peak_travel_factor
        Multiplies the time.

    Returns
    -------
    numpy.ndarray
        Seconds (float), the shape of ``road_distance_m``.
    """
    remaining = np.asarray(road_distance_m, dtype=np.float64)
    total_s = np.zeros_like(remaining)
    lower_m = 0.0
    for upper_m, speed_kph in APPROX_SPEED_BANDS:
        in_band = np.clip(remaining - lower_m, 0.0, upper_m - lower_m)
        total_s = total_s + in_band / (speed_kph * _KPH_TO_MPS)
        lower_m = upper_m
    return total_s * peak_travel_factor


def approximate_model_words(policy: Policy) -> str:
    """The sentence that labels an approximate matrix.

    Parameters
    ----------
    policy
        Gives the circuity and peak factors quoted.

    Returns
    -------
    str
        Starts "APPROXIMATE travel times:", so no reader mistakes it for road times.
    """
    bands = ", ".join(
        (
            f"{speed:g} km/h beyond {lower / 1000:g} km"
            if math.isinf(upper)
            else f"{speed:g} km/h up to {upper / 1000:g} km"
        )
        for (upper, speed), lower in zip(
            APPROX_SPEED_BANDS, (0.0, *(b[0] for b in APPROX_SPEED_BANDS[:-1])), strict=True
        )
    )
    peak = (
        f", peak factor x {policy.peak_travel_factor:g}" if policy.peak_travel_factor != 1.0 else ""
    )
    return (
        "APPROXIMATE travel times: straight-line distance x "
        f"{policy.approx_circuity_factor:g}, banded speeds ({bands}){peak} "
        "(no road network in this scenario)"
    )


def approximate_matrix(
    lons: Sequence[float] | npt.NDArray[np.float64],
    lats: Sequence[float] | npt.NDArray[np.float64],
    policy: Policy,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Estimated drive times and distances where there is no road network.

    Distance = great-circle distance x ``policy.approx_circuity_factor``; time from
    :func:`approximate_duration_s` x ``policy.peak_travel_factor``.

    Returns
    -------
    tuple of (duration_s, distance_m)
        Integer n x n arrays, symmetric, zero diagonal.
    """
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    straight = great_circle_m(
        lon_arr[:, None], lat_arr[:, None], lon_arr[None, :], lat_arr[None, :]
    )
    road_m = straight * policy.approx_circuity_factor
    duration = approximate_duration_s(road_m, policy.peak_travel_factor)
    return np.rint(duration).astype(np.int64), np.rint(road_m).astype(np.int64)


# =========================================================================== scenario matrix


def scenario_locations(scenario: Scenario) -> tuple[tuple[str, ...], Any, Any]:
    """Location ids and points of a scenario: pupils, then schools, then the depot.

    Parameters
    ----------
    scenario
        The scenario. The depot is included when ``policy.route_start`` is ``depot``.

    Returns
    -------
    tuple of (location_ids, lons, lats)
        Ids ``pupil:<id>``, ``school:<id>``, ``depot``; float arrays of degrees.
    """
    ids = [pupil_location_id(p.pupil_id) for p in scenario.pupils]
    lons = [p.lon for p in scenario.pupils]
    lats = [p.lat for p in scenario.pupils]
    ids += [school_location_id(s.school_id) for s in scenario.schools]
    lons += [s.lon for s in scenario.schools]
    lats += [s.lat for s in scenario.schools]
    policy = scenario.policy
    if (
        policy.route_start is RouteStart.DEPOT
        and policy.depot_lon is not None
        and policy.depot_lat is not None
    ):
        ids.append(DEPOT_LOCATION_ID)
        lons.append(policy.depot_lon)
        lats.append(policy.depot_lat)
    return tuple(ids), np.array(lons, dtype=np.float64), np.array(lats, dtype=np.float64)


def resolve_graph_path(graph_file: str, scenario_dir: Path | None) -> Path:
    """A scenario's graph file.

    Parameters
    ----------
    graph_file
        ``scenario.network.drive_graph`` or ``walk_graph``.
    scenario_dir
        The scenario folder; a relative path is resolved against it (or the working
        directory when None).

    Returns
    -------
    Path
    """
    path = Path(graph_file)
    if not path.is_absolute() and scenario_dir is not None:
        path = scenario_dir / path
    return path


def default_cache_dir() -> Path:
    """Where matrices are cached by default.

    Returns
    -------
    Path
        ``$XDG_CACHE_HOME/schoolrun/matrices``, else ``~/.cache/schoolrun/matrices``.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schoolrun" / "matrices"


@functools.lru_cache(maxsize=16)
def _file_sha256(resolved: str, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # cache key only
    digest = hashlib.sha256()
    with open(resolved, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _matrix_cache_key(
    graph_path: Path, lons: Any, lats: Any, peak_travel_factor: float, max_snap_m: float
) -> str:
    digest = hashlib.sha256()
    digest.update(f"v{MATRIX_CACHE_VERSION}".encode())
    digest.update(_file_sha256(*_file_key(graph_path)).encode())
    digest.update(np.ascontiguousarray(lons, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(lats, dtype="<f8").tobytes())
    digest.update(f"{peak_travel_factor!r}|{max_snap_m!r}".encode())
    return digest.hexdigest()[:40]


def _read_cached(path: Path, n: int) -> NetworkMatrix | None:
    try:
        with np.load(path) as data:
            cached = NetworkMatrix(
                duration_s=data["duration_s"].astype(np.int64),
                distance_m=data["distance_m"].astype(np.int64),
                snap_distance_m=data["snap_distance_m"].astype(np.float64),
                is_reachable=data["is_reachable"].astype(bool),
                is_island=data["is_island"].astype(bool),
            )
    except (OSError, KeyError, ValueError) as err:
        logger.warning("Ignoring unreadable matrix cache %s: %s", path, err)
        return None
    if cached.duration_s.shape != (n, n) or cached.distance_m.shape != (n, n):
        return None
    return cached


def _write_cached(path: Path, matrix: NetworkMatrix) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(
                fh,
                duration_s=matrix.duration_s,
                distance_m=matrix.distance_m,
                snap_distance_m=matrix.snap_distance_m,
                is_reachable=matrix.is_reachable,
                is_island=matrix.is_island,
            )
        os.replace(tmp, path)  # atomic: parallel workers never read half a file
    except OSError as err:
        logger.warning("Could not write matrix cache %s: %s", path, err)


def cached_network_matrix(
    graph_path: Path,
    lons: Any,
    lats: Any,
    *,
    peak_travel_factor: float = 1.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    cache_dir: Path | None = None,
) -> tuple[NetworkMatrix, bool]:
    """:func:`network_matrix` on a graph file, cached on disk.

    The cache file (npz) is keyed by the SHA-256 of the graph file's bytes, the points,
    the peak factor, ``max_snap_m`` and :data:`MATRIX_CACHE_VERSION`; it is written
    atomically, so parallel processes never read half a file.

    Parameters
    ----------
    graph_path
        A drive graph file (see :func:`load_road_graph`).
    lons, lats
        Points, degrees.
    peak_travel_factor, max_snap_m
        See :func:`network_matrix`.
    cache_dir
        Cache folder (default :func:`default_cache_dir`).

    Returns
    -------
    tuple of (NetworkMatrix, bool)
        The matrix and whether it came from the cache.
    """
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    key = _matrix_cache_key(graph_path, lon_arr, lat_arr, peak_travel_factor, max_snap_m)
    cache_file = folder / f"drive-matrix-{key}.npz"
    if cache_file.exists():
        cached = _read_cached(cache_file, len(lon_arr))
        if cached is not None:
            logger.info("Travel matrix from cache %s", cache_file)
            return cached, True
    graph = load_road_graph(
        graph_path,
        network_type="drive",
        cache_dir=None if cache_dir is None else cache_dir / "graphs",
    )
    started = time.perf_counter()
    matrix = network_matrix(
        graph, lon_arr, lat_arr, peak_travel_factor=peak_travel_factor, max_snap_m=max_snap_m
    )
    logger.info(
        "Travel matrix of %d points on %s in %.2f s",
        len(lon_arr),
        graph_path.name,
        time.perf_counter() - started,
    )
    _write_cached(cache_file, matrix)
    return matrix, False


def build_travel_matrix(
    scenario: Scenario,
    scenario_dir: Path | None,
    *,
    cache_dir: Path | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> TravelMatrix:
    """Drive times and distances between every pupil, school and (if used) the depot.

    With ``scenario.network.drive_graph`` set, on that road graph (see
    :func:`network_matrix`, cached by :func:`cached_network_matrix`); otherwise with the
    approximate model (:func:`approximate_matrix`), which the matrix's ``model`` says in
    capitals. Points that cannot be reached on the road graph (further than
    ``max_snap_m`` from its main component, e.g. on an island) are listed in
    ``TravelMatrix.unreachable``; their rows and columns hold :data:`UNREACHABLE_S` and
    :data:`UNREACHABLE_M`, and the rest of the scenario is unaffected.

    Parameters
    ----------
    scenario
        The scenario.
    scenario_dir
        Its folder: a relative ``drive_graph`` path is resolved against it.
    cache_dir
        Where matrices are cached (default :func:`default_cache_dir`).
    max_snap_m
        See :func:`snap_points`.

    Returns
    -------
    TravelMatrix
        Location ids ``pupil:<id>`` (scenario order), ``school:<id>``, ``depot``.

    Raises
    ------
    NetworkUnavailableError
        If the scenario names a drive graph that cannot be read.
    """
    ids, lons, lats = scenario_locations(scenario)
    policy = scenario.policy
    if not scenario.network.drive_graph:
        duration_s, distance_m = approximate_matrix(lons, lats, policy)
        model = approximate_model_words(policy)
        logger.info("%s", model)
        return TravelMatrix(
            location_ids=ids,
            lons=lons,
            lats=lats,
            duration_s=duration_s,
            distance_m=distance_m,
            model=model,
            is_approximate=True,
            snap_distance_m=np.zeros(len(ids)),
        )
    graph_path = resolve_graph_path(scenario.network.drive_graph, scenario_dir)
    matrix, _ = cached_network_matrix(
        graph_path,
        lons,
        lats,
        peak_travel_factor=policy.peak_travel_factor,
        max_snap_m=max_snap_m,
        cache_dir=cache_dir,
    )
    unreachable = tuple(loc for loc, ok in zip(ids, matrix.is_reachable, strict=True) if not ok)
    if unreachable:
        islands = [loc for loc, isl in zip(ids, matrix.is_island, strict=True) if isl]
        logger.warning(
            "%d location(s) cannot be reached on the road network (more than %.0f m from "
            "its main component%s): %s",
            len(unreachable),
            max_snap_m,
            f"; {len(islands)} on islands of the graph" if islands else "",
            ", ".join(unreachable[:20]) + (" ..." if len(unreachable) > 20 else ""),
        )
    description = scenario.network.description or graph_path.name
    peak = (
        f", peak factor x {policy.peak_travel_factor:g}" if policy.peak_travel_factor != 1.0 else ""
    )
    return TravelMatrix(
        location_ids=ids,
        lons=lons,
        lats=lats,
        duration_s=matrix.duration_s,
        distance_m=matrix.distance_m,
        model=f"Road network: {description} (OpenStreetMap, osmnx){peak}",
        is_approximate=False,
        snap_distance_m=matrix.snap_distance_m,
        unreachable=unreachable,
    )


# =========================================================================== walks and paths


class WalkRoute(NamedTuple):
    """A walk: its length in metres and its line, (lon, lat) points from home to school."""

    distance_m: float
    coords: tuple[tuple[float, float], ...]


def _sorted_pair_keys(arrays: _GraphArrays, kind: str) -> tuple[Any, Any]:
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


def _path_lines(
    arrays: _GraphArrays,
    snap: Snap,
    kind: str,
    pairs: Sequence[tuple[int, int]],
) -> list[tuple[float, list[tuple[float, float]]] | None]:
    """For each (origin point, destination point): network weight and projected line.

    One Dijkstra with predecessors per block of distinct origins (blocks bound memory).
    """
    from scipy.sparse import csgraph

    graph = _augmented_graph(arrays, snap, kind)
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
    arrays: _GraphArrays,
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


def _to_lonlat(arrays: _GraphArrays, line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if not line:
        return []
    xs, ys = zip(*line, strict=True)
    lons, lats = arrays.to_lonlat.transform(np.array(xs), np.array(ys))
    return [(round(float(x), 7), round(float(y), 7)) for x, y in zip(lons, lats, strict=True)]


def _dedupe(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or out[-1] != c:
            out.append(c)
    return out


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
    arrays = _graph_arrays(walk_graph)
    lons = [origin_lonlat[0], dest_lonlat[0]]
    lats = [origin_lonlat[1], dest_lonlat[1]]
    snap = snap_points(walk_graph, lons, lats, max_snap_m=max_snap_m)
    if not snap.is_reachable.all():
        return None
    if tuple(origin_lonlat) == tuple(dest_lonlat):
        point = (float(origin_lonlat[0]), float(origin_lonlat[1]))
        return WalkRoute(0.0, (point, point))
    (found,) = _path_lines(arrays, snap, "length", [(0, 1)])
    if found is None:
        return None
    weight, line = found
    distance_m = weight / 10.0 + float(snap.snap_distance_m[0] + snap.snap_distance_m[1])
    coords = _dedupe(
        [
            (float(origin_lonlat[0]), float(origin_lonlat[1])),
            *_to_lonlat(arrays, line),
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

    arrays = _graph_arrays(walk_graph)
    num_o, num_d = len(origins), len(destinations)
    points = [*origins, *destinations]
    if not points:
        return np.zeros((num_o, num_d))
    lons = np.array([p[0] for p in points], dtype=np.float64)
    lats = np.array([p[1] for p in points], dtype=np.float64)
    snap = snap_points(walk_graph, lons, lats, max_snap_m=max_snap_m)
    graph_t = _augmented_graph(arrays, snap, "length").T.tocsr()
    n_nodes = arrays.num_nodes
    out = np.full((num_o, num_d), np.inf)
    dest_ok = np.flatnonzero(snap.is_reachable[num_o:])
    orig_ok = np.flatnonzero(snap.is_reachable[:num_o])
    for start in range(0, len(dest_ok), _SOURCE_CHUNK):
        chunk = dest_ok[start : start + _SOURCE_CHUNK]
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
    arrays = _graph_arrays(graph)
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
    found = iter(_path_lines(arrays, snap, "time", pairs) if pairs else [])
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
                legs.append(_dedupe([start, *_to_lonlat(arrays, result[1]), end]))
        out.append(legs)
    return out


# =========================================================================== fetching


def _overpass_address() -> tuple[str, int]:
    import osmnx as ox

    parts = urlsplit(str(ox.settings.overpass_url))
    return parts.hostname or "overpass-api.de", parts.port or 443


def check_internet(address: tuple[str, int] | None = None, *, timeout_s: float = 5.0) -> None:
    """Check that a TCP connection to ``address`` opens quickly.

    Parameters
    ----------
    address
        (host, port); defaults to osmnx's Overpass server.
    timeout_s
        Give up after this many seconds.

    Raises
    ------
    NetworkUnavailableError
        If the connection cannot be opened (no internet, DNS failure, refused, timeout).
    """
    host, port = address if address is not None else _overpass_address()
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as err:
        msg = (
            f"No internet connection to {host}:{port} ({err.strerror or err}): road networks "
            "can only be fetched on a machine with internet. Fetch there with `schoolrun "
            "network fetch`, then copy the .graphml.gz files into the scenario folder."
        )
        raise NetworkUnavailableError(msg) from err


def fetch_network(
    place: str,
    buffer_km: float,
    out_dir: Path,
    *,
    check_address: tuple[str, int] | None = None,
    timeout_s: float = 5.0,
) -> tuple[Path, Path]:
    """Download a place's drive and walk graphs from OpenStreetMap and save them.

    The place's boundary (Nominatim) is buffered by ``buffer_km`` so that routes leaving
    and re-entering it, and out-of-area schools nearby, stay on the network.

    Parameters
    ----------
    place
        A Nominatim query, e.g. ``"London Borough of Havering"``.
    buffer_km
        Buffer around the boundary, km (>= 0).
    out_dir
        Folder for ``drive.graphml.gz`` and ``walk.graphml.gz`` (created if missing).
    check_address
        (host, port) to test connectivity against first (default: the Overpass server).
    timeout_s
        Connectivity test timeout, seconds.

    Returns
    -------
    tuple of (Path, Path)
        The drive and walk GraphML files (ODbL: keep "© OpenStreetMap contributors").

    Raises
    ------
    NetworkUnavailableError
        Without internet (detected within ``timeout_s``) or when the download fails.
    """
    import osmnx as ox

    if buffer_km < 0:
        msg = f"buffer_km must be >= 0, got {buffer_km}."
        raise InvalidScenarioError(msg)
    check_internet(check_address, timeout_s=timeout_s)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        boundary = ox.geocode_to_gdf(place)
        projected = ox.projection.project_gdf(boundary)
        buffered = projected.buffer(buffer_km * 1000.0).to_crs("EPSG:4326").union_all()
        saved: list[Path] = []
        for network_type in ("drive", "walk"):
            graph = ox.graph_from_polygon(buffered, network_type=network_type)
            target = out_dir / f"{network_type}.graphml.gz"
            with tempfile.TemporaryDirectory(prefix="schoolrun-fetch-") as tmp:
                plain = Path(tmp) / f"{network_type}.graphml"
                ox.save_graphml(graph, plain)
                with open(plain, "rb") as src, gzip.open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            logger.info("Saved %s graph of %s to %s", network_type, place, target)
            saved.append(target)
    except NetworkUnavailableError:
        raise
    except Exception as err:  # requests, Nominatim and Overpass errors all mean "could not"
        msg = f"Could not download the road network of {place!r}: {err}."
        raise NetworkUnavailableError(msg) from err
    return saved[0], saved[1]
