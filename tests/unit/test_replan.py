"""routing.replan and `schoolrun replan` on a straight road (1 km = 120 s).

Seven pupils east of school S1, two west; the plan in use has a route each side. One
pupil joins in the west: the re-plan puts them on the west route and nobody else
changes vehicle or moves more than 5 minutes; a leaver comes off a locked route, which
keeps its vehicle and the others' times; changes.csv names what changed, formula-safe.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from routing.cli import main
from routing.dataset import write_scenario
from routing.model import Run, SolveParams, VehicleCategory, VehicleType
from routing.pipeline import plan_scenario
from routing.plan_diff import ChangeKind, upheaval
from routing.plan_file import write_plan_json
from routing.plan_locks import PlanLocks
from routing.replan import replan
from routing.synthetic import scenario_on_line

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
PUPILS = [(f"P{i}", "S1", float(i), {}) for i in range(1, 8)] + [
    ("Q1", "S1", -3.0, {}),
    ("Q2", "S1", -4.0, {}),
]


def _world(pupils):  # type: ignore[no-untyped-def]
    return scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI,))


@pytest.fixture(scope="module")
def previous():  # type: ignore[no-untyped-def]
    scenario, matrix = _world(PUPILS)
    return plan_scenario(scenario, matrix, SolveParams(time_limit_s=1, num_workers=1)).plan


def test_a_new_pupil_joins_the_nearest_route_and_no_one_else_is_upset(previous) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix = _world([*PUPILS, ("=N1", "S1", -3.5, {})])
    result = replan(scenario, matrix, previous)
    west = next(r for r in result.plan.routes_for(Run.AM) if "Q1" in r.pupil_ids())
    assert "=N1" in west.pupil_ids()
    assert len(result.plan.routes) == len(previous.routes)
    assert upheaval(previous, result.plan, exclude=["=N1"]) == 0
    assert {c.kind for c in result.comparison.changes if c.pupil_id == "=N1"} == {ChangeKind.NEW}


def test_a_leaver_leaves_a_locked_route_with_its_vehicle_and_times(previous) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix = _world([p for p in PUPILS if p[0] != "P3"])
    east = {r.route_id for r in previous.routes if "P1" in r.pupil_ids()}
    result = replan(scenario, matrix, previous, locks=PlanLocks(frozenset(east)))
    before = {r.route_id: r for r in previous.routes}
    for route in result.plan.routes:
        if route.route_id in east:
            old = before[route.route_id]
            assert route.vehicle_type == old.vehicle_type
            assert route.pupil_ids() == tuple(p for p in old.pupil_ids() if p != "P3")
    assert upheaval(previous, result.plan, exclude=["P3"]) == 0
    assert {c.kind for c in result.comparison.changes if c.pupil_id == "P3"} == {ChangeKind.LEFT}


def test_schoolrun_replan_writes_the_plan_and_a_formula_safe_changes_csv(
    tmp_path: Path, previous
) -> None:  # type: ignore[no-untyped-def]
    scenario, _ = _world([*PUPILS, ("=N1", "S1", -3.5, {})])
    folder = tmp_path / "edited"
    write_scenario(replace(scenario, name="edited"), folder)
    prev_dir = tmp_path / "prev"
    prev_dir.mkdir()
    write_plan_json(previous, prev_dir / "plan.json")
    out = tmp_path / "out"
    code = main(
        ["replan", str(folder), "--previous", str(prev_dir), "--out", str(out), "--lock", "AM-001"]
    )
    assert code == 0
    assert (out / "plan.json").is_file() and (out / "locks.json").is_file()
    with (out / "changes.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    new_rows = [r for r in rows if r["change"] == "new"]
    assert {r["pupil_id"] for r in new_rows} == {"'=N1"}  # neutralised for spreadsheets
    assert {r["run"] for r in new_rows} == {"AM", "PM"}


def test_schoolrun_replan_without_a_previous_plan_exits_2(tmp_path: Path) -> None:
    scenario, _ = _world(PUPILS)
    write_scenario(scenario, tmp_path / "s")
    code = main(["replan", str(tmp_path / "s"), "--previous", str(tmp_path / "none")])
    assert code == 2
