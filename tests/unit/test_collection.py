"""Collection points: the file format, who is moved, one stop per point, what the plan says,
and the checker's walk rules.

The world: one special school in Havering and a collection point CP1 1 km west of it.
P1 and P2 live 200 m and 300 m north and south of CP1 (both marked able); P3 lives 700 m
west of CP1 (able, but 700 m x 1.3 = 910 m of estimated walk is over the 800 m limit);
P4 lives 250 m west of CP1, marked able but a wheelchair user; P5 lives 4 km away.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import pytest

from routing.checks import ViolationKind, check_plan
from routing.collection import assign_collection_points
from routing.dataset import load_scenario, load_scenario_from_tables, write_scenario
from routing.errors import InvalidScenarioError
from routing.model import (
    CollectionPoint,
    CollectionWalk,
    Needs,
    Plan,
    Policy,
    Pupil,
    Run,
    Scenario,
    School,
    SchoolKind,
    SolveParams,
    StopKind,
)
from routing.pipeline import PlanResult, plan_source
from routing.plan_file import read_plan
from routing.reports import school_pickup_list, write_plan_files
from routing.synthetic import default_vehicle_types

LAT = 51.56
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT))
CP_LON = 0.20


def east(metres: float) -> float:
    return CP_LON + metres / M_PER_DEG_LON


def north(metres: float) -> float:
    return LAT + metres / M_PER_DEG_LAT


def _pupil(pid: str, lon: float, lat: float, *, able: bool = True, **needs: object) -> Pupil:
    return Pupil(
        pid, "S1", lon, lat, 9, first_name=pid, last_name="Test",
        needs=Needs(**needs),  # type: ignore[arg-type]
        can_use_collection_point=able,
    )  # fmt: skip


def world(**policy: object) -> Scenario:
    return Scenario(
        name="points",
        schools=(School("S1", "Hill School", east(1000), LAT, SchoolKind.SPECIAL, 32400, 54000),),
        pupils=(
            _pupil("P1", CP_LON, north(200)),
            _pupil("P2", CP_LON, north(-300)),
            _pupil("P3", east(-700), LAT),
            _pupil("P4", east(-250), LAT, wheelchair=True),
            _pupil("P5", east(-4000), north(500), able=False),
        ),
        vehicle_types=default_vehicle_types(),
        policy=Policy(**policy),  # type: ignore[arg-type]
        collection_points=(CollectionPoint("CP1", "Outside the library", CP_LON, LAT),),
    )


@pytest.fixture(scope="module")
def planned() -> PlanResult:
    return plan_source(world(), None, SolveParams(time_limit_s=1.0, num_workers=1))


# --------------------------------------------------------------------------- the format

POINTS_CSV = """\
point_id,name,lon,lat
CP1,Outside the library,0.2,51.56
CP2,Outside the library,east,51.56
CP3,,0.21,51.56
CP1,Again,0.22,51.56
CP4,Swapped,51.56,0.2
"""


def _tables(points: str, able_cell: str = "true") -> dict[str, str]:
    return {
        "schools.csv": (
            "school_id,name,kind,lon,lat,am_start_hhmm,pm_end_hhmm\n"
            "S1,Hill School,special,0.21,51.56,09:00,15:00\n"
        ),
        "pupils.csv": (
            "pupil_id,school_id,lon,lat,year_group,wheelchair,needs_assistant,travel_alone,"
            "can_use_collection_point\n"
            f"P1,S1,0.2,51.561,9,false,false,false,{able_cell}\n"
        ),
        "vehicle_types.csv": (
            "name,category,capacity_seats,day_rate_gbp,cost_per_mile_gbp\ntaxi,taxi,4,72.00,1.80\n"
        ),
        "policy.toml": "collection_point_max_walk_m = 800\n",
        "collection_points.csv": points,
    }


def test_collection_point_errors_name_file_row_and_field() -> None:
    with pytest.raises(InvalidScenarioError) as info:
        load_scenario_from_tables(_tables(POINTS_CSV, able_cell="perhaps"), "bad")
    found = {(i.file, i.row, i.field) for i in info.value.issues}
    assert found == {
        ("collection_points.csv", 3, "lon"),  # not a number
        ("collection_points.csv", 4, "name"),  # blank name
        ("collection_points.csv", 5, "point_id"),  # duplicate of row 2
        ("collection_points.csv", 6, "lat"),  # lon and lat swapped: outside Great Britain
        ("pupils.csv", 2, "can_use_collection_point"),  # not true/false
    }


def test_walk_limit_key_out_of_range_names_the_key() -> None:
    tables = _tables("point_id,name,lon,lat\nCP1,Library,0.2,51.56\n")
    tables["policy.toml"] = "collection_point_max_walk_m = 5000\n"
    with pytest.raises(InvalidScenarioError) as info:
        load_scenario_from_tables(tables, "bad")
    [issue] = info.value.issues
    assert (issue.file, issue.field, issue.value) == (
        "policy.toml",
        "collection_point_max_walk_m",
        "5000",
    )
    assert "0..3,219" in issue.message


def test_scenario_with_points_round_trips(tmp_path: Path) -> None:
    scenario = world(collection_point_max_walk_m=600)
    write_scenario(scenario, tmp_path / "points")
    assert load_scenario(tmp_path / "points") == scenario


def test_file_without_points_or_column_loads_as_before() -> None:
    tables = _tables("")
    del tables["collection_points.csv"]
    scenario = load_scenario_from_tables(tables, "none")
    assert scenario.collection_points == ()


# --------------------------------------------------------------------------- who is moved


def test_only_able_pupils_within_the_limit_are_moved() -> None:
    walks = assign_collection_points(world(), None).walks
    assert [(w.pupil_id, w.point_id) for w in walks] == [("P1", "CP1"), ("P2", "CP1")]
    # Estimated walks: the straight line x 1.3, to the metre.
    assert [w.walk_m for w in walks] == [260, 390]
    assert all(w.is_estimated for w in walks)


def test_pupil_beyond_the_limit_is_never_moved() -> None:
    # P3 is 700 m from CP1 in a straight line: 910 m estimated, over 800 m; at 900 m the
    # limit is still short of 910 m, and only at 910 m does P3 walk.
    for limit, moved in ((800, False), (900, False), (910, True)):
        walks = assign_collection_points(world(collection_point_max_walk_m=limit), None).walks
        assert ("P3" in {w.pupil_id for w in walks}) is moved
        assert all(w.walk_m <= limit for w in walks)


def test_a_point_serving_one_pupil_is_not_used() -> None:
    assert assign_collection_points(world(collection_point_min_pupils=3), None).walks == ()
    scenario = world()
    lone = dataclasses.replace(
        scenario, pupils=tuple(p for p in scenario.pupils if p.pupil_id != "P2")
    )
    assert assign_collection_points(lone, None).walks == ()


def test_a_point_away_from_school_is_not_used() -> None:
    # The school moves 2 km south of CP1: P2, 300 m south, would walk away from it, and
    # P1 alone (200 m north) is not enough for the point.
    scenario = world()
    school = dataclasses.replace(scenario.schools[0], lon=CP_LON, lat=north(-2000))
    away = dataclasses.replace(scenario, schools=(school,))
    assert assign_collection_points(away, None).walks == ()


def test_pupils_who_need_an_assistant_and_who_do_not_are_not_gathered_together() -> None:
    scenario = world()
    pupils = tuple(
        dataclasses.replace(p, needs=Needs(needs_assistant=True)) if p.pupil_id == "P1" else p
        for p in scenario.pupils
    )
    assert assign_collection_points(dataclasses.replace(scenario, pupils=pupils), None).walks == ()


def test_limit_zero_switches_collection_points_off() -> None:
    assert assign_collection_points(world(collection_point_max_walk_m=0), None).walks == ()


# --------------------------------------------------------------------------- the plan


def test_a_point_used_by_two_pupils_makes_one_stop(planned: PlanResult) -> None:
    plan = planned.plan
    at_point = [
        (route.run, stop)
        for route in plan.routes
        for stop in route.stops
        if stop.location_id == "point:CP1"
    ]
    assert [(run, stop.kind, set(stop.pupil_ids)) for run, stop in at_point] == [
        (Run.AM, StopKind.PICKUP, {"P1", "P2"}),
        (Run.PM, StopKind.DROPOFF, {"P1", "P2"}),
    ]
    assert (at_point[0][1].lon, at_point[0][1].lat) == (CP_LON, LAT)
    homes = {s.location_id for r in plan.routes for s in r.stops}
    assert "pupil:P1" not in homes and "pupil:P2" not in homes
    assert {"pupil:P3", "pupil:P4", "pupil:P5"} <= homes
    assert planned.violations == ()


def test_ride_time_counts_from_the_point(planned: PlanResult) -> None:
    route = next(r for r in planned.plan.routes_for(Run.AM) if "P1" in r.pupil_ids())
    board = next(s for s in route.stops if "P1" in s.pupil_ids and s.kind is StopKind.PICKUP)
    alight = next(s for s in route.stops if "P1" in s.pupil_ids and s.kind is StopKind.DROPOFF)
    matrix = planned.matrix
    direct = int(matrix.duration_s[matrix.index("point:CP1"), matrix.index("school:S1")])
    assert alight.service_start_s - board.departure_s >= direct


def test_the_plan_says_who_walks_where_and_how_far(planned: PlanResult, tmp_path: Path) -> None:
    plan, scenario = planned.plan, planned.scenario
    assert [(w.pupil_id, w.point_id, w.walk_m) for w in plan.walks] == [
        ("P1", "CP1", 260),
        ("P2", "CP1", 390),
    ]
    assert any("2 pupil(s) walk to 1 collection point(s)" in n for n in plan.notes)
    write_plan_files(scenario, plan, tmp_path, with_sheets=True)
    with (tmp_path / "walks.csv").open(encoding="utf-8") as handle:
        walks = list(csv.DictReader(handle))
    assert [(r["pupil_id"], r["point_name"], r["walk_m"]) for r in walks] == [
        ("P1", "Outside the library", "260"),
        ("P2", "Outside the library", "390"),
    ]
    with (tmp_path / "stops.csv").open(encoding="utf-8") as handle:
        stops = list(csv.DictReader(handle))
    marked = {
        (r["run"], r["pupil_id"], r["collection_point_id"], r["walk_m"])
        for r in stops
        if r["walk_m"]
    }
    assert marked == {
        ("AM", "P1", "CP1", "260"), ("AM", "P2", "CP1", "390"),
        ("PM", "P1", "CP1", "260"), ("PM", "P2", "CP1", "390"),
    }  # fmt: skip
    assert read_plan(tmp_path).walks == plan.walks
    assert json.loads((tmp_path / "plan.json").read_text())["walks"][0]["point_id"] == "CP1"
    rows = {r.pupil: r.pickup_place for r in school_pickup_list(scenario, plan, "S1", Run.AM).rows}
    assert rows["P1 T."] == "Outside the library (walk about 260 m)"
    assert rows["P3 T."] == "home"
    sheets = "".join(p.read_text() for p in (tmp_path / "route_sheets").glob("*.html"))
    assert "collection point: Outside the library" in sheets


# --------------------------------------------------------------------------- the checker


def _restated(plan: Plan, **changes: object) -> Plan:
    walks = tuple(
        dataclasses.replace(w, **changes) if w.pupil_id == "P1" else w  # type: ignore[arg-type]
        for w in plan.walks
    )
    return dataclasses.replace(plan, walks=walks)


def test_checker_rejects_a_walk_over_the_limit(planned: PlanResult) -> None:
    plan = _restated(planned.plan, walk_m=801)
    [violation] = check_plan(planned.scenario, planned.matrix, plan)
    assert (violation.kind, violation.pupil_id) == (ViolationKind.WALK, "P1")
    assert "801 m" in violation.message and "800 m" in violation.message


def test_checker_rejects_a_walk_shorter_than_the_straight_line(planned: PlanResult) -> None:
    plan = _restated(planned.plan, walk_m=100)  # P1 is 200 m from CP1 as the crow flies
    kinds = {(v.kind, v.pupil_id) for v in check_plan(planned.scenario, planned.matrix, plan)}
    assert kinds == {(ViolationKind.WALK, "P1")}


def test_checker_rejects_a_pickup_away_from_the_stated_point(planned: PlanResult) -> None:
    # The plan says P3 walks to CP1, but P3's stops are at home.
    plan = dataclasses.replace(
        planned.plan, walks=(*planned.plan.walks, CollectionWalk("P3", "CP1", 790))
    )
    kinds = {(v.kind, v.pupil_id) for v in check_plan(planned.scenario, planned.matrix, plan)}
    assert (ViolationKind.WRONG_LOCATION, "P3") in kinds


def test_checker_rejects_a_pupil_at_a_point_the_plan_does_not_state(planned: PlanResult) -> None:
    plan = dataclasses.replace(planned.plan, walks=planned.plan.walks[1:])  # P1's walk unsaid
    kinds = {(v.kind, v.pupil_id) for v in check_plan(planned.scenario, planned.matrix, plan)}
    assert (ViolationKind.WRONG_LOCATION, "P1") in kinds


def test_walks_are_measured_on_the_footpath_network_where_there_is_one(tmp_path: Path) -> None:
    # An L-shaped footpath from CP1: 420 m north, then 420 m west. PA at its far end is
    # 594 m from CP1 in a straight line (772 m estimated, within 800 m) but walks 840 m.
    import networkx as nx
    import osmnx as ox

    from routing.matrix import great_circle_m
    from routing.model import NetworkSource

    nodes = {1: (CP_LON, LAT), 2: (CP_LON, north(420)), 3: (east(-420), north(420))}
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in nodes.items():
        graph.add_node(node, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3)):
        length_m = great_circle_m(*nodes[u], *nodes[v])
        for a, b in ((u, v), (v, u)):
            graph.add_edge(a, b, key=0, length=length_m, highway="footway", osmid=10 * u + v)
    ox.save_graphml(graph, tmp_path / "walk.graphml")
    base = world()
    pupils = (
        _pupil("PA", *nodes[3]),
        _pupil("PB", CP_LON, north(300)),
        _pupil("PC", CP_LON, north(350)),
    )
    estimated = dataclasses.replace(base, pupils=pupils)
    assert {w.pupil_id for w in assign_collection_points(estimated, None).walks} == {
        "PA", "PB", "PC"
    }  # fmt: skip
    on_paths = dataclasses.replace(estimated, network=NetworkSource(walk_graph="walk.graphml"))
    walks = assign_collection_points(on_paths, tmp_path).walks
    assert [w.pupil_id for w in walks] == ["PB", "PC"]
    assert not any(w.is_estimated for w in walks)
    for walk, straight in zip(walks, (300, 350), strict=True):
        assert straight - 1 <= walk.walk_m <= 800
