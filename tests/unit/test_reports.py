"""Reports: formula-safe CSV, plan files, GeoJSON, school pickup lists and route sheets."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from routing.errors import InvalidScenarioError, UnreachableLocationError
from routing.model import (
    Needs,
    NetworkSource,
    Plan,
    Pupil,
    Route,
    Run,
    Scenario,
    School,
    SchoolKind,
    Stop,
    StopKind,
    Unassigned,
    VehicleCategory,
    VehicleType,
)
from routing.reports import (
    PICKUP_LIST_COLUMNS,
    csv_text,
    display_name,
    road_path_coords,
    route_sheet,
    route_sheet_html,
    routes_geojson,
    safe_cell,
    school_pickup_list,
    school_pickup_list_csv,
    school_pickup_list_html,
    write_plan_files,
    write_summary_json,
)

EVIL_FIRST = '=HYPERLINK("http://x")'
EVIL_LAST = "<script>alert(1)</script>"


def _scenario() -> Scenario:
    school = School(
        school_id="S1",
        name="Hill & Dale <Special>",
        lon=0.20,
        lat=51.55,
        kind=SchoolKind.SPECIAL,
        am_start_s=9 * 3600,
        pm_end_s=15 * 3600,
        postcode="RM1 1AA",
    )
    other = School(
        school_id="S2",
        name="Other",
        lon=0.25,
        lat=51.56,
        kind=SchoolKind.SPECIAL,
        am_start_s=9 * 3600,
        pm_end_s=15 * 3600,
    )
    amira = Pupil(
        pupil_id="P1",
        school_id="S1",
        lon=0.21,
        lat=51.57,
        year_group=3,
        first_name="Amira",
        last_name="Khan",
        postcode="RM2 2BB",
        needs=Needs(wheelchair=True, needs_assistant=True, boarding_s=180),
    )
    evil = Pupil(
        pupil_id="P2",
        school_id="S1",
        lon=0.22,
        lat=51.58,
        year_group=9,
        first_name=EVIL_FIRST,
        last_name=EVIL_LAST,
        postcode="-RM3 3CC",
    )
    missing = Pupil(
        pupil_id="P3",
        school_id="S1",
        lon=0.23,
        lat=51.59,
        year_group=9,
        first_name="Ben",
        last_name="Ode",
        postcode="RM4 4DD",
        needs=Needs(travel_alone=True),
    )
    elsewhere = Pupil(
        pupil_id="P4", school_id="S2", lon=0.24, lat=51.6, year_group=9, first_name="Cy"
    )
    mpv = VehicleType(
        name="WAV",
        category=VehicleCategory.WAV,
        capacity_seats=6,
        max_wheelchair_places=1,
        seats_per_wheelchair_place=2,
    )
    return Scenario(
        name="reports",
        schools=(school, other),
        pupils=(amira, evil, missing, elsewhere),
        vehicle_types=(mpv,),
    )


def _stop(
    kind: StopKind,
    pids: tuple[str, ...],
    loc: str,
    lon: float,
    lat: float,
    t: int,
    school_id: str = "",
) -> Stop:
    return Stop(
        kind=kind,
        pupil_ids=pids,
        location_id=loc,
        lon=lon,
        lat=lat,
        arrival_s=t - 30,
        service_start_s=t,
        departure_s=t + 60,
        school_id=school_id,
    )


def _plan() -> Plan:
    am = Route(
        route_id="R1",
        run=Run.AM,
        vehicle_type="WAV",
        seats=3,
        wheelchair_places=1,
        has_assistant=True,
        stops=(
            _stop(StopKind.PICKUP, ("P1",), "pupil:P1", 0.21, 51.57, 8 * 3600, "S1"),
            _stop(StopKind.PICKUP, ("P2",), "pupil:P2", 0.22, 51.58, 8 * 3600 + 600, "S1"),
            _stop(StopKind.DROPOFF, ("P1", "P2"), "school:S1", 0.20, 51.55, 8 * 3600 + 2400, "S1"),
        ),
        distance_m=8047,
        duration_s=2460,
        cost_pence=6123,
    )
    pm = Route(
        route_id="R1",
        run=Run.PM,
        vehicle_type="WAV",
        seats=3,
        wheelchair_places=1,
        has_assistant=True,
        stops=(
            _stop(StopKind.PICKUP, ("P1", "P2"), "school:S1", 0.20, 51.55, 15 * 3600 + 300, "S1"),
            _stop(StopKind.DROPOFF, ("P2",), "pupil:P2", 0.22, 51.58, 15 * 3600 + 1500, "S1"),
            _stop(StopKind.DROPOFF, ("P1",), "pupil:P1", 0.21, 51.57, 15 * 3600 + 2100, "S1"),
        ),
        distance_m=8000,
        duration_s=1900,
        cost_pence=6100,
    )
    return Plan(
        scenario_name="reports",
        routes=(am, pm),
        unassigned=(
            Unassigned("P3", Run.AM, "=cmd| direct ride longer than the limit", "too_long"),
        ),
        travel_model="approximate model (straight line x 1.35)",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),  # formula
        ("+44 1708", "'+44 1708"),  # plus sign
        ("-2+3", "'-2+3"),  # minus sign
        ("@SUM(A1)", "'@SUM(A1)"),  # at sign (Lotus-style function)
        ("\tleading tab", "'\tleading tab"),  # tab
        ("\rcarriage return", "'\rcarriage return"),  # carriage return
        ("Amira", "Amira"),  # plain text is untouched
        ("a=b", "a=b"),  # a formula character later in the text is harmless
        (-0.72, -0.72),  # a negative number stays a number
        (3, 3),  # integers stay numbers
        (True, "true"),  # booleans in words
        (None, ""),  # missing -> empty
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_csv_text_neutralises_injection_cells_and_round_trips() -> None:
    text = csv_text(("a", "b"), [{"a": '=HYPERLINK("x")', "b": 'x,"y"'}, {"a": "ok"}])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["a", "b"], ['\'=HYPERLINK("x")', 'x,"y"'], ["ok", ""]]


def test_plan_files_have_the_agreed_columns_and_rows(tmp_path: Path) -> None:
    scenario, plan = _scenario(), _plan()
    written = write_plan_files(scenario, plan, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"routes.csv", "stops.csv", "unassigned.csv", "routes.geojson"} <= names
    assert "schools/school_S1_AM.html" in names
    assert "route_sheets/route_PM_R1.html" in names

    with (tmp_path / "routes.csv").open(newline="") as f:
        routes = list(csv.DictReader(f))
    assert list(routes[0])[:8] == [
        "route_id",
        "run",
        "vehicle_type",
        "has_assistant",
        "pupils",
        "distance_m",
        "duration_s",
        "cost_gbp",
    ]
    assert routes[0]["pupils"] == "2"
    assert routes[0]["cost_gbp"] == "61.23"
    assert routes[0]["has_assistant"] == "true"

    with (tmp_path / "stops.csv").open(newline="") as f:
        stops = list(csv.DictReader(f))
    # AM: two pickups + one drop-off of two pupils -> 4 rows; PM the same.
    assert len(stops) == 8
    drop = [s for s in stops if s["run"] == "AM" and s["kind"] == "dropoff"]
    assert [s["seq"] for s in drop] == ["3", "3"]
    assert drop[0]["arrival_time"] == "08:39:30"
    assert float(stops[0]["lon"]) == pytest.approx(0.21)

    with (tmp_path / "unassigned.csv").open(newline="") as f:
        unassigned = list(csv.DictReader(f))
    assert unassigned == [
        {
            "pupil_id": "P3",
            "run": "AM",
            "reason": "'=cmd| direct ride longer than the limit",
            "code": "too_long",
        }
    ]


def test_summary_json_round_trips_and_refuses_nan(tmp_path: Path) -> None:
    path = write_summary_json({"saving_gbp": 12.5, "name": "Havering £"}, tmp_path / "s.json")
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "saving_gbp": 12.5,
        "name": "Havering £",
    }
    with pytest.raises(ValueError, match="Out of range float"):
        write_summary_json({"x": float("nan")}, tmp_path / "bad.json")


def test_geojson_straight_segments_are_labelled() -> None:
    collection = routes_geojson(_plan())
    routes = [f for f in collection["features"] if f["properties"]["feature"] == "route"]
    assert len(routes) == 2
    am = routes[0]
    assert am["geometry"]["coordinates"] == [[0.21, 51.57], [0.22, 51.58], [0.20, 51.55]]
    assert am["properties"]["geometry_kind"] == "straight"
    assert am["properties"]["school_ids"] == ["S1"]
    stops = [f for f in collection["features"] if f["properties"]["feature"] == "stop"]
    assert len(stops) == 6
    assert collection["properties"]["travel_model"].startswith("approximate")


def _bent_legs(stops: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Road legs with a bend half-way, except into the school, which is off the graph."""
    legs = []
    for start, end in itertools.pairwise(stops):
        if end == (0.20, 51.55):
            legs.append([start, end])  # drive_path_coords's straight fallback
        else:
            legs.append([start, ((start[0] + end[0]) / 2, start[1]), end])
    return legs


