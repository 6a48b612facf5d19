"""Benchmark readers, harness and CLI output (routing.bench)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
from pathlib import Path

import pytest

from routing.bench.cordeau import read_cordeau
from routing.bench.harness import find_bks, read_bks, run_cli, run_instance
from routing.bench.instance import problem_scale, to_problem
from routing.bench.plans import plan_distance, verify_in_file_units
from routing.bench.solomon import read_solomon
from routing.errors import InvalidScenarioError
from routing.model import Plan
from routing.problem import ObjectiveKind, Problem

BENCH = Path(__file__).resolve().parents[2] / "data" / "bench"
CORDEAU = BENCH / "cordeau_a"
SOLOMON = BENCH / "solomon"


def _reference_solver():  # the plain OR-Tools script, loaded from scripts/
    path = Path(__file__).resolve().parents[2] / "scripts" / "reference_ortools.py"
    spec = importlib.util.spec_from_file_location("reference_ortools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def solve(problem: Problem, time_limit_s: float, seed: int) -> Plan:
        return module.solve_reference(problem, time_limit_s, "local")

    return solve


@pytest.mark.parametrize(
    ("name", "requests", "vehicles", "end_idx"),
    [
        ("a2-16", 16, 2, 0),  # header says 2n = 32, no end-depot row
        ("a2-20", 20, 2, 41),  # end depot as row 2n+1
        ("a3-18", 18, 3, 37),  # header says n = 18 (not 2n): counted from the rows
        ("a8-96", 96, 8, 193),  # the largest a-instance
    ],
)
def test_read_cordeau_counts_requests_from_rows(
    name: str, requests: int, vehicles: int, end_idx: int
) -> None:
    inst = read_cordeau(CORDEAU / f"{name}.txt")
    assert inst.num_requests == requests
    assert inst.num_vehicles == vehicles
    assert inst.end_idx == end_idx
    assert inst.capacity == 3
    assert inst.max_ride == 30
    for k, req in enumerate(inst.requests, start=1):
        assert (req.pickup_idx, req.dropoff_idx) == (k, requests + k)


def test_cordeau_problem_has_hand_checked_distance_and_limits() -> None:
    inst = read_cordeau(CORDEAU / "a2-16.txt")
    problem = to_problem(inst)
    # Node 0 (0, 0) to node 1 (-1.198, -5.164): sqrt(1.435204 + 26.666896) = 5.30114...
    assert inst.distances()[0, 1] == pytest.approx(5.301142, abs=1e-6)
    assert problem_scale(problem) == 1000
    assert problem.distance_m[0, 1] == 5301  # rounded
    assert problem.duration_s[0, 1] == 5302  # rounded up: integer-feasible => feasible
    assert problem.objective is ObjectiveKind.DISTANCE
    assert problem.max_vehicles == 2
    vc = problem.vehicle_classes[0]
    assert (vc.seats, vc.max_duration_s, vc.start_loc, vc.end_loc) == (3, 480_000, 0, 0)
    r15 = problem.requests[14]
    assert (r15.pickup_loc, r15.dropoff_loc) == (15, 31)
    assert r15.pickup_window_s == (180_000, 195_000)
    assert (r15.pickup_service_s, r15.max_ride_s, r15.seats) == (3000, 30_000, 1)


def test_read_solomon_maps_customers_to_depot_pickups() -> None:
    inst = read_solomon(SOLOMON / "r101.txt")
    problem = to_problem(inst)
    assert inst.num_requests == 100
    assert inst.capacity == 200
    assert inst.num_vehicles == 25
    assert inst.node_ids[0] == 1  # the depot keeps the file's id
    assert problem.horizon_s == (0, 230_000)
    first = problem.requests[0]  # customer 2: (41, 49), demand 10, [161, 171], service 10
    assert first.request_id == "2"
    assert (first.pickup_loc, first.dropoff_loc) == (0, 1)
    assert first.pickup_window_s == (0, 0)  # loaded when the vehicle leaves the depot
    assert first.dropoff_window_s == (161_000, 171_000)
    assert (first.dropoff_service_s, first.seats, first.max_ride_s) == (10_000, 10, None)
    assert problem.distance_m[0, 1] == round(math.hypot(6, 14) * 1000)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("2 32 480 3\n", "header"),  # header with four fields
        ("2 4 480 3 30\n0 0 0 0 0 0 480\n1 1 1 3 x 0 1440\n", "row"),  # non-numeric load
        ("2 4 480 3 30\n0 0 0 0 0 0 480\n1 1 1 3 1 0 1440\n2 1 1 3 1 0 1440\n", "load"),
    ],
)
def test_read_cordeau_reports_bad_cells(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InvalidScenarioError) as info:
        read_cordeau(path)
    assert any(issue.field == field for issue in info.value.issues)


def test_read_bks_finds_darp_and_truncated_vrptw_values() -> None:
    table = read_bks(BENCH / "bks.csv")
    a216 = find_bks(table, "darp", "a2-16")
    rc208 = find_bks(table, "vrptw", "rc208")
    assert a216 is not None and a216.value == pytest.approx(294.25)
    assert rc208 is not None and rc208.objective == "vrptw_dist_trunc1"
    assert rc208.value == pytest.approx(776.1)


def test_reference_plan_of_a2_16_is_feasible_and_near_optimum() -> None:
    res = run_instance(
        CORDEAU / "a2-16.txt",
        "darp",
        2.0,
        solver=_reference_solver(),
        solver_name="ortools-local",
        bks=read_bks(BENCH / "bks.csv"),
    )
    assert res.violations == []
    assert res.feasible
    assert res.gap_pct is not None and res.gap_pct < 3.0


def test_product_solver_plan_of_a2_16_is_feasible_and_near_optimum() -> None:
    res = run_instance(CORDEAU / "a2-16.txt", "darp", 2.0, bks=read_bks(BENCH / "bks.csv"))
    assert res.violations == []
    assert res.gap_pct is not None and res.gap_pct < 3.0


def test_file_units_check_catches_a_broken_ride() -> None:
    inst = read_cordeau(CORDEAU / "a2-16.txt")
    problem = to_problem(inst)
    plan = _reference_solver()(problem, 1.0, 0)
    assert verify_in_file_units(inst, problem, plan) == []
    route = plan.routes[0]
    late = [dataclasses.replace(s, service_start_s=s.service_start_s) for s in route.stops]
    # Pull the first pickup 100 time units earlier: its ride now exceeds L = 30.
    late[0] = dataclasses.replace(late[0], service_start_s=late[0].service_start_s - 100_000)
    broken = dataclasses.replace(
        plan, routes=(dataclasses.replace(route, stops=tuple(late)), *plan.routes[1:])
    )
    issues = verify_in_file_units(inst, problem, broken)
    assert issues
    assert plan_distance(inst, plan) > 0


def test_run_cli_json_lines_carry_routes_as_file_node_ids() -> None:
    lines: list[str] = []
    code = run_cli(
        "darp",
        [CORDEAU / "a2-16.txt"],
        1.0,
        0,
        BENCH / "bks.csv",
        True,
        lines.append,
        solver=_reference_solver(),
        solver_name="ortools-local",
    )
    assert code == 0
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["instance"] == "a2-16" and obj["feasible"] is True
    assert obj["bks"] == pytest.approx(294.25)
    visited = sorted(n for route in obj["routes"] for n in route[1:-1])
    assert visited == list(range(1, 33))
    assert all(route[0] == 0 and route[-1] == 0 for route in obj["routes"])


def test_run_cli_rejects_unknown_family() -> None:
    lines: list[str] = []
    assert run_cli("tsp", [], 1.0, 0, None, False, lines.append) == 2
    assert "tsp" in lines[0]
