"""A scenario's TravelMatrix: on its road graph (cached on disk) or approximate."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    collection_point_location_id,
    pupil_location_id,
    school_location_id,
)
from routing.model import RouteStart, Scenario
from routing.network.approximate import approximate_matrix, approximate_model_words
from routing.network.cache import default_cache_dir, file_key, file_sha256
from routing.network.graph import load_road_graph
from routing.network.paths import NetworkMatrix, network_matrix
from routing.network.snapping import DEFAULT_MAX_SNAP_M

logger = logging.getLogger(__name__)


MATRIX_CACHE_VERSION = 1
"""Bump when the speeds, snapping or matrix method change, so old cached matrices are unused."""


def scenario_locations(scenario: Scenario) -> tuple[tuple[str, ...], Any, Any]:
    """Location ids and points of a scenario: pupils, schools, collection points, depot.

    Parameters
    ----------
    scenario
        The scenario. The depot is included when ``policy.route_start`` is ``depot``.

    Returns
    -------
    tuple of (location_ids, lons, lats)
        Ids ``pupil:<id>``, ``school:<id>``, ``point:<id>``, ``depot``; float arrays of
        degrees.
    """
    ids = [pupil_location_id(p.pupil_id) for p in scenario.pupils]
    lons = [p.lon for p in scenario.pupils]
    lats = [p.lat for p in scenario.pupils]
    ids += [school_location_id(s.school_id) for s in scenario.schools]
    lons += [s.lon for s in scenario.schools]
    lats += [s.lat for s in scenario.schools]
    ids += [collection_point_location_id(c.point_id) for c in scenario.collection_points]
    lons += [c.lon for c in scenario.collection_points]
    lats += [c.lat for c in scenario.collection_points]
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


def _matrix_cache_key(
    graph_path: Path, lons: Any, lats: Any, peak_travel_factor: float, max_snap_m: float
) -> str:
    digest = hashlib.sha256()
    digest.update(f"v{MATRIX_CACHE_VERSION}".encode())
    digest.update(file_sha256(*file_key(graph_path)).encode())
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
        Location ids ``pupil:<id>`` (scenario order), ``school:<id>``, ``point:<id>``,
        ``depot``.

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
