"""Road graphs, snapping, travel matrices, walks and fetching (routing/network/).

Most tests use a synthetic grid near (3 E, 0 N), where one UTM metre is one metre to
within 0.1%: 4 x 4 junctions 0.01 degrees (about 1.1 km) apart, every edge two-way with a
``length`` of 1000 m and a ``travel_time`` of 100 s, so times and distances can be
checked by hand. The Rutland tests use the real OSM graph the data helper copies into
``data/rutland/`` and are skipped until it is there.
"""

from __future__ import annotations

import gzip
import itertools
import socket
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from shapely.geometry import LineString

import routing.network.build as network_build
import routing.network.graph as network_graph
from routing.errors import InvalidScenarioError, NetworkUnavailableError
from routing.matrix import (
    DEPOT_LOCATION_ID,
    UNREACHABLE_M,
    UNREACHABLE_S,
    TravelMatrix,
    great_circle_m,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    NetworkSource,
    Policy,
    Pupil,
    RouteStart,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleType,
)
from routing.network import (
    SNAP_LEG_SPEED_KPH,
    approximate_duration_s,
    build_travel_matrix,
    drive_path_coords,
    drive_routes_coords,
    fetch_network,
    load_road_graph,
    network_matrix,
    pupil_walk_distances_m,
    snap_points,
    walk_distances_m,
    walk_route,
)

LON0, LAT0 = 3.0, 0.0
STEP_DEG = 0.01
EDGE_LEN_M = 1000.0
EDGE_TIME_S = 100.0
M_PER_DEG_LAT = 110_574.0  # at the equator
SNAP_MPS = SNAP_LEG_SPEED_KPH * 1000 / 3600
REPO = Path(__file__).resolve().parents[2]


def _node(i: int, j: int) -> int:
    return 100 + 10 * i + j


def _grid_graph(size: int = 4) -> nx.MultiDiGraph:
    """size x size junctions; node (i, j) at lon LON0 + i*STEP, lat LAT0 + j*STEP."""
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for i, j in itertools.product(range(size), repeat=2):
        graph.add_node(_node(i, j), x=LON0 + i * STEP_DEG, y=LAT0 + j * STEP_DEG)
    for i, j in itertools.product(range(size), repeat=2):
        for di, dj in ((1, 0), (0, 1)):
            if i + di < size and j + dj < size:
                a, b = _node(i, j), _node(i + di, j + dj)
                for u, v in ((a, b), (b, a)):
                    graph.add_edge(
                        u,
                        v,
                        length=EDGE_LEN_M,
                        travel_time=EDGE_TIME_S,
                        highway="residential",
                        oneway=False,
                        osmid=1,
                    )
    return graph


def _add_island(graph: nx.MultiDiGraph) -> None:
    """A two-way road 0.5 degrees (55 km) east of the grid, joined to nothing."""
    graph.add_node(900, x=LON0 + 0.5, y=LAT0)
    graph.add_node(901, x=LON0 + 0.5, y=LAT0 + STEP_DEG)
    for u, v in ((900, 901), (901, 900)):
        graph.add_edge(u, v, length=EDGE_LEN_M, travel_time=EDGE_TIME_S, highway="residential")


def _grid_point(i: float, j: float, *, north_m: float = 0.0) -> tuple[float, float]:
    return (LON0 + i * STEP_DEG, LAT0 + j * STEP_DEG + north_m / M_PER_DEG_LAT)


def _save_graphml_gz(graph: nx.MultiDiGraph, path: Path) -> Path:
    plain = path.with_suffix("")
    ox.save_graphml(graph, plain)
    with open(plain, "rb") as src, gzip.open(path, "wb") as dst:
        dst.write(src.read())
    plain.unlink()
    return path


