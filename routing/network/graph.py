"""Loading road graphs (GraphML, OSM XML, PBF) with UK speeds, pickled once prepared."""

from __future__ import annotations

import ast
import contextlib
import functools
import gzip
import hashlib
import logging
import math
import os
import pickle
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routing.errors import InvalidScenarioError, NetworkUnavailableError
from routing.network.cache import default_graph_cache_dir, file_key, file_sha256
from routing.network.osm import graph_from_osm_file

if TYPE_CHECKING:
    import networkx as nx


logger = logging.getLogger(__name__)


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

KPH_TO_MPS = 1000.0 / 3600.0


def _gz_text(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


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
    graph = _load_graph_cached(*file_key(Path(path)), network_type, str(folder))
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
            graph = graph_from_osm_file(path, network_type)
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


def _graph_pickle_path(
    folder: Path, resolved: str, mtime_ns: int, size: int, network_type: str
) -> Path:
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(file_sha256(resolved, mtime_ns, size).encode())
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
