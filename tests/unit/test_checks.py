"""The independent checker: a hand-built valid plan passes; each injected fault is named.

The world is a straight road (positions in metres): depot 0, P1 1000, P2 and P3 (siblings,
one address) 3000, P4 5000, P5 8000, school S1 10000, P6 11000, school S2 12000. Distance
is the gap in metres, drive time a tenth of it in seconds (36 kph). Every number in the
valid plan below can be checked by hand from that.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from routing import synthetic
from routing.checks import Violation, ViolationKind, check_plan, check_problem_plan
from routing.matrix import TravelMatrix
from routing.model import (
    CollectionPoint,
    CollectionWalk,
    IncompatiblePair,
    Needs,
    Plan,
    Policy,
    Pupil,
    Route,
    RouteStart,
    Run,
    Scenario,
    School,
    SchoolKind,
    Stop,
    StopKind,
    Unassigned,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)
from routing.problem import Problem, Request, VehicleClass

K = ViolationKind
LAT = 51.5

POSITIONS_M = {
    "depot": 0,
    "pupil:P1": 1000,
    "point:CP1": 1000,  # a collection point at P1's door (the walk injection)
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


def line_matrix() -> TravelMatrix:
    return synthetic.line_matrix(POSITIONS_M, lat=LAT)


def _school(school_id: str) -> School:
    # AM window 08:35-08:55 (30900-32100 s), PM departure 15:00-15:20 (54000-55200 s).
    return School(
        school_id, f"School {school_id}", lon_of(f"school:{school_id}"), LAT,
        SchoolKind.SPECIAL, am_start_s=32400, pm_end_s=54000,
    )  # fmt: skip


def _pupil(pid: str, school_id: str, year: int, **needs: object) -> Pupil:
    sibling = str(needs.pop("sibling_group", ""))
    return Pupil(
        pid, school_id, lon_of(f"pupil:{pid}"), LAT, year,
        needs=Needs(**needs),  # type: ignore[arg-type]
        sibling_group=sibling,
    )  # fmt: skip


MINIBUS = VehicleType(
    "minibus", VehicleCategory.MINIBUS, capacity_seats=10, max_wheelchair_places=4,
    seats_per_wheelchair_place=2, num_available=2, day_rate_pence=20000,
    cost_per_mile_pence=300, max_shift_s=7200,
)  # fmt: skip
TAXI = VehicleType(
    "taxi", VehicleCategory.TAXI, capacity_seats=4, day_rate_pence=10000,
    cost_per_mile_pence=200, max_shift_s=7200,
)  # fmt: skip
MPV = VehicleType(
    "mpv", VehicleCategory.MPV, capacity_seats=6, num_available=1, day_rate_pence=12000,
    cost_per_mile_pence=250, max_shift_s=7200,
)  # fmt: skip


def tiny_scenario(**policy: object) -> Scenario:
    return Scenario(
        name="line",
        schools=(_school("S1"), _school("S2")),
        pupils=(
            _pupil("P1", "S1", 3),  # primary: 45 min limit
            _pupil("P2", "S1", 9, sibling_group="G1"),  # secondary: 75 min
            _pupil("P3", "S1", 4, sibling_group="G1"),
            _pupil(
                "P4",
                "S1",
                8,
                wheelchair=True,
                needs_assistant=True,
                boarding_s=180,
                vehicle_requirement=VehicleRequirement.WHEELCHAIR_ACCESSIBLE,
            ),
            _pupil(
                "P5",
                "S1",
                10,
                travel_alone=True,
                vehicle_requirement=VehicleRequirement.SMALL_VEHICLE,
            ),
            _pupil("P6", "S2", 5),
        ),
        vehicle_types=(MINIBUS, TAXI, MPV),
        policy=Policy(**policy),  # type: ignore[arg-type]
        incompatible_pairs=(IncompatiblePair("P1", "P6"),),
    )


def stop(
    kind: StopKind, pupils: str, location_id: str, arrival: int, start: int, departure: int
) -> Stop:
    school_id = location_id.removeprefix("school:") if location_id.startswith("school:") else ""
    return Stop(
        kind, tuple(pupils.split()), location_id, lon_of(location_id), LAT,
        arrival, start, departure, school_id,
    )  # fmt: skip


P, D = StopKind.PICKUP, StopKind.DROPOFF


def route(
    route_id: str, run: Run, vt: VehicleType, layout: tuple[int, int], has_pa: bool,
    stops: tuple[Stop, ...], distance_m: int, duration_s: int, cost_pence: int,
) -> Route:  # fmt: skip
    return Route(
        route_id, run, vt.name, layout[0], layout[1], has_pa, stops,
        distance_m, duration_s, cost_pence,
    )  # fmt: skip


# Costs by hand: half day rate + pence per mile x metres / 1609.344 + half the PA's 5500.
# minibus 9000 m with PA: 10000 + 300 x 5.5923 + 2750 = 14427.70 -> 14428
# taxi 2000 m: 5000 + 200 x 1.2427 = 5248.55 -> 5249; taxi 1000 m: 5124.27 -> 5124
R1_AM = route("R1-AM", Run.AM, MINIBUS, (7, 1), True, (
    stop(P, "P1", "pupil:P1", 30000, 30000, 30060),  # boarding 60
    stop(P, "P2 P3", "pupil:P2", 30260, 30260, 30380),  # 2000 m = 200 s; 2 x 60
    stop(P, "P4", "pupil:P4", 30580, 30580, 30760),  # wheelchair: 180
    stop(D, "P1 P2 P3 P4", "school:S1", 31260, 31260, 31380),  # 4 x 30 hand-over
), 9000, 1380, 14428)  # fmt: skip
R2_AM = route("R2-AM", Run.AM, TAXI, (4, 0), False, (
    stop(P, "P5", "pupil:P5", 31000, 31000, 31060),
    stop(D, "P5", "school:S1", 31260, 31260, 31290),
), 2000, 290, 5249)  # fmt: skip
R3_AM = route("R3-AM", Run.AM, TAXI, (4, 0), False, (
    stop(P, "P6", "pupil:P6", 31000, 31000, 31060),
    stop(D, "P6", "school:S2", 31160, 31160, 31190),
), 1000, 190, 5124)  # fmt: skip
R1_PM = route("R1-PM", Run.PM, MINIBUS, (7, 1), True, (
    stop(P, "P1 P2 P3 P4", "school:S1", 54000, 54000, 54120),
    stop(D, "P4", "pupil:P4", 54620, 54620, 54800),
    stop(D, "P2 P3", "pupil:P2", 55000, 55000, 55120),
    stop(D, "P1", "pupil:P1", 55320, 55320, 55380),
), 9000, 1380, 14428)  # fmt: skip
R2_PM = route("R2-PM", Run.PM, TAXI, (4, 0), False, (
    stop(P, "P5", "school:S1", 54000, 54000, 54030),
    stop(D, "P5", "pupil:P5", 54230, 54230, 54290),
), 2000, 290, 5249)  # fmt: skip
R3_PM = route("R3-PM", Run.PM, TAXI, (4, 0), False, (
    stop(P, "P6", "school:S2", 54000, 54000, 54030),
    stop(D, "P6", "pupil:P6", 54130, 54130, 54190),
), 1000, 190, 5124)  # fmt: skip


def valid_plan() -> Plan:
    return Plan("line", (R1_AM, R2_AM, R3_AM, R1_PM, R2_PM, R3_PM), (), "straight road (test)")


# --------------------------------------------------------------------------- helpers


def with_routes(plan: Plan, *routes: Route, drop: tuple[str, ...] = ()) -> Plan:
    """Replace routes by id (same run) and add new ones; drop the ids in ``drop``."""
    new = {(r.run, r.route_id): r for r in routes}
    kept = [new.pop((r.run, r.route_id), r) for r in plan.routes if r.route_id not in drop]
    return dataclasses.replace(plan, routes=(*kept, *new.values()))


def with_stops(r: Route, **changes: object) -> Route:
    return dataclasses.replace(r, **changes)  # type: ignore[arg-type]


def keys(violations: list[Violation]) -> set[tuple[ViolationKind, str]]:
    """(kind, pupil) for pupil rules; (kind, route) for route rules; (kind, '') run-wide."""
    return {(v.kind, v.pupil_id or v.route_id) for v in violations}


Mutation = Callable[[Scenario, Plan], tuple[Scenario, Plan]]


def on_plan(fn: Callable[[Plan], Plan]) -> Mutation:
    return lambda scenario, plan: (scenario, fn(plan))


# --------------------------------------------------------------------------- the valid plan


def test_hand_built_plan_has_no_violations() -> None:
    assert check_plan(tiny_scenario(), line_matrix(), valid_plan()) == []


def test_unassigned_pupil_with_reason_is_not_missing() -> None:
    plan = with_routes(valid_plan(), drop=("R2-AM",))
    plan = dataclasses.replace(plan, unassigned=(Unassigned("P5", Run.AM, "no taxi"),))
    assert check_plan(tiny_scenario(), line_matrix(), plan) == []


def test_only_the_runs_in_the_plan_are_checked_for_coverage() -> None:
    am_only = dataclasses.replace(valid_plan(), routes=(R1_AM, R2_AM, R3_AM))
    assert check_plan(tiny_scenario(), line_matrix(), am_only) == []
    missing = keys(check_plan(tiny_scenario(), line_matrix(), am_only, runs=(Run.AM, Run.PM)))
    assert missing == {(K.MISSING, pid) for pid in ("P1", "P2", "P3", "P4", "P5", "P6")}


# A mixed-school route: P5 is dropped at S1 before P6 boards for S2 (so P5 still rides
# alone). 8000 -> 10000 -> 11000 -> 12000: 4000 m, taxi 5000 + 200 x 2.4855 = 5497.
MIXED_R2_AM = route("R2-AM", Run.AM, TAXI, (4, 0), False, (
    stop(P, "P5", "pupil:P5", 31000, 31000, 31060),
    stop(D, "P5", "school:S1", 31260, 31260, 31290),
    stop(P, "P6", "pupil:P6", 31390, 31390, 31450),
    stop(D, "P6", "school:S2", 31550, 31550, 31580),
), 4000, 580, 5497)  # fmt: skip


def test_mixed_school_route_is_valid_when_policy_allows_it() -> None:
    plan = with_routes(valid_plan(), MIXED_R2_AM, drop=("R3-AM",))
    assert check_plan(tiny_scenario(), line_matrix(), plan) == []


# --------------------------------------------------------------------------- injected faults

# P1 picked up at 27000 and P2 waits for service until 30260: P1 rides 31260 - 27060 =
# 4200 s > 45 min; the route lasts 31380 - 27000 = 4380 s.
LONG_RIDE_R1_AM = with_stops(R1_AM, duration_s=4380, stops=(
    stop(P, "P1", "pupil:P1", 27000, 27000, 27060),
    stop(P, "P2 P3", "pupil:P2", 27260, 30260, 30380),
    *R1_AM.stops[2:],
))  # fmt: skip

# P6 boards first and rides with P5: 11000 -> 8000 -> 10000 -> 12000 = 7000 m,
# taxi 5000 + 200 x 4.3496 = 5869.93 -> 5870.
SHARED_R3_AM = route("R3-AM", Run.AM, TAXI, (4, 0), False, (
    stop(P, "P6", "pupil:P6", 30500, 30500, 30560),
    stop(P, "P5", "pupil:P5", 30860, 30860, 30920),
    stop(D, "P5", "school:S1", 31120, 31120, 31150),
    stop(D, "P6", "school:S2", 31350, 31350, 31380),
), 7000, 880, 5870)  # fmt: skip

# P6 joins the minibus after S1: 11000 m, 10000 + 300 x 6.8351 + 2750 = 14800.53 -> 14801.
WITH_P6_R1_AM = with_stops(R1_AM, distance_m=11000, duration_s=1670, cost_pence=14801, stops=(
    *R1_AM.stops,
    stop(P, "P6", "pupil:P6", 31480, 31480, 31540),
    stop(D, "P6", "school:S2", 31640, 31640, 31670),
))  # fmt: skip

# P3 leaves the minibus for a taxi of its own (7000 m: 5870).
NO_P3_R1_AM = with_stops(R1_AM, duration_s=1290, stops=(
    R1_AM.stops[0],
    stop(P, "P2", "pupil:P2", 30260, 30260, 30320),
    stop(P, "P4", "pupil:P4", 30520, 30520, 30700),
    stop(D, "P1 P2 P4", "school:S1", 31200, 31200, 31290),
))  # fmt: skip
P3_TAXI_AM = route("R4-AM", Run.AM, TAXI, (4, 0), False, (
    stop(P, "P3", "pupil:P3", 30500, 30500, 30560),
    stop(D, "P3", "school:S1", 31260, 31260, 31290),
), 7000, 790, 5870)  # fmt: skip


# P5's taxi calls at the school first, then at P5's home (times and distance consistent).
DROP_FIRST_R2_AM = with_stops(R2_AM, stops=(
    stop(D, "P5", "school:S1", 31000, 31000, 31030),
    stop(P, "P5", "pupil:P5", 31230, 31230, 31290),
))  # fmt: skip


def _shift(r: Route, seconds: int) -> Route:
    return with_stops(
        r,
        stops=tuple(
            dataclasses.replace(
                s,
                arrival_s=s.arrival_s + seconds,
                service_start_s=s.service_start_s + seconds,
                departure_s=s.departure_s + seconds,
            )
            for s in r.stops
        ),
    )


def _edit_stop(r: Route, index: int, **changes: object) -> Route:
    stops = list(r.stops)
    stops[index] = dataclasses.replace(stops[index], **changes)  # type: ignore[arg-type]
    return with_stops(r, stops=tuple(stops))


def _scenario_pupil(scenario: Scenario, pid: str, **changes: object) -> Scenario:
    pupils = tuple(
        dataclasses.replace(p, **changes) if p.pupil_id == pid else p  # type: ignore[arg-type]
        for p in scenario.pupils
    )
    return dataclasses.replace(scenario, pupils=pupils)


def _walk_too_far(scenario: Scenario, plan: Plan) -> tuple[Scenario, Plan]:
    """P1 picked up and set down at collection point CP1, stated as a 900 m walk (limit 800)."""
    point = CollectionPoint("CP1", "Corner shop", lon_of("point:CP1"), LAT)
    scenario = _scenario_pupil(scenario, "P1", can_use_collection_point=True)
    scenario = dataclasses.replace(scenario, collection_points=(point,))
    am = _edit_stop(R1_AM, 0, location_id="point:CP1")
    pm = _edit_stop(R1_PM, 3, location_id="point:CP1")
    plan = dataclasses.replace(with_routes(plan, am, pm), walks=(CollectionWalk("P1", "CP1", 900),))
    return scenario, plan


INJECTIONS: list[tuple[str, Mutation, set[tuple[ViolationKind, str]]]] = [
    # P1 walks 900 m to a collection point; the policy allows 800 m
    ("walk_over_limit", _walk_too_far, {(K.WALK, "P1")}),
    # P5's AM route removed and P5 not listed as unassigned
    ("missing", on_plan(lambda p: with_routes(p, drop=("R2-AM",))), {(K.MISSING, "P5")}),
    # P5 routed and also listed as unassigned
    (
        "duplicate_unassigned",
        on_plan(lambda p: dataclasses.replace(p, unassigned=(Unassigned("P5", Run.AM, "x"),))),
        {(K.DUPLICATE, "P5")},
    ),
    # P6 on two AM taxis
    (
        "duplicate_two_routes",
        on_plan(lambda p: with_routes(p, dataclasses.replace(R3_AM, route_id="R9-AM"))),
        {(K.DUPLICATE, "P6")},
    ),
    # two AM routes share one id
    (
        "duplicate_route_id",
        on_plan(
            lambda p: dataclasses.replace(
                p,
                routes=tuple(
                    dataclasses.replace(r, route_id="R2-AM") if r is R3_AM else r for r in p.routes
                ),
            )
        ),
        {(K.DUPLICATE, "R2-AM")},
    ),
    # an unassigned pupil the scenario does not have
    (
        "unknown_pupil",
        on_plan(lambda p: dataclasses.replace(p, unassigned=(Unassigned("P9", Run.AM, "x"),))),
        {(K.UNKNOWN, "P9")},
    ),
    # P6 no longer attends AM but still rides an AM taxi
    (
        "wrong_run",
        lambda s, p: (_scenario_pupil(s, "P6", attends_am=False), p),
        {(K.WRONG_RUN, "P6")},
    ),
    # P5 dropped before being picked up (stop order reversed)
    (
        "precedence",
        on_plan(lambda p: with_routes(p, DROP_FIRST_R2_AM)),
        {(K.PRECEDENCE, "P5")},
    ),
    # P6 taken to S1 (same drive time and distance as S2 from P6's home)
    (
        "wrong_school",
        on_plan(
            lambda p: with_routes(
                p,
                _edit_stop(
                    R3_AM, 1, location_id="school:S1", lon=lon_of("school:S1"), school_id="S1"
                ),
            )
        ),
        {(K.WRONG_LOCATION, "P6")},
    ),
    # the 2000 m leg driven in 100 s
    (
        "time_leg_too_fast",
        on_plan(
            lambda p: with_routes(
                p,
                with_stops(
                    _edit_stop(R2_AM, 1, arrival_s=31100, service_start_s=31100, departure_s=31130),
                    duration_s=130,
                ),
            )
        ),
        {(K.TIME, "P5")},
    ),
    # boarding takes 60 s but the stop departs after 30
    (
        "time_service_short",
        on_plan(lambda p: with_routes(p, _edit_stop(R2_AM, 0, departure_s=31030))),
        {(K.TIME, "P5")},
    ),
    # P5 reaches S1 at 08:56, after the window closes at 08:55
    (
        "window_am",
        on_plan(lambda p: with_routes(p, _shift(R2_AM, 900))),
        {(K.WINDOW, "P5")},
    ),
    # P6 collected at 14:58, before school ends at 15:00
    (
        "window_pm",
        on_plan(lambda p: with_routes(p, _shift(R3_PM, -100))),
        {(K.WINDOW, "P6")},
    ),
    # P1 rides 70 min against a 45 min limit
    (
        "max_ride_time",
        on_plan(lambda p: with_routes(p, LONG_RIDE_R1_AM)),
        {(K.MAX_RIDE_TIME, "P1")},
    ),
    # layout 2 seats + 4 chairs, PA seated: 1 seat for P1, P2, P3
    (
        "load",
        on_plan(lambda p: with_routes(p, with_stops(R1_AM, seats=1, wheelchair_places=4))),
        {(K.LOAD, "P2"), (K.LOAD, "P3")},
    ),
    # layout 10 seats, no chairs: P4's wheelchair has no place
    (
        "wheelchair",
        on_plan(lambda p: with_routes(p, with_stops(R1_AM, seats=9, wheelchair_places=0))),
        {(K.WHEELCHAIR, "P4")},
    ),
    # 8 seats for pupils + PA + 1 chair is not a layout of the minibus
    (
        "layout",
        on_plan(lambda p: with_routes(p, with_stops(R1_AM, seats=8))),
        {(K.LOAD, "R1-AM")},
    ),
    # no passenger assistant for P4 (cost without the PA's 2750)
    (
        "assistant",
        on_plan(
            lambda p: with_routes(
                p, with_stops(R1_AM, has_assistant=False, seats=8, cost_pence=11678)
            )
        ),
        {(K.ASSISTANT, "P4")},
    ),
    # P5 (travel alone) shares a taxi with P6
    (
        "travel_alone",
        on_plan(lambda p: with_routes(p, SHARED_R3_AM, drop=("R2-AM",))),
        {(K.TRAVEL_ALONE, "P5")},
    ),
    # P1 and P6 (incompatible) on the minibus
    (
        "incompatible",
        on_plan(lambda p: with_routes(p, WITH_P6_R1_AM, drop=("R3-AM",))),
        {(K.INCOMPATIBLE, "P1")},
    ),
    # a two-school route while the policy forbids them
    (
        "mixed_school",
        lambda s, p: (
            dataclasses.replace(s, policy=Policy(allow_mixed_school_routes=False)),
            with_routes(p, MIXED_R2_AM, drop=("R3-AM",)),
        ),
        {(K.MIXED_SCHOOL, "R2-AM")},
    ),
    # sibling P3 travels apart from P2
    (
        "siblings",
        on_plan(lambda p: with_routes(p, NO_P3_R1_AM, P3_TAXI_AM)),
        {(K.SIBLINGS, "P3")},
    ),
    # P5 (small vehicle only) in a 10-seat minibus: 10000 + 300 x 1.2427 = 10372.8
    (
        "vehicle_requirement",
        on_plan(
            lambda p: with_routes(
                p, dataclasses.replace(R2_AM, vehicle_type="minibus", seats=10, cost_pence=10373)
            )
        ),
        {(K.VEHICLE_REQUIREMENT, "P5")},
    ),
    # two MPVs in the AM run, one available: 6000 + 250 x miles = 6311 and 6155
    (
        "fleet",
        on_plan(
            lambda p: with_routes(
                p,
                dataclasses.replace(R2_AM, vehicle_type="mpv", seats=6, cost_pence=6311),
                dataclasses.replace(R3_AM, vehicle_type="mpv", seats=6, cost_pence=6155),
            )
        ),
        {(K.FLEET, "")},
    ),
    # the minibus waits from 05:33 at P1's door: 11380 s > 2 h shift
    (
        "shift",
        on_plan(
            lambda p: with_routes(
                p, with_stops(_edit_stop(R1_AM, 0, arrival_s=20000), duration_s=11380)
            )
        ),
        {(K.SHIFT, "R1-AM")},
    ),
    # the route's stated duration disagrees with its stops
    (
        "stated_duration",
        on_plan(lambda p: with_routes(p, with_stops(R2_AM, duration_s=600))),
        {(K.TIME, "R2-AM")},
    ),
    # the route claims 2500 m for a 2000 m drive (its price is still right)
    (
        "distance",
        on_plan(lambda p: with_routes(p, with_stops(R2_AM, distance_m=2500))),
        {(K.DISTANCE, "R2-AM")},
    ),
    # the route is priced £1 above the money model
    (
        "cost",
        on_plan(lambda p: with_routes(p, with_stops(R2_AM, cost_pence=5349))),
        {(K.COST, "R2-AM")},
    ),
    # a stop drawn 1 km from its location
    (
        "stop_coordinates",
        on_plan(lambda p: with_routes(p, _edit_stop(R3_AM, 0, lon=lon_of("pupil:P6") + 0.01))),
        {(K.WRONG_LOCATION, "P6")},
    ),
    # a vehicle type the scenario does not hire
    (
        "unknown_vehicle_type",
        on_plan(lambda p: with_routes(p, with_stops(R2_AM, vehicle_type="bus"))),
        {(K.UNKNOWN, "R2-AM")},
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in INJECTIONS],
)
def test_checker_names_each_injected_fault_and_nothing_else(
    mutate: Mutation, expected: set[tuple[ViolationKind, str]]
) -> None:
    scenario, plan = mutate(tiny_scenario(), valid_plan())
    assert keys(check_plan(scenario, line_matrix(), plan)) == expected


def test_every_violation_kind_has_an_injection() -> None:
    injected = {kind for _, _, expected in INJECTIONS for kind, _ in expected}
    assert injected == set(ViolationKind)


def test_violation_names_run_route_and_pupil() -> None:
    plan = with_routes(valid_plan(), _shift(R2_AM, 900))
    (v,) = check_plan(tiny_scenario(), line_matrix(), plan)
    assert (v.kind, v.run, v.route_id, v.pupil_id) == (K.WINDOW, Run.AM, "R2-AM", "P5")
    assert "32160" in v.message


def test_pickup_at_someone_elses_address_is_wrong_location() -> None:
    moved = _edit_stop(R2_AM, 0, location_id="pupil:P4", lon=lon_of("pupil:P4"))
    found = keys(check_plan(tiny_scenario(), line_matrix(), with_routes(valid_plan(), moved)))
    assert (K.WRONG_LOCATION, "P5") in found


def test_sibling_may_board_at_the_other_siblings_stop_id() -> None:
    # P3 and P2 share an address, so the stop 'pupil:P2' is P3's home too (valid plan).
    assert R1_AM.stops[1].location_id == "pupil:P2"
    assert check_plan(tiny_scenario(), line_matrix(), valid_plan()) == []


def test_siblings_who_must_travel_alone_may_split() -> None:
    scenario = _scenario_pupil(tiny_scenario(), "P3", needs=Needs(travel_alone=True))
    plan = Plan("line", (NO_P3_R1_AM, R2_AM, R3_AM, P3_TAXI_AM), (), "test")
    assert check_plan(scenario, line_matrix(), plan) == []


def test_depot_start_counts_empty_running_in_distance_and_shift() -> None:
    scenario = tiny_scenario(route_start=RouteStart.DEPOT, depot_lon=lon_of("depot"), depot_lat=LAT)
    # depot -> P5 -> S1 -> depot: 8000 + 2000 + 10000 m; leaves 30200, back 32290.
    # taxi 5000 + 200 x 12.4274 = 7485.48 -> 7485
    r2 = with_stops(R2_AM, distance_m=20000, duration_s=2090, cost_pence=7485)
    found = check_plan(scenario, line_matrix(), with_routes(valid_plan(), r2))
    assert not [v for v in found if v.route_id == "R2-AM"]
    assert (K.DISTANCE, "R1-AM") in keys(found)


def test_checker_tolerates_one_second_of_rounding() -> None:
    nudged = _edit_stop(R2_AM, 0, departure_s=31061)
    assert check_plan(tiny_scenario(), line_matrix(), with_routes(valid_plan(), nudged)) == []


# --------------------------------------------------------------------------- independence


def _runtime_imports(path: Path) -> set[str]:
    """Modules a file imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.add(child.module)
            visit(child)

    visit(tree)
    return found