def _scenario(
    pupil_points: list[tuple[float, float]],
    school_point: tuple[float, float],
    *,
    drive_graph: str = "",
    policy: Policy | None = None,
) -> Scenario:
    school = School(
        school_id="S1",
        name="Grid School",
        lon=school_point[0],
        lat=school_point[1],
        kind=SchoolKind.SPECIAL,
        am_start_s=9 * 3600,
        pm_end_s=15 * 3600,
    )
    pupils = tuple(
        Pupil(pupil_id=f"P{k}", school_id="S1", lon=lon, lat=lat, year_group=5)
        for k, (lon, lat) in enumerate(pupil_points)
    )
    return Scenario(
        name="grid",
        schools=(school,),
        pupils=pupils,
        vehicle_types=(VehicleType("Taxi", VehicleCategory.TAXI, capacity_seats=4),),
        policy=policy or Policy(),
        network=NetworkSource(drive_graph=drive_graph, description="test grid"),
    )


@pytest.fixture
def grid() -> nx.MultiDiGraph:
    return _grid_graph()


# --------------------------------------------------------------------------- matrices


def test_matrix_between_junctions_counts_edges_by_hand(grid: nx.MultiDiGraph) -> None:
    # Corner (0,0) to corner (3,3): 6 edges; (0,0) to (1,0): 1 edge.
    points = [_grid_point(0, 0), _grid_point(3, 3), _grid_point(1, 0)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.duration_s[0, 1] == 600
    assert m.distance_m[0, 1] == 6000
    assert m.duration_s[0, 2] == 100
    assert m.distance_m[2, 1] == 5000
    assert np.all(np.diag(m.duration_s) == 0)
    np.testing.assert_allclose(m.snap_distance_m, 0.0, atol=0.01)


def test_matrix_scales_network_time_by_peak_factor(grid: nx.MultiDiGraph) -> None:
    points = [_grid_point(0, 0), _grid_point(3, 3)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points], peak_travel_factor=1.5)
    assert m.duration_s[0, 1] == 900
    assert m.distance_m[0, 1] == 6000  # distance does not change with traffic


