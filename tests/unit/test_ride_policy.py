"""Ride time as the council's policy (issue 10): policy.toml keys, widened limits, checker.

Scenarios lie on a straight road (``routing.synthetic.scenario_on_line``): 1 km = 120 s.
"""

from __future__ import annotations

import dataclasses

import pytest

from routing.checks import ViolationKind, check_plan
from routing.dataset import load_scenario_from_tables, write_scenario
from routing.errors import InvalidScenarioError
from routing.model import Needs, Plan, Policy, Run, SolveParams, StopKind
from routing.pipeline import plan_scenario
from routing.synthetic import default_vehicle_types, scenario_on_line
from tests.unit.test_dataset import tables

TAXI = default_vehicle_types()[0]


def test_policy_toml_reads_the_ride_keys_in_their_units(tmp_path) -> None:  # type: ignore[no-untyped-def]
    t = tables()
    t["policy.toml"] += (
        "ride_minute_value_gbp = 0.05\ncomfort_ride_factor = 1.5\ncomfort_ride_extra_min = 20\n"
    )
    policy = load_scenario_from_tables(t, "s").policy
    assert policy.ride_minute_value_pence == 5
    assert policy.comfort_ride_factor == 1.5
    assert policy.comfort_ride_extra_s == 20 * 60
    # 0 switches each off, and the written file reads back the same.
    t["policy.toml"] = t["policy.toml"].replace(
        "comfort_ride_extra_min = 20", "comfort_ride_extra_min = 0"
    )
    scenario = load_scenario_from_tables(t, "s")
    assert scenario.policy.comfort_ride_extra_s == 0
    write_scenario(scenario, tmp_path)
    assert "comfort_ride_factor = 1.5" in (tmp_path / "policy.toml").read_text()


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("ride_minute_value_gbp = 6", "ride_minute_value_gbp"),
        ("ride_minute_value_gbp = -0.1", "ride_minute_value_gbp"),
        ("comfort_ride_factor = 0.8", "comfort_ride_factor"),
        ("comfort_ride_factor = 4", "comfort_ride_factor"),
        ("comfort_ride_extra_min = 121", "comfort_ride_extra_min"),
        ("comfort_ride_extra_min = -5", "comfort_ride_extra_min"),
    ],
)
def test_policy_toml_rejects_ride_keys_out_of_range(line: str, key: str) -> None:
    t = tables()
    t["policy.toml"] += line + "\n"
    with pytest.raises(InvalidScenarioError) as err:
        load_scenario_from_tables(t, "s")
    assert [issue.field for issue in err.value.issues] == [key]


def _long_trip_scenario(policy: Policy):  # type: ignore[no-untyped-def]
    # A: 40 km = 80 min direct, over the 75-minute limit, travels alone. B: 2 km.
    return scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 40.0, {"needs": Needs(travel_alone=True)}), ("B", "S1", 2.0, {})],
        vehicle_types=(TAXI,),
        policy=policy,
    )


def test_a_long_direct_trip_is_planned_flagged_and_checked_on_its_own_limit() -> None:
    scenario, matrix = _long_trip_scenario(Policy(comfort_ride_extra_s=10 * 60))
    result = plan_scenario(scenario, matrix, SolveParams(time_limit_s=2, num_workers=1))
    plan = result.plan
    assert plan.unassigned == ()
    assert {pid for r in plan.routes for pid in r.pupil_ids()} == {"A", "B"}
    assert sorted((f.pupil_id, f.run) for f in plan.flags) == [("A", Run.AM), ("A", Run.PM)]
    assert all("direct trip 80 min" in f.message for f in plan.flags)
    assert result.violations == ()


def _with_ride(plan: Plan, pupil_id: str, extra_s: int) -> Plan:
    """The plan with ``pupil_id``'s AM drop-off ``extra_s`` later (their ride that longer)."""
    routes = []
    for route in plan.routes:
        if route.run is Run.AM:
            stops = tuple(
                dataclasses.replace(
                    stop,
                    arrival_s=stop.arrival_s + extra_s,
                    service_start_s=stop.service_start_s + extra_s,
                    departure_s=stop.departure_s + extra_s,
                )
                if stop.kind is StopKind.DROPOFF and pupil_id in stop.pupil_ids
                else stop
                for stop in route.stops
            )
            route = dataclasses.replace(route, stops=stops)
        routes.append(route)
    return dataclasses.replace(plan, routes=tuple(routes))


def test_the_checker_judges_the_widened_limit_and_no_one_elses() -> None:
    scenario, matrix = _long_trip_scenario(Policy(comfort_ride_extra_s=10 * 60))
    plan = plan_scenario(scenario, matrix, SolveParams(time_limit_s=2, num_workers=1)).plan
    ride_kinds = {ViolationKind.MAX_RIDE_TIME}
    # A's own limit is 90 min: a ride 20 min longer than direct breaks it.
    late = check_plan(scenario, matrix, _with_ride(plan, "A", 20 * 60))
    assert {(v.kind, v.pupil_id) for v in late if v.kind in ride_kinds} == {
        (ViolationKind.MAX_RIDE_TIME, "A")
    }
    # B keeps min(75, 4 + 10) = 14 min: 12 min late breaks it (not loosened by A's limit).
    late_b = check_plan(scenario, matrix, _with_ride(plan, "B", 12 * 60))
    assert (ViolationKind.MAX_RIDE_TIME, "B") in {(v.kind, v.pupil_id) for v in late_b}