@pytest.mark.parametrize("module", ["checks", "costing"])  # costing: the checker imports it
def test_checker_does_not_import_solver_or_problem_builder(module: str) -> None:
    root = Path(__file__).resolve().parents[2] / "routing"
    package = root / module  # the checker is a package: every file of it
    files = sorted(package.glob("*.py")) if package.is_dir() else [root / f"{module}.py"]
    assert files
    imported = set().union(*(_runtime_imports(f) for f in files))
    forbidden = {
        m for m in imported if m.startswith(("ortools", "routing.solver", "routing.problem"))
    }
    assert forbidden == set()


# --------------------------------------------------------------------------- benchmark problems


def tiny_problem(**changes: object) -> Problem:
    """Two requests on the line (0 depot, 1 and 2 pickups, 3 drop-off), one vehicle class."""
    x = np.array([0, 1000, 3000, 10000], dtype=np.int64)
    distance = np.abs(x[:, None] - x[None, :]).astype(np.int64)
    requests = (
        Request("A", ("A",), "S", 1, 3, (0, 40000), (30900, 32100), 60, 30, 1, 0, 2700),
        Request("B", ("B",), "S", 2, 3, (0, 40000), (30900, 32100), 60, 30, 1, 0, 2700),
    )
    vclass = VehicleClass("van", 2, 0, False, 0, 1, 3600, 1, start_loc=0, end_loc=0)
    fields = {
        "name": "tiny", "run": Run.AM, "location_ids": ("0", "1", "2", "3"),
        "duration_s": distance // 10, "distance_m": distance, "requests": requests,
        "vehicle_classes": (vclass,), "max_vehicles": 1,
    }  # fmt: skip
    fields.update(changes)
    return Problem(**fields)  # type: ignore[arg-type]


