"""What the officer's map draws without tiles: the scenario's boundary and roads."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from shapely.geometry import LineString

from routing.basemap import base_layers, boundary_files, read_boundary
from routing.dataset import load_scenario
from routing.errors import InvalidScenarioError
from routing.network.road_lines import road_lines_geojson

DATA = Path(__file__).resolve().parents[2] / "data"


def test_havering_ships_its_real_boundary_with_the_attribution_its_licence_asks() -> None:
    (path,) = boundary_files(DATA / "havering")
    layer = read_boundary(path)
    assert layer.name == "boundary" and "Crown copyright" in layer.attribution
    (feature,) = layer.geojson["features"]
    assert feature["properties"]["name"] == "Havering"
    ring = feature["geometry"]["coordinates"][0]
    assert len(ring) > 2000  # the full-resolution GLA polygon, not a box
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    # data/SOURCES.md: bbox 0.13816, 51.48769 - 0.33402, 51.63173
    assert min(lons) == pytest.approx(0.13816, abs=1e-4)
    assert max(lats) == pytest.approx(51.63173, abs=1e-4)


def test_rutland_has_boundary_and_roads_layers_each_attributed() -> None:
    folder = DATA / "rutland"
    boundary, roads = base_layers(load_scenario(folder), folder)
    assert boundary.geojson["features"][0]["properties"]["name"] == "Rutland"
    assert "Crown copyright" in boundary.attribution
    assert roads.name == "roads" and "OpenStreetMap" in roads.attribution
    classes = {f["properties"]["road_class"]: f for f in roads.geojson["features"]}
    assert set(classes) == {"major", "minor"}
    num_lines = sum(len(f["geometry"]["coordinates"]) for f in classes.values())
    # The drive graph has 5,738 directed edges; most roads are two-way, drawn once.
    assert 2500 < num_lines < 5738


def test_a_scenario_without_a_folder_has_no_layers() -> None:
    assert base_layers(load_scenario(DATA / "havering"), None) == []


def test_a_two_way_road_is_drawn_once_along_its_geometry_and_classed() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node(1, x=0.0, y=51.0)
    graph.add_node(2, x=0.01, y=51.0)
    graph.add_node(3, x=0.01, y=51.01)
    bend = LineString([(0.0, 51.0), (0.005, 51.002), (0.01, 51.0)])
    graph.add_edge(1, 2, length=800.0, highway="primary", geometry=bend)
    graph.add_edge(2, 1, length=800.0, highway="primary", geometry=LineString(bend.coords[::-1]))
    graph.add_edge(2, 3, length=1100.0, highway=["residential", "unclassified"])
    collection = road_lines_geojson(graph)
    by_class = {f["properties"]["road_class"]: f["geometry"] for f in collection["features"]}
    assert by_class["major"]["coordinates"] == [[[0.0, 51.0], [0.005, 51.002], [0.01, 51.0]]]
    assert by_class["minor"]["coordinates"] == [[[0.01, 51.0], [0.01, 51.01]]]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "could not be read as GeoJSON"),  # a broken file
        (json.dumps({"type": "Polygon", "coordinates": []}), "not a GeoJSON Feature"),
        (  # a boundary must be an area, not a line
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "geometry": {"type": "Point"}}],
                }
            ),
            "feature 1: the geometry must be a Polygon",
        ),
    ],
)
def test_a_malformed_boundary_file_is_refused_naming_it(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "area_boundary.geojson"
    path.write_text(document, encoding="utf-8")
    assert boundary_files(tmp_path) == [path]
    with pytest.raises(InvalidScenarioError, match=f"'area_boundary.geojson'.*{message}"):
        read_boundary(path)