def test_geojson_uses_road_geometry_and_labels_straight_legs() -> None:
    collection = routes_geojson(_plan(), path_coords=_bent_legs, include_stops=False)
    am, pm = collection["features"]
    assert am["properties"]["geometry_kind"] == "partly_road"
    assert am["geometry"]["coordinates"] == [
        [0.21, 51.57],
        [0.215, 51.57],
        [0.22, 51.58],
        [0.20, 51.55],
    ]
    assert pm["properties"]["geometry_kind"] == "road"  # from the school, every leg bends


def test_geojson_falls_back_to_straight_when_the_graph_fails() -> None:
    def broken(stops: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
        raise UnreachableLocationError("graph unavailable")

    collection = routes_geojson(_plan(), path_coords=broken, include_stops=False)
    assert {f["properties"]["geometry_kind"] for f in collection["features"]} == {"straight"}
    assert len(collection["features"][0]["geometry"]["coordinates"]) == 3


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Amira", "Khan", "Amira K."),  # first name and initial
        ("Amira", "", "Amira"),  # no last name
        ("", "", "P1"),  # no name recorded: the id, so the school can ask
        ("  Jo ", "smith", "Jo S."),  # trimmed, initial capitalised
    ],
)
def test_display_name(first: str, last: str, expected: str) -> None:
    pupil = Pupil(
        pupil_id="P1", school_id="S1", lon=0, lat=51, year_group=1, first_name=first, last_name=last
    )
    assert display_name(pupil) == expected