def tiny_problem_plan(**route_changes: object) -> Plan:
    # depot 0 -> A 1000 (arrive 30000) -> B 3000 -> drop both at 10000 -> depot: 20000 m;
    # leaves the depot at 29900, back at 31220 + 1000.
    r = Route("v1", Run.AM, "van", 2, 0, False, (
        Stop(P, ("A",), "1", 0, 0, 30000, 30000, 30060),
        Stop(P, ("B",), "2", 0, 0, 30260, 30260, 30320),
        Stop(D, ("A",), "3", 0, 0, 31020, 31020, 31050),
        Stop(D, ("B",), "3", 0, 0, 31050, 31050, 31080),
    ), 20000, 2180, 0)  # fmt: skip
    return Plan("tiny", (dataclasses.replace(r, **route_changes),), (), "test")  # type: ignore[arg-type]


def test_problem_plan_built_by_hand_is_valid() -> None:
    assert check_problem_plan(tiny_problem(), tiny_problem_plan()) == []


@pytest.mark.parametrize(
    ("problem_changes", "route_changes", "expected"),
    [
        # vehicle class of 1 seat (no such class) and two pupils aboard
        ({}, {"seats": 1}, {(K.LOAD, "v1"), (K.LOAD, "B")}),
        # A must ride at most 10 minutes (rides 960 s)
        (
            {
                "requests": (
                    Request("A", ("A",), "S", 1, 3, (0, 40000), (30900, 32100), 60, 30, 1, 0, 600),
                    tiny_problem().requests[1],
                )
            },
            {},
            {(K.MAX_RIDE_TIME, "A")},
        ),
        # the drop-off window closes at 31000 (B's drop-off starts at 31050)
        (
            {
                "requests": (
                    tiny_problem().requests[0],
                    Request("B", ("B",), "S", 2, 3, (0, 40000), (30900, 31000), 60, 30, 1, 0, 2700),
                )
            },
            {},
            {(K.WINDOW, "B")},
        ),
        # A and B must never share a vehicle
        ({"incompatible": (("A", "B"),)}, {}, {(K.INCOMPATIBLE, "A")}),
        # no vehicle allowed: max_vehicles 0
        ({"max_vehicles": 0}, {}, {(K.FLEET, "")}),
        # a route may last 30 minutes only (lasts 2180 s depot to depot)
        (
            {"vehicle_classes": (VehicleClass("van", 2, 0, False, 0, 1, 1800, 1, 0, 0),)},
            {},
            {(K.SHIFT, "v1")},
        ),
        # the horizon ends at 32000, before the van is back at the depot (32080)
        ({"horizon_s": (0, 32000)}, {}, {(K.WINDOW, "v1")}),
    ],
)
def test_problem_checker_names_injected_faults(
    problem_changes: dict[str, object],
    route_changes: dict[str, object],
    expected: set[tuple[ViolationKind, str]],
) -> None:
    found = check_problem_plan(tiny_problem(**problem_changes), tiny_problem_plan(**route_changes))
    assert keys(found) == expected


