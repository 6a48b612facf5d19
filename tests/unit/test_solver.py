"""The OR-Tools solver: tiny problems checkable by hand, and one test per hard rule.

Scenarios lie on a straight road (``routing.synthetic.scenario_on_line``): 1 km = 1000 m
= 120 s. Schools ring at 09:00 (arrivals 08:35-08:55), end at 15:00 (leave by 15:20).
Each rule test is built so that, without the rule, a cheaper plan would break it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing.checks import check_plan, check_problem_plan
from routing.matrix import TravelMatrix
from routing.model import (
    METRES_PER_MILE,
    Needs,
    Plan,
    Policy,
    Route,
    RouteStart,
    Run,
    Scenario,
    SolveParams,
    StopKind,
    UnassignedCode,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)
from routing.problem import ObjectiveKind, Problem, Request, VehicleClass, build_problem
from routing.solver import improve, solve
from routing.solver.plans import plan_from_routes
from routing.solver.repair import repair
from routing.solver.schedule import latest
from routing.solver.space import IndexSpace, Vehicle
from routing.synthetic import scenario_on_line

PARAMS = SolveParams(time_limit_s=1.0)
SMALL = VehicleRequirement.SMALL_VEHICLE

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
WAV = VehicleType(
    "wav",
    VehicleCategory.WAV,
    6,
    max_wheelchair_places=2,
    seats_per_wheelchair_place=2,
    day_rate_pence=14000,
    cost_per_mile_pence=190,
)
MINIBUS = VehicleType(
    "minibus",
    VehicleCategory.MINIBUS,
    16,
    max_wheelchair_places=2,
    seats_per_wheelchair_place=2,
    day_rate_pence=21000,
    cost_per_mile_pence=230,
)


def _plan(scenario, matrix, run=Run.AM, params=PARAMS) -> Plan:  # type: ignore[no-untyped-def]
    problem, unassigned = build_problem(scenario, matrix, run)
    assert unassigned == ()
    plan = solve(problem, params)
    assert check_plan(scenario, matrix, plan) == []
    return plan


def _route_of(plan: Plan, pupil_id: str) -> Route:
    return next(r for r in plan.routes if pupil_id in r.pupil_ids())


def test_tiny_am_plan_is_one_taxi_priced_and_timed_by_hand(
    three_pupils_one_school: tuple[Scenario, TravelMatrix],
) -> None:
    # P3 at 4 km, P2 at 3 km, P1 at 2 km, school at 0: one taxi, 4 km from first pickup.
    scenario, matrix = three_pupils_one_school
    plan = _plan(scenario, matrix)
    assert len(plan.routes) == 1 and plan.unassigned == ()
    route = plan.routes[0]
    assert [s.pupil_ids for s in route.stops[:3]] == [("P3",), ("P2",), ("P1",)]
    assert sorted(route.stops[3].pupil_ids) == ["P1", "P2", "P3"]
    assert route.distance_m == 4000
    assert route.cost_pence == round(4500 + 150 * 4000 / METRES_PER_MILE)  # 4873
    school = route.stops[-1]
    # Pickups are pushed as late as the window allows: the last hand-over starts at 08:55.
    assert school.departure_s == 9 * 3600 - 5 * 60 + 30
    assert school.service_start_s == school.arrival_s == school.departure_s - 3 * 30
    assert route.stops[0].service_start_s == school.arrival_s - 2 * 60 - 60 - 4 * 120
    assert route.duration_s == school.departure_s - route.stops[0].arrival_s


def test_tiny_pm_plan_leaves_school_at_the_bell(
    three_pupils_one_school: tuple[Scenario, TravelMatrix],
) -> None:
    scenario, matrix = three_pupils_one_school
    plan = _plan(scenario, matrix, Run.PM)
    (route,) = plan.routes
    assert route.stops[0].kind is StopKind.PICKUP
    assert route.stops[0].service_start_s == 15 * 3600
    assert [s.pupil_ids for s in route.stops[1:]] == [("P1",), ("P2",), ("P3",)]


def test_wheelchair_user_gets_a_wheelchair_place() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("W", "S1", 3.0, {"needs": Needs(wheelchair=True, boarding_s=180)}), ("P", "S1", 3.0, {})],
        vehicle_types=(TAXI, WAV),
    )
    plan = _plan(scenario, matrix)
    route = _route_of(plan, "W")
    assert route.vehicle_type == "wav" and route.wheelchair_places >= 1


def test_pupil_needing_an_assistant_rides_with_one_who_takes_a_seat() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {"needs": Needs(needs_assistant=True)}), ("B", "S1", 3.0, {})],
        vehicle_types=(TAXI,),
    )
    plan = _plan(scenario, matrix)
    route = _route_of(plan, "A")
    assert route.has_assistant and route.seats == 3
    assert route.cost_pence == round(4500 + 2750 + 150 * 3000 / METRES_PER_MILE)


def test_pupil_who_travels_alone_has_the_vehicle_to_themselves() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        # At 12 km (24 min) one taxi cannot run two trips inside the 20-minute window.
        [("A", "S1", 12.0, {"needs": Needs(travel_alone=True)}), ("B", "S1", 12.0, {})],
        vehicle_types=(TAXI,),
    )
    plan = _plan(scenario, matrix)
    assert _route_of(plan, "A").pupil_ids() == ("A",)
    assert len(plan.routes) == 2


def test_incompatible_pupils_never_share_a_vehicle() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {}), ("B", "S1", 3.0, {}), ("C", "S1", 3.0, {})],
        vehicle_types=(TAXI,),
        incompatible=(("A", "B"),),
    )
    plan = _plan(scenario, matrix)
    assert _route_of(plan, "A") != _route_of(plan, "B")


def test_siblings_at_different_schools_share_a_vehicle() -> None:
    # Without the rule two routes (4 km + 4 km) beat one (4 km + 8 km): mileage only.
    cheap_fixed = dataclasses.replace(TAXI, day_rate_pence=0, cost_per_mile_pence=1000)
    scenario, matrix = scenario_on_line(
        {"S1": 4.0, "S2": -4.0},
        [
            ("A", "S1", 0.0, {"sibling_group": "G"}),
            ("B", "S2", 0.0, {"sibling_group": "G"}),
        ],
        vehicle_types=(cheap_fixed,),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    assert len(problem.same_vehicle) == 1
    plan = _plan(scenario, matrix)
    assert _route_of(plan, "A") == _route_of(plan, "B")


def test_siblings_at_one_address_and_school_are_one_stop() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [
            ("A", "S1", 3.0, {"sibling_group": "G"}),
            ("B", "S1", 3.0, {"sibling_group": "G"}),
        ],
        vehicle_types=(TAXI,),
    )
    plan = _plan(scenario, matrix)
    (route,) = plan.routes
    assert route.stops[0].pupil_ids == ("A", "B")
    assert route.stops[0].departure_s - route.stops[0].service_start_s == 120


@pytest.mark.parametrize(
    ("requirement", "vehicle_type"),
    [
        (SMALL, "taxi"),  # the rule: no minibus, however cheap
        (VehicleRequirement.NONE, "minibus"),  # control: the cheap minibus otherwise
    ],
)
def test_small_vehicle_requirement_is_met_even_when_a_minibus_is_cheaper(
    requirement: VehicleRequirement, vehicle_type: str
) -> None:
    cheap_bus = dataclasses.replace(MINIBUS, day_rate_pence=1000, cost_per_mile_pence=10)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {"needs": Needs(vehicle_requirement=requirement)})],
        vehicle_types=(TAXI, cheap_bus),
    )
    plan = _plan(scenario, matrix)
    assert _route_of(plan, "A").vehicle_type == vehicle_type


def test_ride_limit_splits_pupils_on_opposite_sides() -> None:
    # One taxi via both homes: whoever is picked first rides 20 + 10 km = 60 min > 30.
    short = {"needs": Needs(max_ride_s=30 * 60)}
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 10.0, short), ("B", "S1", -10.0, short)],
        vehicle_types=(TAXI,),
    )
    plan = _plan(scenario, matrix)
    assert len(plan.routes) == 2


def test_without_a_ride_limit_the_same_pupils_share_one_taxi() -> None:
    # The control for the test above: the rule, not the geometry, splits them (the
    # comfort limit off too: it would keep A's 60-minute ride to max(40, 45) minutes).
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 10.0, {}), ("B", "S1", -10.0, {})],
        vehicle_types=(TAXI,),
        policy=Policy(comfort_ride_factor=0.0, comfort_ride_extra_s=0),
    )
    plan = _plan(scenario, matrix)
    assert len(plan.routes) == 1


def test_shift_length_splits_a_long_route() -> None:
    short_shift = dataclasses.replace(TAXI, max_shift_s=35 * 60)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 10.0, {}), ("B", "S1", -10.0, {})],
        vehicle_types=(short_shift,),
    )
    plan = _plan(scenario, matrix)
    assert len(plan.routes) == 2
    assert all(r.duration_s <= 35 * 60 for r in plan.routes)


def test_minibus_trades_seats_for_wheelchair_places() -> None:
    chairs = [(f"W{i}", "S1", 3.0, {"needs": Needs(wheelchair=True)}) for i in range(2)]
    # At 12 km the minibus has time for one trip only: all 14 ride together.
    chairs = [(w, s, 12.0, extra) for w, s, _, extra in chairs]
    seated = [(f"P{i:02d}", "S1", 12.0, {}) for i in range(12)]
    scenario, matrix = scenario_on_line({"S1": 0.0}, chairs + seated, vehicle_types=(MINIBUS,))
    plan = _plan(scenario, matrix)
    (route,) = plan.routes
    assert (route.seats, route.wheelchair_places) == (12, 2)


@pytest.mark.parametrize(
    ("mixed", "routes"),
    [
        (True, 1),  # nearby schools share a taxi
        (False, 2),  # one school per route
    ],
)
def test_mixed_school_routes_follow_the_policy(mixed: bool, routes: int) -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 0.5},
        [("A", "S1", 3.0, {}), ("B", "S2", 3.0, {})],
        vehicle_types=(TAXI,),
        policy=Policy(allow_mixed_school_routes=mixed),
    )
    plan = _plan(scenario, matrix)
    assert len(plan.routes) == routes


def test_depot_routes_count_distance_from_and_back_to_the_depot() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 3.0, {})],
        vehicle_types=(TAXI,),
        policy=Policy(route_start=RouteStart.DEPOT, depot_lon=0.0, depot_lat=51.5),
        depot_km=5.0,
    )
    plan = _plan(scenario, matrix)
    (route,) = plan.routes
    assert route.distance_m == 2000 + 3000 + 5000


def test_pupils_beyond_the_fleet_are_unassigned_not_an_error() -> None:
    one_taxi = dataclasses.replace(TAXI, num_available=1)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 12.0, {"needs": Needs(travel_alone=True)}), ("B", "S1", 12.0, {})],
        vehicle_types=(one_taxi,),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    plan = solve(problem, PARAMS)
    assert len(plan.routes) == 1
    (left,) = plan.unassigned
    assert left.code == UnassignedCode.NOT_PLACED and "time limit" in left.reason
    assert check_plan(scenario, matrix, plan) == []


def test_shared_availability_caps_all_layouts_of_a_type() -> None:
    # Two travel-alone wheelchair users and one WAV: its two layouts cannot both run.
    one_wav = dataclasses.replace(WAV, num_available=1)
    needs = Needs(wheelchair=True, travel_alone=True)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        # At 12 km the WAV cannot run two trips inside the 20-minute window.
        [("A", "S1", 12.0, {"needs": needs}), ("B", "S1", 12.0, {"needs": needs})],
        vehicle_types=(one_wav,),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    plan = solve(problem, PARAMS)
    assert len(plan.routes) == 1 and len(plan.unassigned) == 1


def _distance_problem(num_requests: int, max_vehicles: int | None) -> Problem:
    xs = np.arange(num_requests + 1, dtype=np.int64) * 1000
    dist = np.abs(np.subtract.outer(xs, xs))
    requests = tuple(
        Request(
            request_id=f"r{i}",
            pupil_ids=(f"r{i}",),
            school_id="",
            pickup_loc=i,
            dropoff_loc=0,
            pickup_window_s=(0, 10_000),
            dropoff_window_s=(0, 10_000),
            pickup_service_s=0,
            dropoff_service_s=0,
            seats=1,
            wheelchairs=0,
            max_ride_s=None,
        )
        for i in range(1, num_requests + 1)
    )
    cls = VehicleClass("v", 2, 0, False, 0, 1, 10_000, None, start_loc=0, end_loc=0)
    return Problem(
        name="line-distance",
        run=Run.AM,
        location_ids=tuple(f"n{i}" for i in range(num_requests + 1)),
        duration_s=dist // 10,
        distance_m=dist,
        requests=requests,
        vehicle_classes=(cls,),
        objective=ObjectiveKind.DISTANCE,
        max_vehicles=max_vehicles,
    )


def test_distance_objective_problem_respects_max_vehicles() -> None:
    problem = _distance_problem(4, max_vehicles=1)
    plan = solve(problem, PARAMS)
    assert len(plan.routes) == 1 and plan.unassigned == ()
    # Optimal with 2 seats: 0 -> 4 -> 3 -> 0 -> 2 -> 1 -> 0, 12 km.
    assert plan.routes[0].distance_m == 12_000
    assert check_problem_plan(problem, plan) == []


def test_same_seed_gives_the_same_plan_under_a_solution_limit() -> None:
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 2.0},
        [(f"P{i}", "S1" if i % 2 else "S2", float(i % 5) - 2.0, {}) for i in range(8)],
        vehicle_types=(TAXI, MINIBUS),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    params = SolveParams(time_limit_s=30.0, seed=3)
    a = solve(problem, params, solution_limit=30)
    b = solve(problem, params, solution_limit=30)
    assert a.routes == b.routes


def test_progress_reports_the_best_cost_in_pence(
    one_pupil_one_school: tuple[Scenario, TravelMatrix],
) -> None:
    scenario, matrix = one_pupil_one_school
    problem, _ = build_problem(scenario, matrix, Run.AM)
    seen = []
    plan = solve(problem, PARAMS, progress=seen.append)
    assert seen and seen[-1].best_cost_pence == plan.routes[0].cost_pence
    assert seen[-1].parts_done == seen[-1].parts_total == 1


def test_unknown_first_solution_strategy_is_rejected(
    one_pupil_one_school: tuple[Scenario, TravelMatrix],
) -> None:
    scenario, matrix = one_pupil_one_school
    problem, _ = build_problem(scenario, matrix, Run.AM)
    with pytest.raises(ValueError, match="first_solution 'fastest'"):
        solve(problem, dataclasses.replace(PARAMS, first_solution="fastest"))


def test_repair_alone_builds_routes_that_pass_the_checker() -> None:
    # The repair pass as a construction heuristic: from no routes, every request placed.
    import time as _time

    pupils = [(f"P{i}", "S1" if i % 3 else "S2", 1.0 + i, {}) for i in range(7)]
    pupils += [("W", "S1", 2.0, {"needs": Needs(wheelchair=True, needs_assistant=True)})]
    pupils += [
        ("A", "S1", 5.0, {"sibling_group": "G"}),
        ("B", "S2", 5.0, {"sibling_group": "G"}),
    ]
    scenario, matrix = scenario_on_line(
        {"S1": 0.0, "S2": 1.0},
        pupils,
        vehicle_types=(TAXI, WAV),
        incompatible=(("P1", "P2"),),
    )
    problem, _ = build_problem(scenario, matrix, Run.AM)
    model = IndexSpace(problem, 0)
    routes = repair(model, [], _time.monotonic() + 5)
    plan = plan_from_routes(model, routes, _time.monotonic(), 0)
    assert plan.unassigned == ()
    assert check_plan(scenario, matrix, plan) == []
    assert _route_of(plan, "A") == _route_of(plan, "B")


def test_repair_puts_a_left_out_sibling_on_the_vehicle_of_the_one_already_placed() -> None:
    # The search may carry one sibling and leave the other out (the same-vehicle rule is
    # soft in OR-Tools); the repair must not place the other on a cheaper, other vehicle.
    import time as _time

    pupils = [
        ("A", "S1", 8.0, {"sibling_group": "G"}),
        ("B", "S2", 8.0, {"sibling_group": "G"}),
        ("C", "S2", 8.0, {}),
    ]
    scenario, matrix = scenario_on_line({"S1": 12.0, "S2": 6.0}, pupils, vehicle_types=(TAXI,))
    problem, _ = build_problem(scenario, matrix, Run.AM)
    model = IndexSpace(problem, 0)
    position = {pid: i for i, r in enumerate(model.requests) for pid in r.pupil_ids}
    # A alone on a route (to 12 km), C alone on another from B's address to B's school:
    # C's route is the cheaper place for B (no detour), but B must ride with A.
    a, c = position["A"], position["C"]
    model.vehicles.append(Vehicle(model.vehicles[0].cls_idx, 0, 0))
    routes = [
        (0, [model.pickup_node(a), model.dropoff_node(a)], []),
        (len(model.vehicles) - 1, [model.pickup_node(c), model.dropoff_node(c)], []),
    ]
    routes = [(vi, seq, latest(model, seq)) for vi, seq, _ in routes]
    routes = repair(model, routes, _time.monotonic() + 5)
    plan = plan_from_routes(model, routes, _time.monotonic(), 0)
    assert check_plan(scenario, matrix, plan) == []
    assert "B" in _route_of(plan, "A").pupil_ids()


@pytest.fixture
def alns_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the problems routing.solver.improve's search was asked to solve (a spy)."""

    calls: list[str] = []
    real = improve.solve_improved

    def spy(space: IndexSpace, *args: object, **kwargs: object) -> object:
        calls.append(space.problem.name)
        return real(space, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(improve, "solve_improved", spy)
    return calls


@pytest.mark.parametrize("seed", [0, 3])  # seed 3 permutes the model's request order
def test_distance_problem_is_solved_by_the_alns_and_mapped_back_exactly(
    alns_calls: list[str], seed: int
) -> None:
    problem = _distance_problem(6, max_vehicles=2)
    plan = solve(problem, SolveParams(time_limit_s=1.0, seed=seed, num_workers=1))
    assert alns_calls == ["line-distance"]
    assert plan.unassigned == ()
    assert check_problem_plan(problem, plan) == []
    assert sorted(p for r in plan.routes for p in r.pupil_ids()) == [f"r{i}" for i in range(1, 7)]
    assert plan.objective == sum(r.distance_m for r in plan.routes)
    # 2 seats, homes at 1..6 km, school at 0: every trip costs twice its farthest home and
    # carries two, so the optimum pairs (6, 5), (4, 3), (2, 1): 12 + 8 + 4 = 24 km.
    assert sum(r.distance_m for r in plan.routes) == 24_000


def test_use_alns_false_and_cost_problems_keep_the_ortools_model(alns_calls: list[str]) -> None:
    problem = _distance_problem(4, max_vehicles=1)
    plan = solve(problem, PARAMS, use_alns=False)
    assert alns_calls == []
    assert plan.routes[0].distance_m == 12_000
    cost_problem = dataclasses.replace(problem, objective=ObjectiveKind.COST)
    solve(cost_problem, PARAMS)
    assert alns_calls == []
