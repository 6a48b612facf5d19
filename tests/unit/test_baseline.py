"""Today's arrangement as a plan: stop order, times in the window, contract prices.

A straight road (positions in metres, drive time = metres / 10): depot 0, P1 1000, P2 and
P3 (one address) 3000, P4 5000, P5 8000, school S1 10000, P6 11000, school S2 12000.
Both schools: AM arrivals 08:35-08:55 (30900-32100 s), PM from 15:00 (54000 s).
"""

from __future__ import annotations

import dataclasses

from routing import synthetic
from routing.baseline import check_current_plan, current_plan
from routing.checks import ViolationKind, check_plan
from routing.comparison import compare
from routing.matrix import TravelMatrix
from routing.model import (
    CurrentRoute,
    IncompatiblePair,
    Needs,
    Policy,
    Pupil,
    RouteStart,
    Run,
    Scenario,
    School,
    SchoolKind,
    StopKind,
    Unassigned,
    UnassignedCode,
    VehicleCategory,
    VehicleType,
)

LAT = 51.5
POSITIONS_M = {
    "depot": 0,
    "pupil:P1": 1000,
    "pupil:P2": 3000,
    "pupil:P3": 3000,
    "pupil:P4": 5000,
    "pupil:P5": 8000,
    "school:S1": 10000,
    "pupil:P6": 11000,
    "school:S2": 12000,
}


def lon_of(location_id: str) -> float:
    return -0.2 + POSITIONS_M[location_id] / 100_000


def line_matrix(without: tuple[str, ...] = ()) -> TravelMatrix:
    return synthetic.line_matrix(
        {loc: pos for loc, pos in POSITIONS_M.items() if loc not in without}, lat=LAT
    )


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

# The minibus contract is £300.01 a day; the taxi's price is not known.
CR1 = CurrentRoute("CR1", "minibus", True, ("P2", "P1", "P4", "P3"), day_price_pence=30001)
CR2 = CurrentRoute("CR2", "taxi", False, ("P5",))


def scenario(*current: CurrentRoute, **policy: object) -> Scenario:
    def school(sid: str) -> School:
        return School(sid, sid, lon_of(f"school:{sid}"), LAT, SchoolKind.SPECIAL, 32400, 54000)

    def pupil(pid: str, sid: str, **needs: object) -> Pupil:
        return Pupil(pid, sid, lon_of(f"pupil:{pid}"), LAT, 8, needs=Needs(**needs))  # type: ignore[arg-type]

    return Scenario(
        "today",
        (school("S1"), school("S2")),
        (
            pupil("P1", "S1"),
            pupil("P2", "S1"),
            pupil("P3", "S1"),
            pupil("P4", "S1", wheelchair=True, needs_assistant=True, boarding_s=180),
            pupil("P5", "S1"),
            pupil("P6", "S2"),
        ),
        (MINIBUS, TAXI),
        Policy(**policy),  # type: ignore[arg-type]
        current_routes=current or (CR1, CR2),
    )


def times(plan_route: object) -> list[tuple[str, str, int, int, int]]:
    return [
        (s.kind.value, " ".join(s.pupil_ids), s.arrival_s, s.service_start_s, s.departure_s)
        for s in plan_route.stops  # type: ignore[attr-defined]
    ]


def test_am_route_is_nearest_neighbour_from_farthest_home_arriving_as_late_as_allowed() -> None:
    plan = current_plan(scenario(), line_matrix())
    routes = {r.route_id: r for r in plan.routes}
    # P1 is farthest from S1 (900 s); then P2+P3 (one stop, 2 x 60 s), P4 (180 s), S1.
    # Drive + service = 1260 s to S1, which is reached at the window close 32100.
    assert times(routes["CR1-AM"]) == [
        ("pickup", "P1", 30840, 30840, 30900),
        ("pickup", "P2 P3", 31100, 31100, 31220),
        ("pickup", "P4", 31420, 31420, 31600),
        ("dropoff", "P2 P1 P4 P3", 32100, 32100, 32220),
    ]
    r = routes["CR1-AM"]
    assert (r.distance_m, r.duration_s, r.has_assistant) == (9000, 1380, True)
    # one wheelchair user: the 8 seats + 1 chair layout, the assistant takes a seat
    assert (r.seats, r.wheelchair_places) == (7, 1)


def test_pm_route_reverses_the_am_order_and_leaves_at_the_end_of_school() -> None:
    routes = {r.route_id: r for r in current_plan(scenario(), line_matrix()).routes}
    assert times(routes["CR1-PM"]) == [
        ("pickup", "P2 P1 P4 P3", 54000, 54000, 54120),
        ("dropoff", "P4", 54620, 54620, 54800),
        ("dropoff", "P2 P3", 55000, 55000, 55120),
        ("dropoff", "P1", 55320, 55320, 55380),
    ]