def test_school_list_rows_and_times() -> None:
    am = school_pickup_list(_scenario(), _plan(), "S1", Run.AM)
    assert [r.pupil for r in am.rows] == ["Amira K.", f"{EVIL_FIRST} <.", "Ben O."]
    amira = am.rows[0]
    assert (amira.pickup_time, amira.arrival_time) == ("08:00", "08:40")
    assert (amira.vehicle, amira.assistant) == ("R1 (WAV)", "yes")
    ben = am.rows[2]
    assert ben.vehicle == "no transport arranged yet"
    assert ben.pickup_time == ""
    pm = school_pickup_list(_scenario(), _plan(), "S1", Run.PM)
    assert pm.rows[0].pickup_time == "15:05"
    assert {r.pupil: r.arrival_time for r in pm.rows}["Amira K."] == "15:35"


def test_school_list_shows_only_the_allowed_fields() -> None:
    scenario, plan = _scenario(), _plan()
    am = school_pickup_list(scenario, plan, "S1", Run.AM)
    text = school_pickup_list_csv(am)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == PICKUP_LIST_COLUMNS
    page = school_pickup_list_html(am)
    for forbidden in (
        "P1",
        "P2",
        "P3",  # pupil ids
        "Khan",  # full last name
        "RM2 2BB",
        "RM4 4DD",  # home postcodes
        "51.57",
        "0.21",  # home coordinates
        "wheelchair",
        "travel",
        "alone",  # needs
        "direct ride",  # the unassigned reason
        "Cy",  # another school's pupil
    ):
        assert forbidden not in text, forbidden
        assert forbidden not in page, forbidden


