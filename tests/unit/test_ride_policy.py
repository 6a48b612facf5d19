"""Ride time as the council's policy (issue 10): policy.toml keys, widened limits, checker.

Scenarios lie on a straight road (``routing.synthetic.scenario_on_line``): 1 km = 120 s.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from routing.checks import ViolationKind, check_plan
from routing.dataset import load_scenario, load_scenario_from_tables, write_scenario
from routing.errors import InvalidScenarioError
from routing.model import CurrentRoute, Needs, Plan, Policy, Run, SolveParams, StopKind
from routing.pipeline import plan_scenario
from routing.problem import build_problem
from routing.solver import solve
from routing.summary import format_summary, write_plan_outputs
from routing.synthetic import default_vehicle_types, scenario_on_line
from tests.unit.test_dataset import tables

TAXI = default_vehicle_types()[0]
EXTRA_10_MIN = Policy(comfort_ride_factor=0.0, comfort_ride_extra_s=10 * 60)


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
    scenario, matrix = _long_trip_scenario(EXTRA_10_MIN)
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
    scenario, matrix = _long_trip_scenario(EXTRA_10_MIN)
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


# ----------------------------------------------------------------- the ride value


def _opposite_sides(value_pence: int):  # type: ignore[no-untyped-def]
    """A at +10 km, B at -5 km: one taxi (A, B, school: 20 km, A rides 40 min) or two.

    Per run a second taxi costs half its £90 day rate less 5 km of mileage saved, about
    £40; sharing makes A ride 20 minutes longer (21 with B's boarding). So sharing is
    cheaper when a minute is worth less than about £1.90, and two taxis beyond.
    """
    policy = Policy(ride_minute_value_pence=value_pence)
    scenario, matrix = scenario_on_line(
        {"S1": 0.0},
        [("A", "S1", 10.0, {}), ("B", "S1", -5.0, {})],
        vehicle_types=(TAXI,),
        policy=policy,
    )
    today = (CurrentRoute("C1", "taxi", False, ("A", "B")),)
    return dataclasses.replace(scenario, current_routes=today), matrix


@pytest.mark.parametrize(("value_pence", "num_routes"), [(0, 1), (100, 1), (250, 2)])
def test_the_ride_value_changes_the_plan(value_pence: int, num_routes: int) -> None:
    scenario, matrix = _opposite_sides(value_pence)
    plan = plan_scenario(scenario, matrix, SolveParams(time_limit_s=2, num_workers=1)).plan
    assert plan.unassigned == ()
    assert [len(plan.routes_for(run)) for run in (Run.AM, Run.PM)] == [num_routes] * 2


def test_the_ride_term_is_the_ride_times_its_value_plus_a_constant() -> None:
    # One pupil alone: any feasible schedule is the same route, so the objective at two
    # values differs by exactly (c2 - c1) x (ride + L - U) where the ride is the direct
    # trip plus nothing (OR-Tools' cumul optimiser picks a zero-wait schedule).
    objectives = []
    for pence in (6, 12):
        scenario, matrix = scenario_on_line(
            {"S1": 0.0},
            [("A", "S1", 10.0, {})],
            vehicle_types=(TAXI,),
            policy=Policy(ride_minute_value_pence=pence),
        )
        problem, _ = build_problem(scenario, matrix, Run.AM)
        plan = solve(problem, SolveParams(time_limit_s=2, num_workers=1), warm_start=False)
        (request,) = problem.requests
        objectives.append((plan.objective, request))
    (o1, r1), (o2, r2) = objectives
    span = r1.pickup_window_s[1] - r1.dropoff_window_s[0]  # L - U
    # T_drop - T_pick = pickup service + 20 min direct (10 km at 120 s/km)
    ride_cumul_s = r1.pickup_service_s + 20 * 60
    assert o2 - o1 == (r2.ride_cost_per_s - r1.ride_cost_per_s) * (ride_cumul_s + span)


def test_flags_reach_the_files_and_the_summary_an_officer_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix = _long_trip_scenario(EXTRA_10_MIN)
    result = plan_scenario(scenario, matrix, SolveParams(time_limit_s=2, num_workers=1))
    write_plan_outputs(result, tmp_path, scenario_dir=None, wall_s=1.0)
    with (tmp_path / "routes.csv").open(encoding="utf-8") as handle:
        flags = [r["flags"] for r in csv.DictReader(handle)]
    assert (
        sorted(f for f in flags if f)
        == ["A: journey unavoidably over 75 min: direct trip 80 min (own limit 90 min)"] * 2
    )
    with (tmp_path / "stops.csv").open(encoding="utf-8") as handle:
        flagged = {(r["pupil_id"], r["run"]) for r in csv.DictReader(handle) if r["flag"]}
    assert flagged == {("A", "AM"), ("A", "PM")}
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["num_flagged"] == 2 and summary["num_unassigned"] == 0
    assert summary["flagged_by_code"] == {"long_direct_ride": 2}
    text = format_summary(result, wall_s=1.0)
    assert "Flagged for an officer: 2 pupil-runs" in text
    assert "A AM: journey unavoidably over 75 min" in text


def test_the_county_scenario_is_a_5000_pupil_kent_on_the_policy_limits() -> None:
    county = load_scenario(Path(__file__).resolve().parents[2] / "data" / "county")
    assert 5000 <= len(county.pupils) <= 5100
    assert len(county.schools) == 72
    assert {s.local_authority for s in county.schools} == {"Kent"}
    assert all("(synthetic)" in s.name for s in county.schools)
    # no limit is raised for a long trip: those pupils are the planner's to flag
    assert {p.needs.max_ride_s for p in county.pupils} <= {None, 30 * 60}
    riding = [pid for r in county.current_routes for pid in r.pupil_ids]
    assert sorted(riding) == sorted(p.pupil_id for p in county.pupils)
