"""What the officer's map draws under the routes when it has no tile server.

A scenario folder may hold the area's boundary as GeoJSON (``boundary.geojson`` or
``<name>_boundary.geojson``, polygons in lon/lat, with an ``attribution`` member naming
its source and licence); a scenario with a drive graph has its roads. Both are real open
data, drawn faintly so that the routes stand out (data/README.md, "The format").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.errors import InvalidScenarioError
from routing.model import Scenario

BOUNDARY_FILE_SUFFIX = "boundary.geojson"
"""A scenario file whose name ends so is a boundary drawn on the map."""

_POLYGONS = ("Polygon", "MultiPolygon")
_NAME_KEYS = ("name", "NAME", "lad17nm", "LAD17NM")
_DECIMALS = 5  # about 1 m: a backdrop


@dataclass(frozen=True, slots=True)
class BaseLayer:
    """One layer under the routes: ``name`` is ``"boundary"`` or ``"roads"``."""

    name: str
    attribution: str
    geojson: dict[str, Any]


def boundary_files(scenario_dir: Path) -> list[Path]:
    """The scenario folder's boundary files (see :data:`BOUNDARY_FILE_SUFFIX`), sorted."""
    return sorted(
        p
        for p in scenario_dir.iterdir()
        if p.is_file() and p.name.lower().endswith(BOUNDARY_FILE_SUFFIX)
    )


def _rounded(coords: Any) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(c), _DECIMALS) for c in coords[:2]]
    return [_rounded(c) for c in coords]


def read_boundary(path: Path) -> BaseLayer:
    """A boundary file as a layer: its polygons, each with its ``name``.

    Parameters
    ----------
    path
        A GeoJSON FeatureCollection or Feature of Polygon/MultiPolygon geometries in
        lon, lat (EPSG:4326); a string ``attribution`` member is kept.

    Returns
    -------
    BaseLayer
        Named ``"boundary"``; coordinates rounded to 5 decimal places.

    Raises
    ------
    InvalidScenarioError
        If the file is not JSON, not a Feature(Collection), or a geometry is not a polygon.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        msg = f"Boundary file '{path.name}' could not be read as GeoJSON: {err}."
        raise InvalidScenarioError(msg) from err
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in ("FeatureCollection", "Feature"):
        msg = f"Boundary file '{path.name}' is not a GeoJSON Feature or FeatureCollection."
        raise InvalidScenarioError(msg)
    raw = document.get("features", []) if kind == "FeatureCollection" else [document]
    features: list[dict[str, Any]] = []
    for k, feature in enumerate(raw, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in _POLYGONS:
            msg = (
                f"Boundary file '{path.name}' feature {k}: the geometry must be a Polygon or "
                "MultiPolygon in lon, lat."
            )
            raise InvalidScenarioError(msg)
        properties = feature.get("properties") or {}
        name = next((str(properties[key]) for key in _NAME_KEYS if properties.get(key)), "")
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _rounded(geometry.get("coordinates", [])),
                },
            }
        )
    attribution = document.get("attribution")
    return BaseLayer(
        name="boundary",
        attribution=attribution if isinstance(attribution, str) else "",
        geojson={"type": "FeatureCollection", "features": features},
    )


def base_layers(scenario: Scenario, scenario_dir: Path | None) -> list[BaseLayer]:
    """The boundary and road layers of a scenario, boundaries first.

    Parameters
    ----------
    scenario
        Its ``network.drive_graph`` (if any) gives the roads and
        ``network.description`` their attribution.
    scenario_dir
        The scenario folder (boundary files and a relative graph path); None: a
        scenario with no folder has no layers.

    Returns
    -------
    list of BaseLayer
        Empty when there is nothing to draw.

    Raises
    ------
    InvalidScenarioError
        If a boundary file is malformed.
    NetworkUnavailableError
        If the scenario's drive graph cannot be read.
    """
    if scenario_dir is None or not scenario_dir.is_dir():
        return []
    layers = [read_boundary(path) for path in boundary_files(scenario_dir)]
    if scenario.network.drive_graph:
        from routing import network  # osmnx and networkx load only for a road layer

        graph_path = network.resolve_graph_path(scenario.network.drive_graph, scenario_dir)
        graph = network.load_road_graph(graph_path, network_type="drive")
        layers.append(
            BaseLayer("roads", scenario.network.description, network.road_lines_geojson(graph))
        )
    return layers