def test_school_list_csv_and_html_neutralise_hostile_names() -> None:
    am = school_pickup_list(_scenario(), _plan(), "S1", Run.AM)
    rows = list(csv.reader(io.StringIO(school_pickup_list_csv(am))))
    assert rows[2][0] == "'" + EVIL_FIRST + " <."
    page = school_pickup_list_html(am)
    assert "<script>" not in page
    assert "Hill &amp; Dale &lt;Special&gt;" in page
    assert "=HYPERLINK(&quot;http://x&quot;)" in page


def test_school_list_unknown_school_is_named() -> None:
    with pytest.raises(InvalidScenarioError, match="Unknown school 'S9'"):
        school_pickup_list(_scenario(), _plan(), "S9", Run.AM)


def test_route_sheet_stops_in_order_with_postcodes_and_notes() -> None:
    sheet = route_sheet(_scenario(), _plan(), "R1", Run.AM)
    assert [s.action for s in sheet.stops] == ["Pick up", "Pick up", "Drop off"]
    assert [s.time for s in sheet.stops] == ["08:00", "08:10", "08:40"]
    first, second, school = sheet.stops
    assert first.place == "RM2 2BB"
    assert first.notes == "wheelchair user, needs the passenger assistant"
    assert second.notes == ""
    assert school.place == "Hill & Dale <Special>, RM1 1AA"
    assert school.notes == "Amira K.: wheelchair user, needs the passenger assistant"
    assert sheet.has_assistant and sheet.num_pupils == 2
    assert sheet.distance_miles == 5.0


def test_route_sheet_html_is_escaped_and_holds_no_other_needs() -> None:
    page = route_sheet_html(route_sheet(_scenario(), _plan(), "R1", Run.AM))
    assert "<script>" not in page
    assert "&lt;script&gt;" not in page  # only the last initial is shown
    assert "-RM3 3CC" in page  # postcodes are shown as they are (HTML is not a spreadsheet)
    assert "Hill &amp; Dale &lt;Special&gt;" in page
    for forbidden in ("P1", "P2", "travel alone", "boarding_s", "year"):
        assert forbidden not in page, forbidden


def test_route_sheet_needs_a_run_when_ids_repeat() -> None:
    with pytest.raises(InvalidScenarioError, match="Route 'R1' is ambiguous"):
        route_sheet(_scenario(), _plan(), "R1")
    with pytest.raises(InvalidScenarioError, match="Route 'R9' on run AM is not in the plan"):
        route_sheet(_scenario(), _plan(), "R9", Run.AM)


def test_road_path_coords_is_none_without_a_drive_graph() -> None:
    assert road_path_coords(_scenario(), None) is None


def test_road_path_coords_draws_routes_on_the_drive_graph(tmp_path: Path) -> None:
    import networkx as nx
    import osmnx as ox

    # Roads with corners: P2 (0.22, 51.58) -> (0.22, 51.57) -> P1 (0.21, 51.57) ->
    # (0.21, 51.55) -> school (0.20, 51.55).
    points = {
        1: (0.21, 51.57),
        2: (0.21, 51.55),
        3: (0.20, 51.55),
        4: (0.22, 51.58),
        5: (0.22, 51.57),
    }
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in points.items():
        graph.add_node(node, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3), (4, 5), (5, 1)):
        for a, b in ((u, v), (v, u)):
            graph.add_edge(a, b, key=0, length=1000.0, highway="residential", osmid=10 * u + v)
    ox.save_graphml(graph, tmp_path / "drive.graphml")
    scenario = replace(_scenario(), network=NetworkSource(drive_graph="drive.graphml"))
    path_coords = road_path_coords(scenario, tmp_path)
    assert path_coords is not None
    collection = routes_geojson(_plan(), path_coords=path_coords, include_stops=False)
    am = collection["features"][0]
    assert am["properties"]["geometry_kind"] == "road"
    assert [0.21, 51.55] in am["geometry"]["coordinates"]  # the corner, not a straight line
