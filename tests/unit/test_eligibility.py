"""Eligibility under s508B: the rule table, reasons, indicative distances and GeoJSON."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from routing.eligibility import (
    FROM_8_WALK_LIMIT_M,
    UNDER_8_WALK_LIMIT_M,
    AgeBand,
    EligibilityRule,
    assess_eligibility,
    assess_scenario,
    eligibility_route_geojson,
    format_eligibility_summary,
    pupil_age_years,
    write_eligibility_csv,
    write_eligibility_outputs,
)
from routing.errors import InvalidScenarioError
from routing.matrix import great_circle_m
from routing.model import (
    METRES_PER_MILE,
    NetworkSource,
    Pupil,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleType,
)
from routing.pipeline import assess_source

MILE = METRES_PER_MILE
SCHOOL = School(
    school_id="S1",
    name="Test School",
    lon=0.2,
    lat=51.55,
    kind=SchoolKind.MAINSTREAM,
    am_start_s=9 * 3600,
    pm_end_s=15 * 3600,
)


def _pupil(
    year_group: int,
    *,
    cannot_walk: bool = False,
    low_income: bool = False,
    unsafe: bool = False,
) -> Pupil:
    return Pupil(
        pupil_id="P1",
        school_id="S1",
        lon=0.21,
        lat=51.56,
        year_group=year_group,
        cannot_walk_assessed=cannot_walk,
        is_low_income=low_income,
        has_unsafe_route=unsafe,
    )


# Year group -> age at the start of the school year: Y2 = 6, Y3 = 7, Y4 = 8, Y6 = 10,
# Y7 = 11, Y11 = 15, Y12 = 16, R = 4.
RULE_TABLE = [
    # (year_group, miles, cannot_walk, low_income, unsafe, eligible, rule)
    # SEN assessment: eligible at any distance, even next door
    (4, 0.1, True, False, False, True, EligibilityRule.CANNOT_WALK_SEND),
    # SEN assessment outranks distance when both apply
    (9, 5.0, True, False, False, True, EligibilityRule.CANNOT_WALK_SEND),
    # age 6: 2.1 miles is beyond the under-8 distance of 2 miles
    (2, 2.1, False, False, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # age 6: exactly 2 miles is not "beyond" the limit
    (2, 2.0, False, False, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
    # age 7 (Year 3 at the start of the year) still has the 2-mile distance
    (3, 2.5, False, False, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # age 8: 2.5 miles is within the 3-mile distance
    (4, 2.5, False, False, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
    # age 8: 3.1 miles is beyond 3 miles
    (4, 3.1, False, False, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # age 8, low income: over 2 miles is enough (extended rights 8-10)
    (4, 2.5, False, True, False, True, EligibilityRule.LOW_INCOME_EXTENDED),
    # age 10, low income: 1.9 miles is within even the lowered distance
    (6, 1.9, False, True, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
    # age 11, low income: 2-6 mile band
    (7, 2.5, False, True, False, True, EligibilityRule.LOW_INCOME_EXTENDED),
    # age 15, low income: 6.0 miles is still inside the band, but beyond 3 miles ranks first
    (11, 6.0, False, True, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # age 15, low income, 1.5 miles: below the band
    (11, 1.5, False, True, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
    # age 16 (post-16), low income: no extended rights, 2.5 miles is within 3
    (12, 2.5, False, True, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
    # age 16 (post-16): the 3-mile test is applied as council policy
    (12, 3.5, False, False, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # within distance but an officer recorded the route as unsafe
    (8, 1.0, False, False, True, True, EligibilityRule.UNSAFE_ROUTE),
    # age 4 (Reception, below compulsory age): under-8 distance applied as policy
    (0, 2.2, False, False, False, True, EligibilityRule.BEYOND_WALKING_DISTANCE),
    # age 5, low income: extended rights start at 8, so 1.5 miles is within 2
    (1, 1.5, False, True, False, False, EligibilityRule.WITHIN_WALKING_DISTANCE),
]


@pytest.mark.parametrize(
    ("year_group", "miles", "cannot_walk", "low_income", "unsafe", "eligible", "rule"),
    RULE_TABLE,
)
def test_rule_table(
    year_group: int,
    miles: float,
    cannot_walk: bool,
    low_income: bool,
    unsafe: bool,
    eligible: bool,
    rule: EligibilityRule,
) -> None:
    pupil = _pupil(year_group, cannot_walk=cannot_walk, low_income=low_income, unsafe=unsafe)
    decision = assess_eligibility(
        pupil, SCHOOL, walk_distance_m=miles * MILE, walk_is_indicative=False
    )
    assert decision.is_eligible is eligible
    assert decision.rule is rule
    assert decision.reason.startswith("Eligible" if eligible else "Not eligible")
    assert decision.rules_met[:1] == ((rule,) if eligible else ())


@pytest.mark.parametrize(
    ("year_group", "limit_m"),
    [
        (2, UNDER_8_WALK_LIMIT_M),  # age 6
        (3, UNDER_8_WALK_LIMIT_M),  # age 7
        (4, FROM_8_WALK_LIMIT_M),  # age 8
        (13, FROM_8_WALK_LIMIT_M),  # age 17, post-16
    ],
)
def test_statutory_limit_follows_age(year_group: int, limit_m: float) -> None:
    decision = assess_eligibility(
        _pupil(year_group), SCHOOL, walk_distance_m=100.0, walk_is_indicative=False
    )
    assert decision.statutory_limit_m == pytest.approx(limit_m)


def test_reason_names_distance_and_limit_in_miles() -> None:
    decision = assess_eligibility(
        _pupil(5), SCHOOL, walk_distance_m=3.42 * MILE, walk_is_indicative=False
    )
    assert "3.42 miles" in decision.reason
    assert "3 miles" in decision.reason
    assert "aged 8 or over" in decision.reason


def test_reason_lists_every_other_ground_met() -> None:
    pupil = _pupil(5, cannot_walk=True, unsafe=True)
    decision = assess_eligibility(pupil, SCHOOL, walk_distance_m=4 * MILE, walk_is_indicative=False)
    assert decision.rules_met == (
        EligibilityRule.CANNOT_WALK_SEND,
        EligibilityRule.BEYOND_WALKING_DISTANCE,
        EligibilityRule.UNSAFE_ROUTE,
    )
    assert "Also met: beyond walking distance, unsafe route." in decision.reason


def test_unmeasured_walk_is_not_decided_and_asks_for_measurement() -> None:
    decision = assess_eligibility(_pupil(5), SCHOOL, walk_distance_m=None, walk_is_indicative=False)
    assert not decision.is_eligible
    assert decision.rule is EligibilityRule.DISTANCE_UNKNOWN
    assert "must measure" in decision.reason


def test_unmeasured_walk_still_eligible_on_send_assessment() -> None:
    decision = assess_eligibility(
        _pupil(5, cannot_walk=True), SCHOOL, walk_distance_m=None, walk_is_indicative=False
    )
    assert decision.is_eligible
    assert decision.rule is EligibilityRule.CANNOT_WALK_SEND


def test_indicative_distance_says_so_and_flags_a_near_limit() -> None:
    decision = assess_eligibility(
        _pupil(5), SCHOOL, walk_distance_m=2.9 * MILE, walk_is_indicative=True
    )
    assert decision.is_indicative
    assert "indicative" in decision.reason
    assert "could change the decision" in decision.reason


def test_indicative_distance_far_from_limit_is_not_flagged_as_near() -> None:
    decision = assess_eligibility(
        _pupil(5), SCHOOL, walk_distance_m=8 * MILE, walk_is_indicative=True
    )
    assert "indicative" in decision.reason
    assert "could change the decision" not in decision.reason


@pytest.mark.parametrize(
    ("year_group", "band", "words"),
    [
        (0, AgeBand.BELOW_COMPULSORY, "below compulsory school age"),  # Reception, age 4
        (5, AgeBand.COMPULSORY, ""),  # age 9: the statutory duty, nothing to add
        (14, AgeBand.POST_16, "post-16 transport policy"),  # age 18
    ],
)
def test_age_band_is_stated(year_group: int, band: AgeBand, words: str) -> None:
    decision = assess_eligibility(
        _pupil(year_group), SCHOOL, walk_distance_m=10 * MILE, walk_is_indicative=False
    )
    assert decision.age_band is band
    assert words in decision.reason
    if band is AgeBand.COMPULSORY:
        assert "policy" not in decision.reason


def test_age_from_date_of_birth_when_assessment_date_given() -> None:
    pupil = replace(_pupil(3), date_of_birth=date(2018, 3, 1))
    assert pupil_age_years(pupil) == 7  # from Year 3
    assert pupil_age_years(pupil, date(2026, 2, 28)) == 7
    assert pupil_age_years(pupil, date(2026, 3, 1)) == 8
    decision = assess_eligibility(
        pupil,
        SCHOOL,
        walk_distance_m=2.5 * MILE,
        walk_is_indicative=False,
        as_of=date(2026, 3, 1),
    )
    assert decision.statutory_limit_m == pytest.approx(FROM_8_WALK_LIMIT_M)
    assert not decision.is_eligible


@pytest.mark.parametrize(
    ("walk_distance_m", "match"),
    [
        (-1.0, "walk_distance_m must be >= 0, got -1.0"),  # negative
        (float("nan"), "walk_distance_m must be >= 0, got nan"),  # not a number
    ],
)
def test_bad_distance_is_rejected(walk_distance_m: float, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        assess_eligibility(
            _pupil(5), SCHOOL, walk_distance_m=walk_distance_m, walk_is_indicative=False
        )


def test_wrong_school_is_rejected() -> None:
    other = replace(SCHOOL, school_id="S2")
    with pytest.raises(InvalidScenarioError, match="attends school 'S1', not 'S2'"):
        assess_eligibility(_pupil(5), other, walk_distance_m=1.0, walk_is_indicative=False)


def test_great_circle_matches_a_known_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert great_circle_m(0.0, 51.0, 0.0, 52.0) == pytest.approx(111_195, rel=1e-3)


def _scenario() -> Scenario:
    near = Pupil(
        pupil_id="P1",
        school_id="S1",
        lon=0.2,
        lat=51.555,
        year_group=5,
        cannot_walk_assessed=False,
        first_name="Secret",
        last_name="Name",
    )
    far = Pupil(
        pupil_id="P2", school_id="S1", lon=0.2, lat=51.62, year_group=5, cannot_walk_assessed=False
    )
    taxi = VehicleType(name="taxi", category=VehicleCategory.TAXI, capacity_seats=4)
    return Scenario(name="t", schools=(SCHOOL,), pupils=(near, far), vehicle_types=(taxi,))


def test_scenario_without_walk_network_gives_indicative_decisions() -> None:
    decisions = assess_scenario(_scenario(), None)
    assert [d.pupil_id for d in decisions] == ["P1", "P2"]
    near, far = decisions
    assert near.is_indicative and far.is_indicative
    # 0.005 deg lat = 556 m straight, x 1.3 walking circuity
    assert near.walk_distance_m == pytest.approx(556 * 1.3, rel=0.01)
    assert not near.is_eligible
    assert far.is_eligible  # 7.8 km straight is over 3 miles whatever the circuity


def test_route_geojson_carries_decision_and_no_personal_details() -> None:
    collection = eligibility_route_geojson(_scenario(), None, "P1")
    assert collection["type"] == "FeatureCollection"
    route = collection["features"][0]
    assert route["geometry"]["type"] == "LineString"
    assert route["geometry"]["coordinates"] == [[0.2, 51.555], [0.2, 51.55]]
    props = route["properties"]
    assert props["geometry"] == "straight"
    assert props["is_indicative"] is True
    assert props["rule"] == "within_walking_distance"
    assert {f["properties"]["feature"] for f in collection["features"]} == {
        "walk_route",
        "home",
        "school",
    }
    text = json.dumps(collection)
    assert "Secret" not in text and "Name" not in text


def test_route_geojson_unknown_pupil_is_named() -> None:
    with pytest.raises(InvalidScenarioError, match="Unknown pupil 'P9'"):
        eligibility_route_geojson(_scenario(), None, "P9")


def _walk_scenario(tmp_path: Path) -> Scenario:
    """An L-shaped footpath: school at its south end, a pupil at its east end, one far off."""
    import networkx as nx
    import osmnx as ox

    points = {1: (0.2, 51.55), 2: (0.2, 51.56), 3: (0.22, 51.56)}
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in points.items():
        graph.add_node(node, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3)):
        length_m = great_circle_m(*points[u], *points[v])
        for a, b in ((u, v), (v, u)):
            graph.add_edge(a, b, key=0, length=length_m, highway="footway", osmid=10 * u + v)
    ox.save_graphml(graph, tmp_path / "walk.graphml")
    on_path = Pupil(
        pupil_id="P1",
        school_id="S1",
        lon=0.22,
        lat=51.56,
        year_group=5,
        cannot_walk_assessed=False,
    )
    off_network = Pupil(
        pupil_id="P2",
        school_id="S1",
        lon=0.5,
        lat=51.7,
        year_group=5,
        cannot_walk_assessed=False,
    )
    taxi = VehicleType(name="taxi", category=VehicleCategory.TAXI, capacity_seats=4)
    return Scenario(
        name="walk",
        schools=(SCHOOL,),
        pupils=(on_path, off_network),
        vehicle_types=(taxi,),
        network=NetworkSource(walk_graph="walk.graphml"),
    )


def test_scenario_with_walk_network_measures_along_the_footpaths(tmp_path: Path) -> None:
    scenario = _walk_scenario(tmp_path)
    on_path, off_network = assess_scenario(scenario, tmp_path)
    straight_m = great_circle_m(0.22, 51.56, 0.2, 51.55)
    legs_m = great_circle_m(0.22, 51.56, 0.2, 51.56) + great_circle_m(0.2, 51.56, 0.2, 51.55)
    assert not on_path.is_indicative
    assert on_path.walk_distance_m == pytest.approx(legs_m, abs=2.0)
    assert on_path.walk_distance_m > straight_m * 1.3  # the L is longer than the estimate
    assert "indicative" not in on_path.reason
    assert off_network.walk_distance_m is None
    assert off_network.rule is EligibilityRule.DISTANCE_UNKNOWN


def test_route_geojson_follows_the_walk_network(tmp_path: Path) -> None:
    collection = eligibility_route_geojson(_walk_scenario(tmp_path), tmp_path, "P1")
    route = collection["features"][0]
    assert route["properties"]["geometry"] == "walk_network"
    assert route["properties"]["is_indicative"] is False
    assert route["geometry"]["coordinates"] == [[0.22, 51.56], [0.2, 51.56], [0.2, 51.55]]
    assert "footpath network walk.graphml" in route["properties"]["method"]


def test_route_geojson_off_network_pupil_has_no_line_and_asks_for_measurement(
    tmp_path: Path,
) -> None:
    collection = eligibility_route_geojson(_walk_scenario(tmp_path), tmp_path, "P2")
    kinds = [f["properties"]["feature"] for f in collection["features"]]
    assert kinds == ["home", "school"]
    assert collection["properties"]["rule"] == "distance_unknown"
    assert collection["properties"]["walk_distance_m"] is None


def test_eligibility_csv_and_summary(tmp_path: Path) -> None:
    decisions = assess_scenario(_scenario(), None)
    path = write_eligibility_csv(decisions, tmp_path / "eligibility.csv")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["pupil_id"], r["is_eligible"], r["rule"]) for r in rows] == [
        ("P1", "false", "within_walking_distance"),
        ("P2", "true", "beyond_walking_distance"),
    ]
    assert rows[0]["statutory_limit_miles"] == "3.0"
    assert "Secret" not in path.read_text(encoding="utf-8")
    text = format_eligibility_summary(decisions)
    assert text.splitlines()[0] == "1 of 2 pupils eligible for transport."
    assert "indicative" in text


def test_eligibility_outputs_agree_with_the_walks_drawn(tmp_path: Path) -> None:
    scenario = _walk_scenario(tmp_path)
    result = assess_source(scenario, tmp_path, with_walks=True)
    decisions = result.decisions
    written = write_eligibility_outputs(decisions, result.walks_geojson, tmp_path / "out")
    assert [p.name for p in written] == ["eligibility.csv", "eligibility_routes.geojson"]
    collection = json.loads(written[1].read_text(encoding="utf-8"))
    by_pupil = {f["properties"]["pupil_id"]: f for f in collection["features"]}
    assert by_pupil["P1"]["geometry"]["type"] == "LineString"
    assert by_pupil["P2"]["geometry"] == {"type": "Point", "coordinates": [0.5, 51.7]}
    assert by_pupil["P2"]["properties"]["rule"] == "distance_unknown"
    fast = assess_scenario(scenario, tmp_path)  # one multi-source search, the CSV's way
    assert [d.walk_distance_m for d in decisions] == [d.walk_distance_m for d in fast]
    csv_only = write_eligibility_outputs(
        assess_source(scenario, tmp_path).decisions, None, tmp_path / "csv"
    )
    assert [p.name for p in csv_only] == ["eligibility.csv"]
