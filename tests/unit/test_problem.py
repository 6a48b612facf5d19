"""The problem builder: requests, windows, vehicle classes, and the plain-words pre-check.

Scenarios lie on a straight road (``routing.synthetic.scenario_on_line``): 1 km = 1000 m
= 120 s; schools ring at 09:00 (arrive 08:35-08:55) and end at 15:00 (leave by 15:20).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing.errors import InvalidScenarioError
from routing.model import (
    Needs,
    Policy,
    RouteStart,
    Run,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)
from routing.problem import COST_UNITS_PER_PENCE, build_problem, restrict
from routing.synthetic import scenario_on_line

ABSOLUTE_LIMITS = Policy(comfort_ride_factor=0.0, comfort_ride_extra_s=0)
"""The 45/75-minute limits alone (no comfort limit): the hand-checked windows below."""
TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
MINIBUS = VehicleType(
    "minibus",
    VehicleCategory.MINIBUS,
    16,
    max_wheelchair_places=2,
    seats_per_wheelchair_place=2,
    day_rate_pence=21000,
    cost_per_mile_pence=230,
    max_shift_s=4 * 3600,
)
SMALL = VehicleRequirement.SMALL_VEHICLE
AM_OPEN, AM_CLOSE = 9 * 3600 - 25 * 60, 9 * 3600 - 5 * 60


def test_one_request_per_pupil_with_am_windows_from_school_and_ride_limit() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("P1", "S1", 5.0, {"needs": Needs(max_ride_s=30 * 60, boarding_s=90)})],
        vehicle_types=(TAXI,),
    )
    problem, unassigned = build_problem(scenario, matrix, Run.AM)
    assert unassigned == ()
    (r,) = problem.requests
    assert problem.location_ids[r.pickup_loc] == "pupil:P1"
    assert problem.location_ids[r.dropoff_loc] == "school:S1"
    assert r.dropoff_window_s == (AM_OPEN, AM_CLOSE)
    # Earliest: arriving at the window's opening after a full 30-minute ride.
    # Latest: leaving in time for the direct 10-minute trip to arrive by its close.
    assert r.pickup_window_s == (AM_OPEN - 30 * 60 - 90, AM_CLOSE - 600 - 90)
    assert (r.pickup_service_s, r.dropoff_service_s) == (90, 30)
    assert (r.seats, r.wheelchairs, r.max_ride_s) == (1, 0, 30 * 60)


def test_pm_request_leaves_school_in_its_window_and_gets_home_within_the_limit() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("P1", "S1", 5.0, {"year_group": 3})],  # primary: 45 min
        vehicle_types=(TAXI,),
        policy=ABSOLUTE_LIMITS,
    )
    problem, _ = build_problem(scenario, matrix, Run.PM)
    (r,) = problem.requests
    assert problem.location_ids[r.pickup_loc] == "school:S1"
    assert r.pickup_window_s == (15 * 3600, 15 * 3600 + 20 * 60)
    assert r.dropoff_window_s == (15 * 3600 + 30 + 600, 15 * 3600 + 20 * 60 + 30 + 45 * 60)
    assert (r.pickup_service_s, r.dropoff_service_s) == (30, 60)


def test_siblings_at_one_address_and_school_become_one_request() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [
            ("A", "S1", 3.0, {"sibling_group": "G", "year_group": 2}),
            ("B", "S1", 3.0, {"sibling_group": "G", "needs": Needs(wheelchair=True)}),
        ],
        vehicle_types=(MINIBUS,),
        policy=ABSOLUTE_LIMITS,
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    (r,) = problem.requests
    assert r.pupil_ids == ("A", "B")
    assert (r.seats, r.wheelchairs) == (1, 1)
    assert r.max_ride_s == 45 * 60  # the primary pupil's limit
    assert (r.pickup_service_s, r.dropoff_service_s) == (120, 60)
    assert r.allowed_vehicle_types is None


def test_siblings_at_different_schools_must_share_a_vehicle() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.0},
        [("A", "S1", 3.0, {"sibling_group": "G"}), ("B", "S2", 3.0, {"sibling_group": "G"})],
        vehicle_types=(TAXI,),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    assert len(problem.requests) == 2
    assert problem.same_vehicle == (tuple(r.request_id for r in problem.requests),)


@pytest.mark.parametrize(
    ("needs_a", "policy", "shared"),
    [
        (Needs(travel_alone=True), Policy(), False),  # travelling alone wins
        (Needs(), Policy(allow_mixed_school_routes=False), False),  # one school per route
        (Needs(), Policy(), True),  # otherwise together
    ],
)
def test_sibling_rule_gives_way_to_stronger_rules(
    needs_a: Needs, policy: Policy, shared: bool
) -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.0},
        [
            ("A", "S1", 3.0, {"sibling_group": "G", "needs": needs_a}),
            ("B", "S2", 3.0, {"sibling_group": "G"}),
        ],
        vehicle_types=(TAXI,),
        policy=policy,
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    assert bool(problem.same_vehicle) is shared
    assert shared or problem.notes


def test_incompatible_pairs_and_needs_map_to_requests() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [
            ("A", "S1", 3.0, {"needs": Needs(needs_assistant=True, travel_alone=True)}),
            (
                "B",
                "S1",
                3.0,
                {"needs": Needs(vehicle_requirement=SMALL)},
            ),
        ],
        vehicle_types=(TAXI, MINIBUS),
        incompatible=(("A", "B"),),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    a, b = problem.requests
    assert a.needs_assistant and a.travel_alone and a.allowed_vehicle_types is None
    assert b.allowed_vehicle_types == frozenset({"taxi"})
    assert problem.incompatible == ((a.request_id, b.request_id),)


def test_vehicle_classes_cover_every_layout_with_and_without_an_assistant() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0}, [("A", "S1", 3.0, {})], vehicle_types=(TAXI, MINIBUS)
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    layouts = {
        (c.vehicle_type, c.seats, c.wheelchair_places, c.has_assistant)
        for c in problem.vehicle_classes
    }
    assert layouts == {
        ("taxi", 4, 0, False),
        ("taxi", 3, 0, True),  # the assistant takes a seat
        ("minibus", 16, 0, False),
        ("minibus", 15, 0, True),
        ("minibus", 14, 1, False),
        ("minibus", 13, 1, True),
        ("minibus", 12, 2, False),
        ("minibus", 11, 2, True),
    }
    taxi_pa = next(
        c for c in problem.vehicle_classes if c.vehicle_type == "taxi" and c.has_assistant
    )
    # Half the day rate and half the assistant's day, in objective units (1000 per penny).
    assert taxi_pa.fixed_cost == (4500 + 2750) * COST_UNITS_PER_PENCE
    assert taxi_pa.cost_per_m == round(150 * 1000 / 1609.344)
    assert taxi_pa.max_duration_s == TAXI.max_shift_s
    assert taxi_pa.start_loc is None and taxi_pa.end_loc is None  # open routes


def test_depot_policy_starts_and_ends_every_class_at_the_depot() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {})],
        vehicle_types=(TAXI,),
        policy=Policy(route_start=RouteStart.DEPOT, depot_lon=0.0, depot_lat=51.5),
        depot_km=-2.0,
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    for c in problem.vehicle_classes:
        assert problem.location_ids[c.start_loc] == "depot"  # type: ignore[index]
        assert c.end_loc == c.start_loc


_WC = Needs(wheelchair=True)
_TWO_WC = {"sibling_group": "G", "needs": _WC}


@pytest.mark.parametrize(
    ("pupils", "vehicle_types", "code", "reason"),
    [
        # A wheelchair user and only taxis.
        ([("A", "S1", 3.0, {"needs": _WC})], (TAXI,), "no_vehicle",
         "needs a wheelchair place but no vehicle type has one"),
        # Three wheelchair-using siblings; the minibus has two places.
        ([("A", "S1", 3.0, _TWO_WC), ("B", "S1", 3.0, _TWO_WC), ("C", "S1", 3.0, _TWO_WC)],
         (MINIBUS,), "no_vehicle",
         "needs 3 wheelchair places together (siblings) but the largest vehicle has 2"),
        # Five siblings and only 4-seat taxis.
        ([(p, "S1", 3.0, {"sibling_group": "G"}) for p in "ABCDE"], (TAXI,), "no_vehicle",
         "needs 5 seats together (siblings) but the largest vehicle has 4"),
        # Four siblings, one needs an assistant: 3 seats left in a taxi.
        ([("A", "S1", 3.0, {"sibling_group": "G", "needs": Needs(needs_assistant=True)})]
         + [(p, "S1", 3.0, {"sibling_group": "G"}) for p in "BCD"], (TAXI,), "no_vehicle",
         "needs a passenger assistant but no vehicle has room"),
        # Needs a small vehicle; only minibuses.
        ([("A", "S1", 3.0, {"needs": Needs(vehicle_requirement=SMALL)})],
         (MINIBUS,), "no_vehicle", "needs a particular kind of vehicle"),
        # The trip alone (30 min) is longer than a 20-minute shift.
        ([("A", "S1", 15.0, {})], (dataclasses.replace(TAXI, max_shift_s=20 * 60),),
         "shift_too_short", "longer than any vehicle's shift"),
    ],
)  # fmt: skip
def test_precheck_leaves_out_what_no_plan_can_carry_with_the_reason(
    pupils: list[tuple[str, str, float, dict[str, object]]],
    vehicle_types: tuple[VehicleType, ...],
    code: str,
    reason: str,
) -> None:
    others = [("OK", "S1", 1.0, {})]
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils + others, vehicle_types=vehicle_types)
    problem, unassigned = build_problem(scenario, matrix, Run.AM)
    assert {u.pupil_id for u in unassigned} == {p[0] for p in pupils}
    assert all(u.code == code and reason in u.reason and u.run is Run.AM for u in unassigned)
    assert [r.pupil_ids for r in problem.requests] == [("OK",)]  # the rest is still planned


def test_precheck_reports_a_location_the_network_cannot_reach() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0}, [("A", "S1", 3.0, {}), ("B", "S1", 2.0, {})], vehicle_types=(TAXI,)
    )
    duration = matrix.duration_s.copy()
    a = matrix.index("pupil:A")
    duration[a, :] = duration[:, a] = 10**9
    duration[a, a] = 0
    cut = dataclasses.replace(matrix, duration_s=duration)
    problem, unassigned = build_problem(scenario, cut, Run.AM)
    (u,) = unassigned
    assert (u.pupil_id, u.code) == ("A", "unreachable")
    assert "could not be reached on the road network" in u.reason
    assert [r.pupil_ids for r in problem.requests] == [("B",)]


def test_precheck_reports_a_pupil_missing_from_the_matrix() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0}, [("A", "S1", 3.0, {}), ("B", "S1", 2.0, {})], vehicle_types=(TAXI,)
    )
    keep = [i for i, loc in enumerate(matrix.location_ids) if loc != "pupil:A"]
    small = dataclasses.replace(
        matrix,
        location_ids=tuple(matrix.location_ids[i] for i in keep),
        lons=matrix.lons[keep],
        lats=matrix.lats[keep],
        duration_s=matrix.duration_s[np.ix_(keep, keep)],
        distance_m=matrix.distance_m[np.ix_(keep, keep)],
        snap_distance_m=matrix.snap_distance_m[keep],
    )
    _, unassigned = build_problem(scenario, small, Run.AM)
    assert [(u.pupil_id, u.code) for u in unassigned] == [("A", "unreachable")]


def test_pupil_ids_selects_pupils_and_skips_those_not_on_the_run() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {}), ("B", "S1", 2.0, {"attends_pm": False}), ("C", "S1", 1.0, {})],
        vehicle_types=(TAXI,),
    )
    problem, _ = build_problem(scenario, matrix, Run.PM, pupil_ids=["A", "B"])
    assert [r.pupil_ids for r in problem.requests] == [("A",)]
    with pytest.raises(InvalidScenarioError, match="unknown pupil 'Z'"):
        build_problem(scenario, matrix, Run.AM, pupil_ids=["Z"])


def test_restrict_keeps_a_subset_with_consistent_matrices() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 9.0},
        [("A", "S1", 3.0, {}), ("B", "S2", 7.0, {}), ("C", "S2", 8.0, {})],
        vehicle_types=(dataclasses.replace(TAXI, num_available=5),),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    ids = [r.request_id for r in problem.requests if r.school_id == "S2"]
    part = restrict(problem, ids, num_available={"taxi": 2})
    assert [r.pupil_ids for r in part.requests] == [("B",), ("C",)]
    assert set(part.location_ids) == {"school:S2", "pupil:B", "pupil:C"}
    for r in part.requests:
        whole = problem.request(r.request_id)
        assert (
            part.duration_s[r.pickup_loc, r.dropoff_loc]
            == problem.duration_s[whole.pickup_loc, whole.dropoff_loc]
        )
    assert all(c.num_available == 2 for c in part.vehicle_classes)


def test_incompatible_siblings_are_neither_merged_nor_tied_together() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.0},
        [
            ("A", "S1", 3.0, {"sibling_group": "G"}),
            ("B", "S1", 3.0, {"sibling_group": "G"}),
            ("C", "S2", 3.0, {"sibling_group": "G"}),
        ],
        vehicle_types=(TAXI,),
        incompatible=(("A", "B"),),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    assert [r.pupil_ids for r in problem.requests] == [("A",), ("B",), ("C",)]
    assert problem.same_vehicle == ()
    assert len(problem.incompatible) == 1


# ----------------------------------------------------------------- ride time as policy


@pytest.mark.parametrize(
    ("factor", "extra_min", "direct_min", "limit_min"),
    [
        (0.0, 0, 20, 75),  # comfort off: the absolute limit
        (1.5, 0, 20, 30),  # 20 x 1.5
        (0.0, 15, 20, 35),  # 20 + 15
        (1.5, 15, 20, 35),  # max(30, 35)
        (1.5, 15, 40, 60),  # max(60, 55)
        (2.0, 20, 40, 75),  # max(80, 60) = 80, capped by the absolute 75
        (1.5, 15, 80, 120),  # direct over 75: max(120, 95), the widened limit
        (0.0, 15, 80, 95),  # direct over 75: 80 + 15
        (0.0, 0, 80, 80),  # direct over 75, comfort off: the direct trip itself
    ],
)
def test_ride_limit_is_the_smaller_of_absolute_and_comfort_widened_for_a_long_direct_trip(
    factor: float, extra_min: int, direct_min: int, limit_min: int
) -> None:
    scenario, _ = scenario_on_line({"S1": 0.0}, [("A", "S1", 1.0, {})], vehicle_types=(TAXI,))
    policy = Policy(comfort_ride_factor=factor, comfort_ride_extra_s=extra_min * 60)
    assert policy.ride_limit_s(scenario.pupils[0], direct_min * 60) == limit_min * 60


def test_comfort_limit_sets_the_request_ride_limit_and_its_pickup_window() -> None:
    policy = Policy(comfort_ride_factor=1.5, comfort_ride_extra_s=10 * 60)
    # 10 km = 20 min direct: max(30, 30) = 30 min, under the absolute 75.
    scenario, matrix = scenario_on_line(
        {"S1": 0.0}, [("A", "S1", 10.0, {})], vehicle_types=(TAXI,), policy=policy
    )
    problem, unassigned = build_problem(scenario, matrix, Run.AM)
    (request,) = problem.requests
    assert unassigned == () and problem.flags == ()
    assert request.max_ride_s == 30 * 60
    assert request.pickup_window_s[0] == AM_OPEN - 30 * 60 - request.pickup_service_s


def test_a_long_direct_trip_is_carried_on_a_widened_limit_and_flagged() -> None:
    policy = Policy(comfort_ride_factor=0.0, comfort_ride_extra_s=10 * 60)
    # 40 km = 80 min direct, over the secondary 75: the limit becomes 80 + 10 = 90 min.
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 40.0, {}), ("B", "S1", 1.0, {})],
        vehicle_types=(TAXI,),
        policy=policy,
    )
    problem, unassigned = build_problem(scenario, matrix, Run.PM)
    assert unassigned == ()
    by_pupil = {r.pupil_ids[0]: r for r in problem.requests}
    assert by_pupil["A"].max_ride_s == 90 * 60
    assert by_pupil["B"].max_ride_s == 12 * 60  # 2 min + 10: the others keep theirs
    (flag,) = problem.flags
    assert (flag.pupil_id, flag.run, flag.code) == ("A", Run.PM, "long_direct_ride")
    assert flag.message == (
        "journey unavoidably over 75 min: direct trip 80 min (own limit 90 min)"
    )


def test_ride_value_is_objective_units_per_second_per_pupil() -> None:
    policy = Policy(ride_minute_value_pence=6)  # 6p a minute = 0.1p a second
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [
            ("A", "S1", 3.0, {"sibling_group": "G"}),
            ("B", "S1", 3.0, {"sibling_group": "G"}),
            ("C", "S1", 5.0, {}),
        ],
        vehicle_types=(TAXI,),
        policy=policy,
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    cost = {r.pupil_ids: r.ride_cost_per_s for r in problem.requests}
    per_pupil = COST_UNITS_PER_PENCE // 10
    assert cost == {("A", "B"): 2 * per_pupil, ("C",): per_pupil}
    off, _ = build_problem(dataclasses.replace(scenario, policy=Policy()), matrix, Run.AM)
    assert all(r.ride_cost_per_s == 0 for r in off.requests)
