# ruff: noqa: E501  (the CSV fixtures are whole rows, as a spreadsheet saves them)
"""Scenario folders: reading, validation with row-numbered issues, writing, shipped data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from routing.dataset import load_scenario, load_scenario_from_tables, write_scenario
from routing.errors import InvalidScenarioError, RowIssue
from routing.model import RouteStart, Scenario, VehicleRequirement

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"

SCHOOLS = """\
school_id,name,kind,lon,lat,postcode,local_authority,am_start_hhmm,pm_end_hhmm,arrive_window_open_min,arrive_window_close_min,pm_max_wait_min,handover_s
102362,Corbets Tey School,special,0.249001,51.54229,,Havering,09:00,15:00,25,5,20,60
142722,Lime Academy Ravensbourne,special,0.218267,51.595034,RM3 8HN,Havering,09:05,15:15,,,,
"""
PUPILS = """\
pupil_id,school_id,first_name,last_name,postcode,lon,lat,date_of_birth,year_group,wheelchair,needs_assistant,travel_alone,vehicle_requirement,boarding_s,max_ride_min,sibling_group,attends_am,attends_pm,cannot_walk_assessed,is_low_income,has_unsafe_route
P1,102362,Amy,Smith,RM14 1JB,0.276491,51.565515,2016-05-01,4,true,true,false,wheelchair_accessible,,,,true,true,true,false,false
P2,102362,Ben,Smith,RM14 1JB,0.276491,51.565515,,8,false,false,false,,,50,S1,true,true,true,false,false
P3,142722,Cara,Smith,RM14 1JB,0.276491,51.565515,,8,no,no,no,none,90,,S1,yes,no,1,0,0
P4,142722,Dev,Patel,rm3 8hn,,,2012-10-02,,false,true,true,small_vehicle,,30,,true,true,true,true,false
"""
INCOMPATIBLE = """\
pupil_a,pupil_b
P1,P4
"""
VEHICLE_TYPES = """\
name,category,capacity_seats,max_wheelchair_places,seats_per_wheelchair_place,num_available,day_rate_gbp,cost_per_mile_gbp,max_shift_min
taxi,taxi,4,0,0,,72.00,1.80,180
wav,wav,5,1,2,3,95.00,2.00,180
"""
POLICY = """\
assistant_day_cost_gbp = 55.0
max_ride_primary_min = 45
max_ride_secondary_min = 75
academic_year_start_year = 2025
"""
CURRENT_ROUTES = """\
route_id,vehicle_type,has_assistant,day_price_gbp,pupil_ids
CR1,wav,true,180.50,P1;P2
CR2,taxi,false,,P3
CR3,taxi,true,95,P4
"""
POSTCODES = """\
postcode,lon,lat
RM3 8HN,0.2201,51.6012
"""


def tables() -> dict[str, str]:
    """A small valid scenario: 2 schools, 4 pupils (2 siblings, 1 located by postcode)."""
    return {
        "schools.csv": SCHOOLS,
        "pupils.csv": PUPILS,
        "incompatible.csv": INCOMPATIBLE,
        "vehicle_types.csv": VEHICLE_TYPES,
        "policy.toml": POLICY,
        "current_routes.csv": CURRENT_ROUTES,
        "postcodes.csv": POSTCODES,
    }


def replace_in(file: str, old: str, new: str) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        assert old in t[file], f"{old!r} not in {file}"
        t[file] = t[file].replace(old, new, 1)

    return edit


def drop_file(file: str) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        del t[file]

    return edit


def drop_column(file: str, column: str) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        lines = t[file].splitlines()
        index = lines[0].split(",").index(column)
        t[file] = "\n".join(
            ",".join(c for k, c in enumerate(line.split(",")) if k != index) for line in lines
        )

    return edit


def append(file: str, text: str) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        t[file] += text

    return edit


def both(*edits: Callable[[dict[str, str]], None]) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        for one in edits:
            one(t)

    return edit


def add_file(file: str, text: str) -> Callable[[dict[str, str]], None]:
    def edit(t: dict[str, str]) -> None:
        t[file] = text

    return edit


def issues_of(t: dict[str, str], base_dir: Path | None = None) -> tuple[RowIssue, ...]:
    with pytest.raises(InvalidScenarioError) as info:
        load_scenario_from_tables(t, "tiny", base_dir=base_dir)
    return info.value.issues


# --------------------------------------------------------------------------- valid input


def test_small_tables_load_with_defaults_and_postcode_location() -> None:
    scenario = load_scenario_from_tables(tables(), "tiny")
    pupils = scenario.pupils_by_id()
    assert len(scenario.schools) == 2 and len(pupils) == 4
    # P4 has no lon/lat: located at its postcode's centroid (postcode normalised)
    assert (pupils["P4"].lon, pupils["P4"].lat) == (0.2201, 51.6012)
    assert pupils["P4"].postcode == "RM3 8HN"
    # year group from date of birth on 31 August 2025 (born Oct 2012: age 12, Year 8)
    assert pupils["P4"].year_group == 8
    # blank boarding_s: policy default, longer for a wheelchair user
    assert pupils["P1"].needs.boarding_s == scenario.policy.default_wheelchair_boarding_s
    assert pupils["P2"].needs.boarding_s == scenario.policy.default_boarding_s
    assert pupils["P3"].needs.boarding_s == 90
    # minutes become seconds; blank ride limit means the policy default
    assert pupils["P2"].needs.max_ride_s == 50 * 60
    assert pupils["P1"].needs.max_ride_s is None
    assert pupils["P4"].needs.vehicle_requirement is VehicleRequirement.SMALL_VEHICLE
    assert (pupils["P3"].attends_am, pupils["P3"].attends_pm) == (True, False)
    # blank window cells take the model defaults; times of day are seconds after midnight
    lime = scenario.school("142722")
    assert lime.am_start_s == 9 * 3600 + 5 * 60 and lime.arrive_window_open_s == 25 * 60
    # money in pounds becomes pence; blank price means unknown
    assert scenario.vehicle_type("taxi").day_rate_pence == 7200
    assert scenario.vehicle_type("wav").num_available == 3
    assert scenario.vehicle_type("taxi").num_available is None
    assert [r.day_price_pence for r in scenario.current_routes] == [18050, None, 9500]
    assert scenario.policy.assistant_day_cost_pence == 5500


def test_bom_crlf_whitespace_and_header_case_are_tolerated() -> None:
    t = tables()
    raw = t["pupils.csv"].replace("pupil_id,school_id", " Pupil_ID , School_ID ")
    raw = raw.replace("P1,102362,", "  P1 ,  102362 ,")
    t["pupils.csv"] = ("\ufeff" + raw).replace("\n", "\r\n")
    uploads: dict[str, bytes | str] = dict(t)
    uploads["schools.csv"] = b"\xef\xbb\xbf" + SCHOOLS.encode("utf-8")
    scenario = load_scenario_from_tables(uploads, "tiny")
    assert scenario.pupil("P1").school_id == "102362"
    assert scenario.school("102362").name == "Corbets Tey School"


def test_windows_1252_upload_is_decoded() -> None:
    t: dict[str, bytes | str] = dict(tables())
    t["pupils.csv"] = PUPILS.replace("Amy", "Zoë").encode("cp1252")
    assert load_scenario_from_tables(t, "tiny").pupil("P1").first_name == "Zoë"


def test_blank_lines_are_skipped_but_rows_keep_spreadsheet_numbers() -> None:
    t = tables()
    t["pupils.csv"] = PUPILS.replace("\nP2,", "\n\nP2,").replace("P3,142722", "P3,nowhere")
    issue = issues_of(t)[0]
    assert (issue.file, issue.row, issue.field, issue.value) == (
        "pupils.csv",
        5,  # header 1, P1 2, blank 3, P2 4, P3 5
        "school_id",
        "nowhere",
    )


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    scenario = load_scenario_from_tables(tables(), "tiny")
    folder = tmp_path / "tiny"
    write_scenario(scenario, folder)
    assert load_scenario(folder) == scenario


def test_round_trip_keeps_depot_policy_and_odd_values(tmp_path: Path) -> None:
    base = load_scenario_from_tables(tables(), "tiny")
    policy = dataclasses.replace(
        base.policy,
        route_start=RouteStart.DEPOT,
        depot_lon=0.2,
        depot_lat=51.55,
        peak_travel_factor=1.25,
        allow_mixed_school_routes=False,
    )
    school = dataclasses.replace(base.schools[0], am_start_s=9 * 3600 + 30, name='A "quoted", name')
    pupil = dataclasses.replace(
        base.pupils[0],
        first_name="=cmd|' /C calc'!A0",
        needs=dataclasses.replace(base.pupils[0].needs, max_ride_s=2710),
    )
    scenario = dataclasses.replace(
        base,
        policy=policy,
        schools=(school, *base.schools[1:]),
        pupils=(pupil, *base.pupils[1:]),
    )
    write_scenario(scenario, tmp_path / "tiny")
    assert load_scenario(tmp_path / "tiny") == scenario


# --------------------------------------------------------------------------- bad input

BAD_INPUTS = [
    # a required file is missing
    (drop_file("pupils.csv"), ("pupils.csv", 0, "", ""), "is missing"),
    # a required column is missing
    (drop_column("pupils.csv", "wheelchair"), ("pupils.csv", 1, "wheelchair", ""), "missing"),
    # lon without its lat column
    (drop_column("pupils.csv", "lat"), ("pupils.csv", 1, "lat", ""), "come together"),
    # no way to locate anyone: neither postcode nor lon/lat columns
    (
        both(
            drop_column("pupils.csv", "postcode"),
            drop_column("pupils.csv", "lon"),
            drop_column("pupils.csv", "lat"),
        ),
        ("pupils.csv", 1, "postcode", ""),
        "needs a 'postcode' or 'lon' column",
    ),
    # no age: neither year_group nor date_of_birth, even in a file with no pupils yet
    (
        both(
            replace_in("pupils.csv", PUPILS.split("\n", 1)[1], ""),
            drop_column("pupils.csv", "year_group"),
            drop_column("pupils.csv", "date_of_birth"),
            add_file("incompatible.csv", "pupil_a,pupil_b\n"),
            add_file("current_routes.csv", "route_id,vehicle_type,has_assistant,pupil_ids\n"),
        ),
        ("pupils.csv", 1, "year_group", ""),
        "needs a 'year_group' or 'date_of_birth' column",
    ),
    # a column nobody reads (a typo would silently lose data)
    (
        replace_in("pupils.csv", "max_ride_min", "max_ride_mins"),
        ("pupils.csv", 1, "max_ride_mins", "max_ride_mins"),
        "Unknown column",
    ),
    # a number that is not one
    (
        replace_in("vehicle_types.csv", "wav,wav,5", "wav,wav,five"),
        ("vehicle_types.csv", 3, "capacity_seats", "five"),
        "whole number",
    ),
    # a fraction of a penny
    (
        replace_in("vehicle_types.csv", "72.00", "72.005"),
        ("vehicle_types.csv", 2, "day_rate_gbp", "72.005"),
        "amount in pounds",
    ),
    # a wheelchair trade-off the vehicle's seats cannot pay for
    (
        replace_in("vehicle_types.csv", "wav,wav,5,1,2", "wav,wav,5,3,2"),
        ("vehicle_types.csv", 3, "max_wheelchair_places", "3"),
        "wheelchair places",
    ),
    # a boolean that is not one
    (
        replace_in("pupils.csv", "51.565515,,8,false", "51.565515,,8,maybe"),
        ("pupils.csv", 3, "wheelchair", "maybe"),
        "true/false",
    ),
    # a time of day that is not HH:MM
    (
        replace_in("schools.csv", "09:05", "9am"),
        ("schools.csv", 3, "am_start_hhmm", "9am"),
        "HH:MM",
    ),
    # an hour that does not exist
    (
        replace_in("schools.csv", "15:00", "25:00"),
        ("schools.csv", 2, "pm_end_hhmm", "25:00"),
        "HH:MM",
    ),
    # the day ends before it starts
    (
        replace_in("schools.csv", "15:00", "08:00"),
        ("schools.csv", 2, "pm_end_hhmm", "08:00"),
        "must be after",
    ),
    # a kind of school that does not exist
    (
        replace_in("schools.csv", "special", "academy"),
        ("schools.csv", 2, "kind", "academy"),
        "one of special",
    ),
    # a pupil at a school not in schools.csv
    (
        replace_in("pupils.csv", "P3,142722", "P3,999999"),
        ("pupils.csv", 4, "school_id", "999999"),
        "Unknown school_id",
    ),
    # the same pupil id twice
    (
        append("pupils.csv", PUPILS.splitlines()[2] + "\n"),
        ("pupils.csv", 6, "pupil_id", "P2"),
        "Duplicate pupil_id 'P2' (first on row 3)",
    ),
    # the same school id twice
    (
        append("schools.csv", SCHOOLS.splitlines()[1] + "\n"),
        ("schools.csv", 4, "school_id", "102362"),
        "Duplicate school_id",
    ),
    # the same vehicle type twice
    (
        append("vehicle_types.csv", "taxi,mpv,6,0,0,,80,1.9,180\n"),
        ("vehicle_types.csv", 4, "name", "taxi"),
        "Duplicate name",
    ),
    # a current route in a vehicle type nobody hires
    (
        replace_in("current_routes.csv", "CR2,taxi", "CR2,coach"),
        ("current_routes.csv", 3, "vehicle_type", "coach"),
        "Unknown vehicle_type",
    ),
    # a pupil with no lon/lat and a postcode nobody knows
    (
        replace_in("pupils.csv", "rm3 8hn", "ZZ9 9ZZ"),
        ("pupils.csv", 5, "postcode", "ZZ9 9ZZ"),
        "location is unknown",
    ),
    # a pupil with no lon/lat and no postcode
    (
        replace_in("pupils.csv", "rm3 8hn", ""),
        ("pupils.csv", 5, "postcode", ""),
        "location is unknown",
    ),
    # lon without lat
    (
        replace_in("pupils.csv", "RM14 1JB,0.276491,51.565515,,8,no", "RM14 1JB,0.276491,,,8,no"),
        ("pupils.csv", 4, "lat", ""),
        "both be given",
    ),
    # a latitude off the globe
    (
        replace_in("schools.csv", "51.54229", "95.1"),
        ("schools.csv", 2, "lat", "95.1"),
        "-90..90",
    ),
    # lon and lat swapped: a point outside Great Britain
    (
        replace_in("schools.csv", "0.249001,51.54229", "51.54229,0.249001"),
        ("schools.csv", 2, "lat", "0.249001"),
        "swapped",
    ),
    # a year group outside reception..post-19
    (
        replace_in("pupils.csv", "51.565515,,8,false", "51.565515,,31,false"),
        ("pupils.csv", 3, "year_group", "31"),
        "<= 20",
    ),
    # a date that does not exist
    (
        replace_in("pupils.csv", "2016-05-01", "31/02/2016"),
        ("pupils.csv", 2, "date_of_birth", "31/02/2016"),
        "a date",
    ),
    # a date of birth that makes a pupil too young for school transport
    (
        replace_in("pupils.csv", "2012-10-02", "2024-10-02"),
        ("pupils.csv", 5, "date_of_birth", "2024-10-02"),
        "outside -1..20",
    ),
    # a ride limit of zero minutes
    (
        replace_in("pupils.csv", ",50,S1", ",0,S1"),
        ("pupils.csv", 3, "max_ride_min", "0"),
        "within 5..240",
    ),
    # an unknown vehicle requirement
    (
        replace_in("pupils.csv", "small_vehicle", "limo"),
        ("pupils.csv", 5, "vehicle_requirement", "limo"),
        "one of none",
    ),
    # an incompatible pair naming a pupil nobody knows
    (
        replace_in("incompatible.csv", "P1,P4", "P1,P9"),
        ("incompatible.csv", 2, "pupil_b", "P9"),
        "Unknown pupil",
    ),
    # a pupil incompatible with themself
    (
        replace_in("incompatible.csv", "P1,P4", "P4,P4"),
        ("incompatible.csv", 2, "pupil_b", "P4"),
        "itself",
    ),
    # a current route naming a pupil nobody knows
    (
        replace_in("current_routes.csv", "P1;P2", "P1;P7"),
        ("current_routes.csv", 2, "pupil_ids", "P1;P7"),
        "Unknown pupil 'P7'",
    ),
    # a pupil on two current routes
    (
        replace_in("current_routes.csv", ",P3\n", ",P3;P4\n"),
        ("current_routes.csv", 4, "pupil_ids", "P4"),
        "already on route 'CR2' (row 3)",
    ),
    # a wheelchair user in a taxi
    (
        replace_in("current_routes.csv", "CR1,wav", "CR1,taxi"),
        ("current_routes.csv", 2, "pupil_ids", "P1;P2"),
        "1 wheelchair users but vehicle_type 'taxi' has 0 wheelchair places",
    ),
    # more passengers than seats (the assistant takes one; a wheelchair place takes two)
    (
        add_file(
            "current_routes.csv",
            "route_id,vehicle_type,has_assistant,day_price_gbp,pupil_ids\nCR1,wav,true,,P1;P2;P3;P4\n",
        ),
        ("current_routes.csv", 2, "pupil_ids", "P1;P2;P3;P4"),
        "4 seated passengers (incl. the assistant) but vehicle_type 'wav' has 3 seats",
    ),
    # a route carrying nobody
    (
        replace_in("current_routes.csv", ",P3\n", ",\n"),
        ("current_routes.csv", 3, "pupil_ids", ""),
        "at least one pupil",
    ),
    # a row with more cells than the header
    (
        append("current_routes.csv", "CR4,taxi,false,80,P9,extra\n"),
        ("current_routes.csv", 5, "", ""),
        "more cells than the header",
    ),
    # a policy key nobody reads
    (
        append("policy.toml", "max_ride_min = 60\n"),
        ("policy.toml", 5, "max_ride_min", "60"),
        "Unknown policy key",
    ),
    # a policy value of the wrong type
    (
        append("policy.toml", 'school_days_per_year = "many"\n'),
        ("policy.toml", 5, "school_days_per_year", "many"),
        "whole number",
    ),
    # a policy value out of range
    (
        append("policy.toml", "peak_travel_factor = 9.0\n"),
        ("policy.toml", 5, "peak_travel_factor", "9.0"),
        "0.5..5.0",
    ),
    # route_start depot without a depot
    (
        append("policy.toml", 'route_start = "depot"\n'),
        ("policy.toml", 5, "route_start", "depot"),
        "needs depot_lon",
    ),
    # a file that is not TOML
    (
        append("policy.toml", "this is = = not toml\n"),
        ("policy.toml", 5, "", ""),
        "Invalid TOML",
    ),
    # a graph path that leaves the scenario folder
    (
        append("policy.toml", '[network]\ndrive_graph = "../../etc/passwd"\n'),
        ("policy.toml", 6, "network.drive_graph", "../../etc/passwd"),
        "inside the scenario folder",
    ),
    # a file the format does not have
    (add_file("pupil.csv", PUPILS), ("pupil.csv", 0, "", "pupil.csv"), "Unknown file"),
    # an empty file
    (add_file("incompatible.csv", ""), ("incompatible.csv", 0, "", ""), "empty"),
]


@pytest.mark.parametrize(("edit", "expected", "message"), BAD_INPUTS)
def test_bad_input_names_file_row_field_and_value(
    edit: Callable[[dict[str, str]], None], expected: tuple[str, int, str, str], message: str
) -> None:
    t = tables()
    edit(t)
    issues = issues_of(t)
    matching = [i for i in issues if (i.file, i.row, i.field, i.value) == expected]
    assert matching, "\n".join(str(i) for i in issues)
    assert any(message in i.message for i in matching), "\n".join(str(i) for i in matching)
    # one bad cell gives one issue: no cascade of follow-on complaints
    assert len(issues) == 1, "\n".join(str(i) for i in issues)


def test_missing_graph_file_is_reported_against_the_scenario_folder(tmp_path: Path) -> None:
    t = tables()
    t["policy.toml"] += '[network]\ndrive_graph = "roads.graphml.gz"\n'
    issue = issues_of(t, base_dir=tmp_path)[0]
    assert (issue.file, issue.row, issue.field, issue.value) == (
        "policy.toml",
        6,
        "network.drive_graph",
        "roads.graphml.gz",
    )
    (tmp_path / "roads.graphml.gz").write_bytes(b"")
    assert load_scenario_from_tables(t, "tiny", base_dir=tmp_path).network.drive_graph == (
        "roads.graphml.gz"
    )


def test_every_problem_in_every_file_is_reported_at_once() -> None:
    t = tables()
    replace_in("schools.csv", "09:05", "9am")(t)
    replace_in("pupils.csv", "P3,142722", "P3,999999")(t)
    replace_in("pupils.csv", "2016-05-01", "someday")(t)
    replace_in("vehicle_types.csv", "72.00", "lots")(t)
    append("policy.toml", "colour = 'blue'\n")(t)
    replace_in("incompatible.csv", "P1,P4", "P1,P9")(t)
    fields = {(i.file, i.field) for i in issues_of(t)}
    assert fields >= {
        ("schools.csv", "am_start_hhmm"),
        ("pupils.csv", "school_id"),
        ("pupils.csv", "date_of_birth"),
        ("vehicle_types.csv", "day_rate_gbp"),
        ("policy.toml", "colour"),
        ("incompatible.csv", "pupil_b"),
    }


def test_an_invalid_row_does_not_cascade_into_unknown_id_issues() -> None:
    # P4's row is bad, but the pair and the route naming P4 must not add "unknown pupil".
    t = tables()
    replace_in("pupils.csv", "small_vehicle", "limo")(t)
    issues = issues_of(t)
    assert [(i.file, i.field) for i in issues] == [("pupils.csv", "vehicle_requirement")]


def test_bad_upload_raises_and_returns_no_partial_scenario() -> None:
    t = tables()
    replace_in("pupils.csv", "P3,142722", "P3,999999")(t)
    result: Scenario | None = None
    with pytest.raises(InvalidScenarioError, match="nothing was loaded") as info:
        result = load_scenario_from_tables(t, "tiny")
    assert result is None
    assert "pupils.csv row 4, field 'school_id' = '999999'" in str(info.value)


def test_missing_folder_is_an_issue(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenarioError, match="does not exist"):
        load_scenario(tmp_path / "nowhere")


def test_folder_without_optional_files_loads(tmp_path: Path) -> None:
    folder = tmp_path / "minimal"
    folder.mkdir()
    pupils = PUPILS.replace(",rm3 8hn,,,", ",rm3 8hn,0.2201,51.6012,")
    for name, text in (
        ("schools.csv", SCHOOLS),
        ("pupils.csv", pupils),
        ("vehicle_types.csv", VEHICLE_TYPES),
        ("policy.toml", ""),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    scenario = load_scenario(folder)
    assert scenario.name == "minimal"
    assert scenario.current_routes == () and scenario.incompatible_pairs == ()
    # the year group comes from year_group when both are given
    assert scenario.pupil("P1").year_group == 4
    assert scenario.pupil("P1").date_of_birth == date(2016, 5, 1)


# --------------------------------------------------------------------------- shipped data


@pytest.fixture(scope="module")
def havering() -> Scenario:
    return load_scenario(DATA / "havering")


def test_havering_loads_with_expected_size(havering: Scenario) -> None:
    assert 780 <= len(havering.pupils) <= 830
    assert 30 <= len(havering.schools) <= 45
    assert {v.name for v in havering.vehicle_types} == {"taxi", "mpv", "wav", "minibus"}
    assert len(havering.incompatible_pairs) == 15
    assert havering.network.drive_graph == ""  # approximate travel model
    out_of_borough = {s.local_authority for s in havering.schools} - {"Havering"}
    assert out_of_borough == {"Barking and Dagenham", "Redbridge"}
    # every pupil rides in the current arrangement, once
    riding = [pid for r in havering.current_routes for pid in r.pupil_ids]
    assert sorted(riding) == sorted(p.pupil_id for p in havering.pupils)


def test_havering_needs_mix_is_realistic(havering: Scenario) -> None:
    n = len(havering.pupils)
    wheelchair = sum(p.needs.wheelchair for p in havering.pupils) / n
    assistant = sum(p.needs.needs_assistant for p in havering.pupils) / n
    alone = sum(p.needs.travel_alone for p in havering.pupils) / n
    assert 0.10 <= wheelchair <= 0.15
    assert 0.25 <= assistant <= 0.30
    assert 0.03 <= alone <= 0.07
    assert all(0 <= p.year_group <= 20 for p in havering.pupils)


def test_havering_current_arrangement_is_calibrated(havering: Scenario) -> None:
    routes = havering.current_routes
    known = [r.day_price_pence for r in routes if r.day_price_pence is not None]
    day_pence = sum(known) * len(routes) / len(known)  # unknown prices at the mean
    annual_gbp = day_pence * havering.policy.school_days_per_year / 100
    per_pupil_day_gbp = day_pence / 100 / len(havering.pupils)
    assert 6_000_000 <= annual_gbp <= 7_000_000
    assert 40 <= per_pupil_day_gbp <= 50
    # never mixed-school, as a planning team without an optimiser works
    by_id = havering.pupils_by_id()
    assert all(len({by_id[p].school_id for p in r.pupil_ids}) == 1 for r in routes)


def test_rutland_loads_on_its_road_graphs() -> None:
    rutland = load_scenario(DATA / "rutland")
    assert 100 <= len(rutland.pupils) <= 150
    assert rutland.network.drive_graph == "rutland_drive_2018.graphml.gz"
    assert (DATA / "rutland" / rutland.network.walk_graph).is_file()
    assert rutland.school("131018").name == "The Shires"


def test_havering_round_trips(havering: Scenario, tmp_path: Path) -> None:
    write_scenario(havering, tmp_path / "havering")
    assert load_scenario(tmp_path / "havering") == havering
