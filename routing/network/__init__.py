"""Road graphs, snapping points to them, and travel matrices (one concern per module).

* :mod:`.graph` loads GraphML, OSM XML (:mod:`.osm`) or PBF with osmnx and sets UK speeds;
  :mod:`.cache` holds the cache folders and file fingerprints.
* :mod:`.arrays` turns a graph into arrays; :mod:`.snapping` puts points on its main component.
* :mod:`.paths` finds fastest paths between points (multi-source Dijkstra, sparse matrix).
* :mod:`.build` gives a scenario's :class:`~routing.matrix.TravelMatrix`: on its road graph
  (cached on disk) or, without one, with the approximate model (:mod:`.approximate`).
* :mod:`.walks` measures walks (eligibility); :mod:`.route_lines` draws routes on the roads;
  :mod:`.road_lines` draws the roads themselves (the map's faint road layer).
* :mod:`.fetch` downloads a place's graphs where there is internet.

Projected metres (UTM) stay inside this package; everything else is lon, lat. osmnx,
networkx, scipy, shapely and pyproj load inside the functions that use them (importing
osmnx alone takes seconds); :mod:`routing.matrix` needs none of them.
"""

from __future__ import annotations

from routing.network.approximate import (
    APPROX_SPEED_BANDS,
    approximate_duration_s,
    approximate_matrix,
    approximate_model_words,
)
from routing.network.build import (
    MATRIX_CACHE_VERSION,
    build_travel_matrix,
    cached_network_matrix,
    resolve_graph_path,
    scenario_locations,
)
from routing.network.cache import default_cache_dir, default_graph_cache_dir
from routing.network.fetch import check_internet, fetch_network
from routing.network.graph import (
    FALLBACK_SPEED_KPH,
    GRAPH_CACHE_VERSION,
    UK_HWY_SPEEDS_KPH,
    WALK_SPEED_KPH,
    load_road_graph,
    load_walk_graph,
)
from routing.network.paths import SNAP_LEG_SPEED_KPH, NetworkMatrix, network_matrix
from routing.network.road_lines import road_lines_geojson
from routing.network.route_lines import drive_path_coords, drive_routes_coords
from routing.network.snapping import DEFAULT_MAX_SNAP_M, Snap, snap_points
from routing.network.walks import WalkRoute, pupil_walk_distances_m, walk_distances_m, walk_route

__all__ = [
    "APPROX_SPEED_BANDS",
    "DEFAULT_MAX_SNAP_M",
    "FALLBACK_SPEED_KPH",
    "GRAPH_CACHE_VERSION",
    "MATRIX_CACHE_VERSION",
    "SNAP_LEG_SPEED_KPH",
    "UK_HWY_SPEEDS_KPH",
    "WALK_SPEED_KPH",
    "NetworkMatrix",
    "Snap",
    "WalkRoute",
    "approximate_duration_s",
    "approximate_matrix",
    "approximate_model_words",
    "build_travel_matrix",
    "cached_network_matrix",
    "check_internet",
    "default_cache_dir",
    "default_graph_cache_dir",
    "drive_path_coords",
    "drive_routes_coords",
    "fetch_network",
    "load_road_graph",
    "load_walk_graph",
    "network_matrix",
    "pupil_walk_distances_m",
    "resolve_graph_path",
    "road_lines_geojson",
    "scenario_locations",
    "snap_points",
    "walk_distances_m",
    "walk_route",
]