def test_point_mid_edge_goes_either_way_with_its_share_of_the_edge(
    grid: nx.MultiDiGraph,
) -> None:
    # Halfway along the edge (1,0)-(2,0): 50 s to either end, then whole edges.
    points = [_grid_point(1.5, 0), _grid_point(0, 0), _grid_point(3, 0)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.duration_s[0, 1] == 150
    assert m.duration_s[0, 2] == 150
    assert m.duration_s[1, 0] == 150
    assert m.distance_m[0, 1] == 1500


def test_snap_distance_is_the_perpendicular_to_the_road_and_adds_a_slow_leg(
    grid: nx.MultiDiGraph,
) -> None:
    # 200 m south of the middle of the bottom edge (0,0)-(1,0), i.e. off the grid.
    points = [_grid_point(0.5, 0, north_m=-200.0), _grid_point(0, 0)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.snap_distance_m[0] == pytest.approx(200.0, abs=1.0)
    expected_s = 200.0 / SNAP_MPS + 50.0
    assert m.duration_s[0, 1] == pytest.approx(expected_s, abs=1)
    assert m.distance_m[0, 1] == pytest.approx(200 + 500, abs=1)


def test_points_on_one_road_are_joined_along_it_and_identical_points_are_zero_apart(
    grid: nx.MultiDiGraph,
) -> None:
    points = [_grid_point(0.25, 0), _grid_point(0.75, 0), _grid_point(0.25, 0)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.duration_s[0, 1] == 50  # half an edge, not round by a junction
    assert m.distance_m[0, 1] == 500
    assert m.duration_s[0, 2] == 0  # two pupils at one address
    assert m.distance_m[0, 2] == 0


def test_matrix_on_two_way_grid_is_symmetric_and_meets_the_triangle_inequality(
    grid: nx.MultiDiGraph,
) -> None:
    rng = np.random.default_rng(7)
    lons = LON0 + rng.uniform(-0.002, 3 * STEP_DEG + 0.002, 25)
    lats = LAT0 + rng.uniform(-0.002, 3 * STEP_DEG + 0.002, 25)
    m = network_matrix(grid, lons, lats)
    assert np.abs(m.duration_s - m.duration_s.T).max() <= 1  # rounding only
    d = m.duration_s
    via = d[:, :, None] + d[None, :, :]  # i -> k -> j as [i, k, j]
    assert (d[:, None, :] <= via + 2).all()


def test_one_way_street_makes_the_matrix_asymmetric(grid: nx.MultiDiGraph) -> None:
    # Close (1,0) -> (0,0): from (1,0) to (0,0) one must go round the block.
    grid.remove_edge(_node(1, 0), _node(0, 0))
    points = [_grid_point(0, 0), _grid_point(1, 0)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.duration_s[0, 1] == 100
    assert m.duration_s[1, 0] == 300


def test_point_on_a_longer_parallel_road_can_leave_it_either_way(
    grid: nx.MultiDiGraph,
) -> None:
    # A second, two-way road from (0,0) to (1,0) bulging 0.005 degrees south: 1500 m,
    # 150 s. Halfway along it a pupil is 75 s from both ends, not only downstream.
    a, b = _node(0, 0), _node(1, 0)
    south = LAT0 - 0.005
    bulge = [(LON0, LAT0), (LON0, south), (LON0 + STEP_DEG, south), (LON0 + STEP_DEG, LAT0)]
    for u, v, line in ((a, b, bulge), (b, a, bulge[::-1])):
        grid.add_edge(u, v, length=1500.0, travel_time=150.0, geometry=LineString(line))
    point = (LON0 + STEP_DEG / 2, south)
    stops = [point, _grid_point(0, 0), _grid_point(1, 0)]
    m = network_matrix(grid, [p[0] for p in stops], [p[1] for p in stops])
    assert m.snap_distance_m[0] == pytest.approx(0.0, abs=0.5)
    assert m.duration_s[0, 1] == 75
    assert m.duration_s[0, 2] == 75
    assert m.duration_s[1, 0] == 75


def test_points_beyond_the_main_component_are_reported_unreachable_not_fatal(
    grid: nx.MultiDiGraph,
) -> None:
    _add_island(grid)
    points = [_grid_point(0, 0), (LON0 + 0.5, LAT0 + 0.005), _grid_point(3, 3)]
    m = network_matrix(grid, [p[0] for p in points], [p[1] for p in points])
    assert m.is_reachable.tolist() == [True, False, True]
    assert m.is_island.tolist() == [False, True, False]
    assert m.duration_s[1, 0] == UNREACHABLE_S
    assert m.distance_m[0, 1] == UNREACHABLE_M
    assert m.duration_s[0, 2] == 600  # the rest is unaffected


def test_snapping_skips_one_way_stubs_outside_the_main_component(
    grid: nx.MultiDiGraph,
) -> None:
    # A one-way spur out of (0,0) going south: a vehicle could enter but never leave.
    grid.add_node(500, x=LON0, y=LAT0 - STEP_DEG)
    grid.add_edge(_node(0, 0), 500, length=EDGE_LEN_M, travel_time=EDGE_TIME_S)
    point = _grid_point(0, -0.5, north_m=0.0)  # on the spur, 553 m south of (0,0)
    snap = snap_points(grid, [point[0]], [point[1]])
    assert snap.is_reachable[0]
    assert snap.snap_distance_m[0] == pytest.approx(0.5 * STEP_DEG * M_PER_DEG_LAT, abs=2)


# --------------------------------------------------------------------------- loading


def test_load_road_graph_sets_uk_speeds_limits_lower_but_never_raise(tmp_path: Path) -> None:
    graph = _grid_graph(2)
    edges = list(graph.edges(keys=True))
    graph.edges[edges[0]]["highway"] = "unclassified"
    graph.edges[edges[0]]["maxspeed"] = "20 mph"  # a 20 zone on a 40 km/h class
    graph.edges[edges[1]]["maxspeed"] = "60 mph"  # national limit on a residential street
    graph.edges[edges[2]]["highway"] = "living_street"
    path = _save_graphml_gz(graph, tmp_path / "g.graphml.gz")
    loaded = load_road_graph(path, cache_dir=tmp_path)
    speeds = {k: loaded.edges[k]["speed_kph"] for k in edges[:4]}
    assert speeds[edges[0]] == pytest.approx(32.187, abs=0.01)  # the limit lowers it
    assert speeds[edges[1]] == pytest.approx(30.0)  # a limit never raises the class speed
    assert speeds[edges[2]] == pytest.approx(15.0)
    assert loaded.edges[edges[3]]["travel_time"] == pytest.approx(1000 / (30 / 3.6))


def test_load_road_graph_scales_travel_time_by_peak_factor(tmp_path: Path) -> None:
    path = _save_graphml_gz(_grid_graph(2), tmp_path / "g.graphml.gz")
    base = load_road_graph(path, cache_dir=tmp_path)
    peak = load_road_graph(path, peak_travel_factor=1.4, cache_dir=tmp_path)
    edge = next(iter(base.edges(keys=True)))
    assert peak.edges[edge]["travel_time"] == pytest.approx(1.4 * base.edges[edge]["travel_time"])
    assert (
        load_road_graph(path, cache_dir=tmp_path) is base
    )  # loaded once per process, the copy is separate


def test_prepared_graph_is_pickled_so_a_new_process_skips_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save_graphml_gz(_grid_graph(), tmp_path / "g.graphml.gz")
    first = load_road_graph(path, cache_dir=tmp_path / "graphs")
    assert len(list((tmp_path / "graphs").glob("drive-graph-*.pickle"))) == 1
    network_graph._load_graph_cached.cache_clear()  # as if in a new process

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("GraphML must not be parsed on a cache hit")

    monkeypatch.setattr(ox, "load_graphml", no_parse)
    again = load_road_graph(path, cache_dir=tmp_path / "graphs")
    assert again is not first
    assert nx.utils.edges_equal(again.edges(data="travel_time"), first.edges(data="travel_time"))


_OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="52.600" lon="-0.700" version="1"/>
  <node id="2" lat="52.600" lon="-0.690" version="1"/>
  <node id="3" lat="52.605" lon="-0.690" version="1"/>
  <node id="4" lat="52.605" lon="-0.700" version="1"/>
  <node id="5" lat="52.595" lon="-0.690" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="20 mph"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="unclassified"/></way>
  <way id="13" version="1"><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="residential"/></way>
  <way id="12" version="1"><nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.mark.parametrize(
    ("network_type", "footway_kept"),
    [
        ("drive", False),  # osmnx's drive filter drops footways
        ("walk", True),  # the walk filter keeps them
    ],
)
@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_load_road_graph_reads_osm_xml_and_pbf_with_the_network_filter(
    tmp_path: Path, network_type: str, footway_kept: bool, suffix: str
) -> None:
    import osmium

    xml = tmp_path / "roads.osm"
    xml.write_text(_OSM_XML, encoding="utf-8")
    path = xml
    if suffix == ".osm.pbf":
        path = tmp_path / "roads.osm.pbf"
        writer = osmium.SimpleWriter(str(path))
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
        writer.close()
    graph = load_road_graph(path, network_type=network_type, cache_dir=tmp_path / "graphs")
    highways = {str(d.get("highway")) for _, _, d in graph.edges(data=True)}
    assert ("footway" in highways) is footway_kept
    assert all(d["travel_time"] > 0 for _, _, d in graph.edges(data=True))


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.graphml.gz", None, "cannot be read"),  # no such file
        ("roads.shp", b"x", "is not GraphML"),  # unknown kind
        ("broken.graphml", b"<graphml><not closed", "could not be read"),  # bad XML
    ],
)
def test_load_road_graph_fails_with_network_unavailable(
    tmp_path: Path, name: str, content: bytes | None, match: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(NetworkUnavailableError, match=match):
        load_road_graph(path, cache_dir=tmp_path)


# --------------------------------------------------------------------------- scenario matrix


def test_build_travel_matrix_on_a_graph_file_labels_the_model_and_lists_unreachable(
    tmp_path: Path,
) -> None:
    graph = _grid_graph()
    _add_island(graph)
    _save_graphml_gz(graph, tmp_path / "drive.graphml.gz")
    pupils = [_grid_point(0, 0), (LON0 + 0.5, LAT0 + 0.005), _grid_point(2, 2)]
    depot = _grid_point(3, 0)
    policy = Policy(route_start=RouteStart.DEPOT, depot_lon=depot[0], depot_lat=depot[1])
    scenario = _scenario(pupils, _grid_point(3, 3), drive_graph="drive.graphml.gz", policy=policy)
    matrix = build_travel_matrix(scenario, tmp_path, cache_dir=tmp_path / "cache")
    assert matrix.location_ids == (
        pupil_location_id("P0"),
        pupil_location_id("P1"),
        pupil_location_id("P2"),
        school_location_id("S1"),
        DEPOT_LOCATION_ID,
    )
    assert matrix.model == "Road network: test grid (OpenStreetMap, osmnx)"
    assert not matrix.is_approximate
    assert matrix.unreachable == ("pupil:P1",)
    # Residential at 30 km/h: 1000 m edges take 120 s. P0 (0,0) -> school (3,3): 6 edges.
    school = matrix.index("school:S1")
    assert matrix.duration_s[matrix.index("pupil:P0"), school] == 720
    assert matrix.distance_m[matrix.index("depot"), school] == 3000


def test_build_travel_matrix_second_call_comes_from_the_disk_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save_graphml_gz(_grid_graph(), tmp_path / "drive.graphml.gz")
    scenario = _scenario(
        [_grid_point(0, 0), _grid_point(1, 2)], _grid_point(3, 3), drive_graph="drive.graphml.gz"
    )
    cache = tmp_path / "cache"
    first = build_travel_matrix(scenario, tmp_path, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 1

    def no_compute(*args: object, **kwargs: object) -> None:
        raise AssertionError("network_matrix must not run on a cache hit")

    monkeypatch.setattr(network_build, "network_matrix", no_compute)
    second = build_travel_matrix(scenario, tmp_path, cache_dir=cache)
    np.testing.assert_array_equal(first.duration_s, second.duration_s)
    np.testing.assert_array_equal(first.distance_m, second.distance_m)
    # A different peak factor is a different matrix: computed, not read.
    peak = _scenario(
        [_grid_point(0, 0), _grid_point(1, 2)],
        _grid_point(3, 3),
        drive_graph="drive.graphml.gz",
        policy=Policy(peak_travel_factor=1.3),
    )
    with pytest.raises(AssertionError, match="cache hit"):
        build_travel_matrix(peak, tmp_path, cache_dir=cache)


def test_build_travel_matrix_without_a_network_is_approximate_and_says_so() -> None:
    # Two points 0.01 degrees of latitude apart (1,112 m) near London.
    scenario = _scenario([(0.2, 51.55)], (0.2, 51.56))
    matrix = build_travel_matrix(scenario, None)
    assert matrix.is_approximate
    assert matrix.model.startswith(
        "APPROXIMATE travel times: straight-line distance x 1.35, banded speeds"
    )
    assert "no road network in this scenario" in matrix.model
    road_m = 1111.95 * 1.35
    assert matrix.distance_m[0, 1] == pytest.approx(road_m, abs=1)
    assert matrix.duration_s[0, 1] == pytest.approx(road_m / (20 / 3.6), abs=1)
    assert (matrix.duration_s == matrix.duration_s.T).all()
    assert matrix.unreachable == ()


@pytest.mark.parametrize(
    ("road_m", "expected_s"),
    [
        (0.0, 0.0),  # nowhere
        (1_000.0, 180.0),  # 1 km at 20 km/h
        (2_000.0, 360.0),  # the whole first band
        (4_000.0, 360.0 + 240.0),  # + 2 km at 30 km/h
        (20_000.0, 360.0 + 960.0 + 800.0),  # + 8 km at 30, + 10 km at 45 km/h
    ],
)
def test_approximate_speed_bands_are_marginal(road_m: float, expected_s: float) -> None:
    assert float(approximate_duration_s(road_m)) == pytest.approx(expected_s)


def test_approximate_time_never_falls_as_distance_grows() -> None:
    distances = np.linspace(0, 30_000, 601)
    times = approximate_duration_s(distances, 1.2)
    assert (np.diff(times) > 0).all()


# --------------------------------------------------------------------------- walks and paths


def test_walk_route_follows_footpaths_with_snap_legs(grid: nx.MultiDiGraph) -> None:
    origin = _grid_point(0, 0, north_m=-100.0)  # 100 m south of junction (0,0)
    dest = _grid_point(2, 0)
    route = walk_route(grid, origin, dest)
    assert route is not None
    assert route.distance_m == pytest.approx(100 + 2000, abs=1)
    assert route.coords[0] == pytest.approx(origin)
    assert route.coords[-1] == pytest.approx(dest)
    assert any(c == pytest.approx(_grid_point(1, 0), abs=1e-6) for c in route.coords)


def test_walk_route_is_none_when_a_point_is_off_the_network(grid: nx.MultiDiGraph) -> None:
    assert walk_route(grid, _grid_point(0, 0), (LON0 - 0.2, LAT0)) is None


def test_walk_distances_batch_agrees_with_single_routes(grid: nx.MultiDiGraph) -> None:
    origins = [_grid_point(0, 0), _grid_point(0.3, 1.0), (LON0 - 0.2, LAT0)]
    dests = [_grid_point(3, 3), _grid_point(2.5, 0, north_m=50.0)]
    batch = walk_distances_m(grid, origins, dests)
    assert batch.shape == (3, 2)
    for i, j in itertools.product(range(2), range(2)):
        route = walk_route(grid, origins[i], dests[j])
        assert route is not None
        assert batch[i, j] == pytest.approx(route.distance_m, abs=0.2)
    assert np.isinf(batch[2]).all()  # off the network


def test_pupil_walk_distances_measure_home_to_own_school(grid: nx.MultiDiGraph) -> None:
    scenario = _scenario([_grid_point(0, 0), (LON0 - 0.2, LAT0)], _grid_point(0, 2))
    distances = pupil_walk_distances_m(grid, scenario)
    assert distances == {"P0": pytest.approx(2000.0), "P1": None}


def test_drive_path_coords_gives_one_road_line_per_leg(grid: nx.MultiDiGraph) -> None:
    stops = [_grid_point(0, 0), _grid_point(2, 0), _grid_point(2, 1.5)]
    legs = drive_path_coords(grid, stops)
    assert len(legs) == 2
    assert legs[0][0] == pytest.approx(stops[0])
    assert legs[0][-1] == pytest.approx(stops[1])
    assert legs[1][-1] == pytest.approx(stops[2])
    lons = [c[0] for c in legs[0]]
    assert lons == sorted(lons)  # straight along the bottom road
    assert any(c == pytest.approx(_grid_point(2, 1), abs=1e-6) for c in legs[1])
    assert LineString(legs[1]).length == pytest.approx(1.5 * STEP_DEG, rel=1e-3)


def test_drive_routes_coords_batch_matches_one_route_at_a_time(grid: nx.MultiDiGraph) -> None:
    routes = [
        [_grid_point(0, 0), _grid_point(2, 0), _grid_point(2, 1.5)],
        [_grid_point(3, 3), _grid_point(0.5, 1)],
        [_grid_point(1, 1)],  # one stop: no legs
    ]
    batch = drive_routes_coords(grid, routes)
    assert [len(legs) for legs in batch] == [2, 1, 0]
    for route, legs in zip(routes, batch, strict=True):
        assert legs == drive_path_coords(grid, route)


def test_drive_leg_to_an_unreachable_stop_is_a_straight_segment(grid: nx.MultiDiGraph) -> None:
    far = (LON0 - 0.2, LAT0)
    (leg,) = drive_path_coords(grid, [_grid_point(0, 0), far])
    assert leg == [pytest.approx(_grid_point(0, 0)), pytest.approx(far)]


# --------------------------------------------------------------------------- fetching


def _closed_port() -> tuple[str, int]:
    """A local port nothing listens on (bound then released), so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return ("127.0.0.1", s.getsockname()[1])


def test_fetch_network_without_internet_fails_fast_and_clearly(tmp_path: Path) -> None:
    with pytest.raises(NetworkUnavailableError, match="No internet connection"):
        fetch_network(
            "London Borough of Havering",
            3.0,
            tmp_path / "graphs",
            check_address=_closed_port(),
            timeout_s=0.5,
        )
    assert not (tmp_path / "graphs").exists()


def test_fetch_network_saves_drive_and_walk_graphs_that_load_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real network: a local listening socket passes the connectivity check and the two
    # osmnx download calls are replaced by the grid (and a box around it).
    import geopandas as gpd
    from shapely.geometry import box

    requested: list[tuple[str, float]] = []

    def fake_geocode(place: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(geometry=[box(LON0, LAT0, LON0 + 0.03, LAT0 + 0.03)], crs=4326)

    def fake_graph(polygon: object, *, network_type: str) -> nx.MultiDiGraph:
        requested.append((network_type, polygon.bounds[0]))  # type: ignore[attr-defined]
        return _grid_graph()

    monkeypatch.setattr(ox, "geocode_to_gdf", fake_geocode)
    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        drive, walk = fetch_network(
            "Grid Town", 1.0, tmp_path / "graphs", check_address=listener.getsockname()
        )
    assert (drive.name, walk.name) == ("drive.graphml.gz", "walk.graphml.gz")
    assert [kind for kind, _ in requested] == ["drive", "walk"]
    assert requested[0][1] == pytest.approx(LON0 - 1000 / 111_320, abs=1e-3)  # 1 km buffer
    assert (
        load_road_graph(drive, cache_dir=tmp_path).number_of_edges()
        == _grid_graph().number_of_edges()
    )


# --------------------------------------------------------------------------- real roads


def _rutland_graph(kind: str) -> Path:
    found = sorted((REPO / "data" / "rutland").glob(f"*{kind}*.graphml.gz"))
    if not found:
        pytest.skip(f"data/rutland has no {kind} graph yet (the data helper copies it there)")
    return found[0]


def test_rutland_drive_matrix_of_30_points_is_quick_and_sane(tmp_path: Path) -> None:
    graph = load_road_graph(_rutland_graph("drive"))
    rng = np.random.default_rng(3)
    # Oakham to Uppingham and the villages between.
    lons = rng.uniform(-0.76, -0.70, 30)
    lats = rng.uniform(52.58, 52.68, 30)
    m = network_matrix(graph, lons, lats)
    assert m.is_reachable.all()
    off_diag = ~np.eye(30, dtype=bool)
    assert (m.duration_s[off_diag] > 0).all()
    straight = great_circle_m(lons[:, None], lats[:, None], lons[None, :], lats[None, :])
    assert (m.distance_m[off_diag] >= 0.99 * straight[off_diag]).all()  # roads are no shortcut
    speed_kph = m.distance_m[off_diag] / m.duration_s[off_diag] * 3.6
    assert 15 < np.median(speed_kph) < 80
    d = m.duration_s
    assert (d[:, None, :] <= d[:, :, None] + d[None, :, :] + 2).all()


def test_rutland_walk_route_is_at_least_the_straight_line(tmp_path: Path) -> None:
    graph = load_road_graph(_rutland_graph("walk"), network_type="walk")
    home, school = (-0.7300, 52.6700), (-0.7270, 52.6590)  # Oakham
    route = walk_route(graph, home, school)
    assert route is not None
    straight = great_circle_m(*home, *school)
    assert straight <= route.distance_m < 2.0 * straight
    assert len(route.coords) > 3


def test_travel_matrix_rejects_unreachable_ids_it_does_not_hold() -> None:
    zeros = np.zeros((1, 1), dtype=np.int64)
    with pytest.raises(InvalidScenarioError, match="unknown location 'pupil:P9'"):
        TravelMatrix(
            location_ids=("pupil:P1",),
            lons=np.zeros(1),
            lats=np.zeros(1),
            duration_s=zeros,
            distance_m=zeros,
            model="test",
            is_approximate=True,
            snap_distance_m=np.zeros(1),
            unreachable=("pupil:P9",),
        )
