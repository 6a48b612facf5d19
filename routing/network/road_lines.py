"""A road graph drawn as lines: the faint road layer under the officer's routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

MAJOR_HIGHWAYS = frozenset(
    {"motorway", "trunk", "primary", "secondary"}
    | {f"{h}_link" for h in ("motorway", "trunk", "primary", "secondary")}
)
"""OSM ``highway`` classes drawn a little stronger than the rest."""

COORD_DECIMALS = 5
"""Decimal places kept in lon/lat (about 1 m): the layer is a backdrop, not a survey."""


def _is_major(highway: Any) -> bool:
    classes = highway if isinstance(highway, list) else [highway]
    return any(str(h) in MAJOR_HIGHWAYS for h in classes)


def road_lines_geojson(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Every road of ``graph`` once (a two-way road is two edges), as GeoJSON.

    Parameters
    ----------
    graph
        An unprojected (EPSG:4326) osmnx graph: nodes with ``x``/``y``, edges with an
        optional ``geometry`` and ``highway``.

    Returns
    -------
    dict
        A FeatureCollection of two MultiLineString features whose ``road_class`` is
        ``"major"`` (motorway to secondary) or ``"minor"`` (the rest); lon, lat rounded
        to :data:`COORD_DECIMALS` places.
    """
    lines: dict[str, list[list[list[float]]]] = {"major": [], "minor": []}
    seen: set[tuple[Any, Any, int]] = set()
    nodes = graph.nodes
    for u, v, data in graph.edges(data=True):
        # A two-way road is an edge each way with one length; parallel roads differ.
        key = (min(u, v), max(u, v), round(float(data.get("length", 0.0))))
        if key in seen:
            continue
        seen.add(key)
        geometry = data.get("geometry")
        points = (
            list(geometry.coords)
            if geometry is not None
            else [(nodes[u]["x"], nodes[u]["y"]), (nodes[v]["x"], nodes[v]["y"])]
        )
        line: list[list[float]] = []
        for x, y, *_ in points:
            point = [round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)]
            if not line or line[-1] != point:
                line.append(point)
        if len(line) >= 2:
            lines["major" if _is_major(data.get("highway")) else "minor"].append(line)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"road_class": road_class, "num_roads": len(coords)},
                "geometry": {"type": "MultiLineString", "coordinates": coords},
            }
            for road_class, coords in lines.items()
            if coords
        ],
    }