def test_contract_price_is_split_between_runs_else_money_model() -> None:
    routes = {r.route_id: r for r in current_plan(scenario(), line_matrix()).routes}
    # 30001 a day: the AM run takes the odd penny.
    assert (routes["CR1-AM"].cost_pence, routes["CR1-PM"].cost_pence) == (15001, 15000)
    # taxi, 2000 m: 5000 + 200 x 1.2427 = 5248.55 -> 5249 per run
    assert (routes["CR2-AM"].cost_pence, routes["CR2-PM"].cost_pence) == (5249, 5249)


def test_pupils_on_no_current_route_are_reported() -> None:
    plan = current_plan(scenario(), line_matrix())
    assert plan.unassigned == (
        Unassigned(
            "P6",
            Run.AM,
            "not on any route of the current arrangement",
            UnassignedCode.NOT_IN_CURRENT_ARRANGEMENT,
        ),
        Unassigned(
            "P6",
            Run.PM,
            "not on any route of the current arrangement",
            UnassignedCode.NOT_IN_CURRENT_ARRANGEMENT,
        ),
    )
    assert any("1 pupil(s)" in note for note in plan.notes)


def test_unreachable_pupil_is_unassigned_and_its_route_dropped() -> None:
    plan = current_plan(scenario(), line_matrix(without=("pupil:P5",)))
    assert {r.route_id for r in plan.routes} == {"CR1-AM", "CR1-PM"}
    assert {(u.pupil_id, u.code) for u in plan.unassigned} == {
        ("P5", "unreachable"),
        ("P6", UnassignedCode.NOT_IN_CURRENT_ARRANGEMENT),
    }


def test_current_plan_breaks_no_rule_here_except_contract_prices() -> None:
    s, m = scenario(), line_matrix()
    plan = current_plan(s, m)
    assert check_current_plan(s, m, plan) == []
    # the plain checker flags the contract prices (not the money model), for the record
    costs = {(v.kind, v.route_id) for v in check_plan(s, m, plan)}
    assert costs == {(ViolationKind.COST, "CR1-AM"), (ViolationKind.COST, "CR1-PM")}


def test_rules_todays_routes_break_are_listed_not_raised() -> None:
    s = dataclasses.replace(scenario(), incompatible_pairs=(IncompatiblePair("P1", "P2"),))
    found = check_current_plan(s, line_matrix(), current_plan(s, line_matrix()))
    assert {(v.kind, v.route_id) for v in found} == {
        (ViolationKind.INCOMPATIBLE, "CR1-AM"),
        (ViolationKind.INCOMPATIBLE, "CR1-PM"),
    }


def test_multi_school_route_drops_at_the_nearer_school_first() -> None:
    s = scenario(CurrentRoute("CR3", "taxi", False, ("P6", "P5")))
    routes = {r.route_id: r for r in current_plan(s, line_matrix()).routes}
    am = routes["CR3-AM"]
    # First school is S2 (P6's): P5 is farther from it (400 s) than P6 (100 s); then P6;
    # from P6 both schools are 100 s away: S2 (listed first) wins the tie, then S1.
    assert [(st.kind, st.location_id) for st in am.stops] == [
        (StopKind.PICKUP, "pupil:P5"),
        (StopKind.PICKUP, "pupil:P6"),
        (StopKind.DROPOFF, "school:S2"),
        (StopKind.DROPOFF, "school:S1"),
    ]
    # the last school is reached at its window close; the first inside its window
    assert am.stops[-1].service_start_s == 32100
    assert 30900 <= am.stops[2].service_start_s <= 32100
    pm = routes["CR3-PM"]
    assert [st.location_id for st in pm.stops] == [
        "school:S1",
        "school:S2",
        "pupil:P6",
        "pupil:P5",
    ]
    assert check_current_plan(s, line_matrix(), current_plan(s, line_matrix())) == []


def test_depot_policy_counts_empty_running() -> None:
    s = scenario(route_start=RouteStart.DEPOT, depot_lon=lon_of("depot"), depot_lat=LAT)
    routes = {r.route_id: r for r in current_plan(s, line_matrix()).routes}
    # depot -> P5 -> S1 -> depot = 8000 + 2000 + 10000 m
    assert routes["CR2-AM"].distance_m == 20000
    assert check_current_plan(s, line_matrix(), current_plan(s, line_matrix())) == []


def test_plan_identical_to_today_saves_nothing() -> None:
    s, m = scenario(), line_matrix()
    comp = compare(s, m, current_plan(s, m))
    assert comp.saving_day_pence == 0
    assert comp.current_unplaced_pupil_ids == ("P6",)
    assert comp.current_cost.has_fallback