def test_problem_checker_reports_unserved_request() -> None:
    plan = dataclasses.replace(tiny_problem_plan(), routes=())
    assert keys(check_problem_plan(tiny_problem(), plan)) == {(K.MISSING, "A"), (K.MISSING, "B")}


@pytest.mark.parametrize(
    ("route_index", "stop_index"),
    [(ri, si) for ri, r in enumerate(valid_plan().routes) for si in range(len(r.stops))],
)
def test_removing_any_stop_is_caught_for_each_of_its_pupils(
    route_index: int, stop_index: int
) -> None:
    plan = valid_plan()
    r = plan.routes[route_index]
    gone = r.stops[stop_index]
    cut = with_stops(r, stops=r.stops[:stop_index] + r.stops[stop_index + 1 :])
    found = check_plan(tiny_scenario(), line_matrix(), with_routes(plan, cut))
    named = {v.pupil_id for v in found if v.kind is K.PRECEDENCE}
    assert named >= set(gone.pupil_ids)


def test_pupil_picked_up_twice_on_one_route_is_duplicate() -> None:
    twice = with_stops(R2_AM, stops=(R2_AM.stops[0], *R2_AM.stops))
    found = keys(check_plan(tiny_scenario(), line_matrix(), with_routes(valid_plan(), twice)))
    assert (K.DUPLICATE, "P5") in found
