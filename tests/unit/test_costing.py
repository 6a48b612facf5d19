"""Money: route prices, plan totals, school shares, fallback estimates, ride statistics.

Every expected number is worked out by hand in the comments (1 mile = 1609.344 m).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
from pathlib import Path

import pytest

from routing import synthetic
from routing.comparison import compare, comparison_table, comparison_to_dict
from routing.costing import FALLBACK_NOTE, fallback_journey, plan_cost, route_cost_pence
from routing.matrix import TravelMatrix
from routing.model import (
    Needs,
    Plan,
    Policy,
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
from routing.rides import ride_stats
from routing.summary import format_gbp

LAT = 51.5
# A straight road: positions in metres; drive time = metres / 10.
POSITIONS_M = {
    "school:S1": 0,
    "pupil:P1": 1000,
    "pupil:P2": 2000,
    "pupil:P3": 3000,
    "pupil:P5": 4000,
    "school:S2": 5000,
    "pupil:P4": 6000,
}


def lon_of(location_id: str) -> float:
    return -0.2 + POSITIONS_M[location_id] / 100_000


def line_matrix() -> TravelMatrix:
    return synthetic.line_matrix(POSITIONS_M, lat=LAT)


MINIBUS = VehicleType(
    "minibus",
    VehicleCategory.MINIBUS,
    capacity_seats=10,
    max_wheelchair_places=2,
    seats_per_wheelchair_place=2,
    day_rate_pence=20000,
    cost_per_mile_pence=300,
)
TAXI = VehicleType(
    "taxi", VehicleCategory.TAXI, capacity_seats=4, day_rate_pence=10000, cost_per_mile_pence=200
)
WAV = VehicleType(
    "wav",
    VehicleCategory.WAV,
    capacity_seats=4,
    max_wheelchair_places=1,
    seats_per_wheelchair_place=2,
    day_rate_pence=16000,
    cost_per_mile_pence=250,
)


def scenario(**policy: object) -> Scenario:
    def school(sid: str) -> School:
        return School(sid, sid, lon_of(f"school:{sid}"), LAT, SchoolKind.SPECIAL, 32400, 54000)

    def pupil(pid: str, sid: str, year: int, **needs: object) -> Pupil:
        return Pupil(pid, sid, lon_of(f"pupil:{pid}"), LAT, year, needs=Needs(**needs))  # type: ignore[arg-type]

    return Scenario(
        "money",
        (school("S1"), school("S2")),
        (
            pupil("P1", "S1", 3),
            pupil("P2", "S1", 9),
            pupil("P3", "S2", 9),
            pupil("P4", "S2", 2),
            pupil("P5", "S1", 9),
        ),
        (MINIBUS, TAXI, WAV),
        Policy(**policy),  # type: ignore[arg-type]
    )


def ride_route(route_id: str, run: Run, vt: str, cost: int, rides: dict[str, int]) -> Route:
    """A route whose pupils board together at 30000 s and alight after their ride."""
    pids = tuple(rides)
    stops = [Stop(StopKind.PICKUP, pids, "x", 0.0, 0.0, 30000, 30000, 30000)]
    stops += [
        Stop(StopKind.DROPOFF, (pid,), "y", 0.0, 0.0, 30000 + s, 30000 + s, 30000 + s)
        for pid, s in rides.items()
    ]
    return Route(route_id, run, vt, 4, 0, vt == "minibus", tuple(stops), 0, 0, cost)


# AM and PM: the minibus (with PA) takes P1, P2 (S1) and P3 (S2); a taxi takes P4 (S2).
# P5 is unassigned on both runs.
ROUTES = (
    ride_route("M-AM", Run.AM, "minibus", 14428, {"P1": 600, "P2": 1200, "P3": 1800}),
    ride_route("T-AM", Run.AM, "taxi", 5249, {"P4": 3000}),
    ride_route("M-PM", Run.PM, "minibus", 14428, {"P1": 600, "P2": 1200, "P3": 1800}),
    ride_route("T-PM", Run.PM, "taxi", 5249, {"P4": 4800}),
)
PLAN = Plan(
    "money",
    ROUTES,
    (Unassigned("P5", Run.AM, "no room"), Unassigned("P5", Run.PM, "no room")),
    "straight road (test)",
)


# --------------------------------------------------------------------------- route cost


@pytest.mark.parametrize(
    ("vt", "distance_m", "has_pa", "expected"),
    [
        # 10000 + 300 x 9000/1609.344 (1677.70) + 5500/2 = 14427.70
        (MINIBUS, 9000, True, 14428),
        # 5000 + 200 x 2000/1609.344 (248.55) = 5248.55
        (TAXI, 2000, False, 5249),
        # no distance: half the day rate only
        (TAXI, 0, False, 5000),
        # 1 x 100584/1609.344 = 62.5 exactly: half a penny rounds up
        (VehicleType("t", VehicleCategory.TAXI, 4, cost_per_mile_pence=1), 100584, False, 63),
        # odd day rate 1: 0.5 + 62.5 = 63 exactly (no double rounding)
        (VehicleType("t", VehicleCategory.TAXI, 4, day_rate_pence=1, cost_per_mile_pence=1),
         100584, False, 63),
        # odd day rate 10001 with an assistant of 5501: 5000.5 + 2750.5 = 7751
        (VehicleType("t", VehicleCategory.TAXI, 4, day_rate_pence=10001), 0, True, 7751),
    ],
)  # fmt: skip
def test_route_cost_follows_the_money_model(
    vt: VehicleType, distance_m: int, has_pa: bool, expected: int
) -> None:
    policy = Policy(assistant_day_cost_pence=5501 if vt.day_rate_pence == 10001 else 5500)
    assert route_cost_pence(vt, distance_m, has_pa, policy) == expected


@pytest.mark.parametrize(
    ("pence", "text"),
    [(1234, "£12.34"), (123456, "£1,235"), (-500, "£-5.00"), (0, "£0.00")],
)
def test_format_gbp(pence: int, text: str) -> None:
    assert format_gbp(pence) == text


# --------------------------------------------------------------------------- plan cost


def test_plan_cost_totals_by_hand() -> None:
    cost = plan_cost(scenario(), PLAN, matrix=line_matrix())
    # routes: 2 x (14428 + 5249) = 39354; P5 alone by taxi, 4000 m to S1:
    # 5000 + 200 x 2.4855 = 5497.1 -> 5497 per run, 10994 a day.
    assert cost.routes_day_pence == 39354
    assert cost.fallback_day_pence == 10994
    assert cost.day_pence == 50348
    assert cost.annual_pence == 50348 * 190
    assert (cost.num_pupils, cost.num_routed_pupils, cost.num_fallback_pupils) == (5, 4, 1)
    assert cost.per_pupil_day_pence == 10070  # 50348 / 5 = 10069.6
    assert (cost.num_routes, cost.num_vehicles, cost.num_assistants) == (4, 2, 1)
    assert cost.has_fallback


def test_fallback_is_flagged_estimate_in_cheapest_fitting_vehicle() -> None:
    cost = plan_cost(scenario(), PLAN, matrix=line_matrix())
    found = [(f.pupil_id, f.run, f.vehicle_type, f.distance_m, f.cost_pence) for f in cost.fallback]
    assert found == [("P5", Run.AM, "taxi", 4000, 5497), ("P5", Run.PM, "taxi", 4000, 5497)]
    assert all(f.is_estimate and f.reason == "no room" for f in cost.fallback)


def test_shared_route_is_apportioned_to_schools_by_pupils() -> None:
    by_school = {
        s.school_id: s for s in plan_cost(scenario(), PLAN, matrix=line_matrix()).by_school
    }
    # 14428 split 2:1 is 9618.67 : 4809.33 -> 9619 : 4809 (largest remainder), twice a day.
    # S1: 2 x 9619 + P5's fallback 10994 = 30232 for P1, P2, P5.
    # S2: 2 x 4809 + 2 x 5249 = 20116 for P3, P4.
    s1, s2 = by_school["S1"], by_school["S2"]
    assert (s1.routes_day_pence, s1.fallback_day_pence, s1.day_pence) == (19238, 10994, 30232)
    assert (s1.num_pupils, s1.per_pupil_day_pence) == (3, 10077)
    assert (s2.routes_day_pence, s2.fallback_day_pence, s2.day_pence) == (20116, 0, 20116)
    assert (s2.num_pupils, s2.per_pupil_day_pence) == (2, 10058)
    assert s1.day_pence + s2.day_pence == 50348


def test_cost_by_vehicle_type() -> None:
    types = {t.vehicle_type: t for t in plan_cost(scenario(), PLAN).by_vehicle_type}
    m, t = types["minibus"], types["taxi"]
    assert (m.num_routes_am, m.num_routes_pm, m.num_vehicles, m.num_assistants) == (1, 1, 1, 1)
    assert (m.day_pence, m.annual_pence) == (28856, 28856 * 190)
    assert (t.num_vehicles, t.num_assistants, t.day_pence) == (1, 0, 10498)


def test_fallback_for_wheelchair_user_with_assistant_uses_accessible_vehicle() -> None:
    s = scenario()
    pupil = dataclasses.replace(s.pupil("P5"), needs=Needs(wheelchair=True, needs_assistant=True))
    journey = fallback_journey(s, pupil, Run.AM, "no room", line_matrix())
    # Only the WAV has a wheelchair place: 8000 + 250 x 2.4855 + 2750 = 11371.4
    assert (journey.vehicle_type, journey.has_assistant, journey.cost_pence) == ("wav", True, 11371)


def test_fallback_without_matrix_uses_great_circle_times_circuity() -> None:
    s = scenario(approx_circuity_factor=1.5)
    journey = fallback_journey(s, s.pupil("P5"), Run.PM, "no room")
    # 0.04 degrees of longitude at 51.5 N: 4000 m on the test's scale is ~2768 m on Earth.
    great_circle = 6_371_000 * math.radians(0.04) * math.cos(math.radians(LAT))
    assert journey.distance_m == pytest.approx(1.5 * great_circle, rel=1e-3)


# --------------------------------------------------------------------------- ride times


def test_ride_stats_by_hand() -> None:
    stats = ride_stats(scenario(), PLAN)
    # Rides (min): AM 10, 20, 30, 50; PM 10, 20, 30, 80.
    assert stats.num_rides == 8
    assert stats.mean_min == pytest.approx(250 / 8)
    assert stats.max_min == 80
    # Sorted 10 10 20 20 30 30 50 80: position 0.95 x 7 = 6.65 -> 50 + 0.65 x 30 = 69.5
    assert stats.p95_min == pytest.approx(69.5)
    assert (stats.num_over_45_min, stats.num_over_75_min) == (2, 1)
    # P4 is primary (45 min): both its rides are over; P3's 30 min are within 75.
    assert stats.num_over_own_limit == 2
    am, pm = stats.by_run
    assert (am.run, am.num_rides, am.max_min, am.num_over_45_min) == (Run.AM, 4, 50, 1)
    assert (pm.run, pm.num_rides, pm.max_min, pm.num_over_75_min) == (Run.PM, 4, 80, 1)


def test_ride_is_dropoff_service_start_minus_pickup_departure() -> None:
    r = Route("r", Run.AM, "taxi", 4, 0, False, (
        Stop(StopKind.PICKUP, ("P1",), "x", 0, 0, 100, 120, 180),
        Stop(StopKind.DROPOFF, ("P1",), "y", 0, 0, 900, 960, 990),
    ), 0, 0, 0)  # fmt: skip
    stats = ride_stats(scenario(), Plan("m", (r,), (), "t"))
    assert stats.max_min == pytest.approx((960 - 180) / 60)


def test_ride_stats_of_empty_plan_are_zero() -> None:
    stats = ride_stats(scenario(), Plan("m", (), (), "t"))
    assert (stats.num_rides, stats.mean_min, stats.by_run) == (0, 0.0, ())


# --------------------------------------------------------------------------- comparison

# Today: a taxi each for P1..P4 at a contract £120 a day (6000 per run), and P5 on none.
CURRENT = Plan(
    "money",
    tuple(
        ride_route(f"C{pid}-{run.value}", run, "taxi", 6000, {pid: 2400})
        for run in (Run.AM, Run.PM)
        for pid in ("P1", "P2", "P3", "P4")
    ),
    (Unassigned("P5", Run.AM, "not on any route"), Unassigned("P5", Run.PM, "not on any route")),
    "straight road (test)",
)


def test_compare_savings_by_hand() -> None:
    comp = compare(scenario(), line_matrix(), PLAN, current=CURRENT)
    # Today: 8 x 6000 + P5's fallback 10994 = 58994; plan: 50348 (both with P5's estimate).
    assert comp.current_cost.day_pence == 58994
    assert comp.saving_day_pence == 8646
    assert comp.saving_annual_pence == 8646 * 190
    assert comp.saving_pct == pytest.approx(100 * 8646 / 58994)
    # per pupil-day: 58994 / 5 = 11798.8 -> 11799 against 10070
    assert comp.saving_per_pupil_day_pence == 11799 - 10070
    assert comp.runs == (Run.AM, Run.PM)


def test_compare_by_school_and_vehicle_type() -> None:
    comp = compare(scenario(), line_matrix(), PLAN, current=CURRENT)
    schools = {s.school_id: s for s in comp.by_school}
    # S1 today: P1, P2 taxis 4 x 6000 + P5 10994 = 34994; plan 30232.
    assert (schools["S1"].current_day_pence, schools["S1"].plan_day_pence) == (34994, 30232)
    assert schools["S1"].saving_day_pence == 4762
    types = {t.vehicle_type: t for t in comp.by_vehicle_type}
    assert (types["taxi"].current_num_vehicles, types["taxi"].plan_num_vehicles) == (4, 1)
    assert (types["minibus"].current_num_vehicles, types["minibus"].plan_num_vehicles) == (0, 1)


def test_compare_uses_only_the_runs_the_plan_covers() -> None:
    am_plan = Plan("money", ROUTES[:2], (Unassigned("P5", Run.AM, "no room"),), "t")
    comp = compare(scenario(), line_matrix(), am_plan, current=CURRENT)
    assert comp.runs == (Run.AM,)
    assert comp.current_cost.day_pence == 4 * 6000 + 5497


def test_comparison_table_and_dict_are_plain_data() -> None:
    comp = compare(scenario(), line_matrix(), PLAN, current=CURRENT)
    rows = {row.label: row for row in comparison_table(comp)}
    assert (rows["Day cost"].current, rows["Day cost"].plan, rows["Day cost"].change) == (
        58994,
        50348,
        -8646,
    )
    assert rows["Vehicles"].unit == "count"
    data = json.loads(json.dumps(comparison_to_dict(comp)))
    assert data["saving_day_pence"] == 8646
    assert data["plan"]["fallback_is_estimate"] is True
    assert data["fallback_note"] == FALLBACK_NOTE
    assert data["plan"]["rides"]["by_run"]["PM"]["max_min"] == 80


def test_the_hand_worlds_of_conftest_cost_what_their_docstrings_say(
    one_pupil_one_school: tuple[Scenario, TravelMatrix],
    three_pupils_one_school: tuple[Scenario, TravelMatrix],
) -> None:
    for (world, farthest), metres, pence in (
        ((one_pupil_one_school, "A"), 3000, 4780),
        ((three_pupils_one_school, "P3"), 4000, 4873),
    ):
        scenario, matrix = world
        home, school = matrix.index(f"pupil:{farthest}"), matrix.index("school:S1")
        assert int(matrix.distance_m[home, school]) == metres
        assert int(matrix.duration_s[home, school]) == metres * 120 // 1000
        (taxi,) = scenario.vehicle_types
        assert route_cost_pence(taxi, metres, False, scenario.policy) == pence


# --------------------------------------------------------------------------- import direction

ROUTING = Path(__file__).resolve().parents[2] / "routing"


def _routing_imports(path: Path) -> set[str]:
    """Every routing module a file imports, top level, in functions and for typing alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.startswith("routing.")}


def test_costing_is_a_leaf_that_imports_no_planner() -> None:
    allowed = {"routing.model", "routing.errors", "routing.matrix", "routing.network"}
    assert _routing_imports(ROUTING / "costing.py") <= allowed


def test_no_import_cycle_through_the_money_and_checker_rooms() -> None:
    modules = {
        ".".join(p.relative_to(ROUTING.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in ROUTING.rglob("*.py")
    }

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {
        m: {t for t in map(resolve, _routing_imports(p)) if t is not None and t != m}
        for m, p in modules.items()
    }

    def reaches(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return seen

    rooms = ("routing.baseline", "routing.costing", "routing.comparison", "routing.rides")
    rooms += tuple(m for m in modules if m.startswith("routing.checks"))
    assert [m for m in rooms if m in reaches(m)] == []
