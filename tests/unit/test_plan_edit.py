"""routing.plan_edit and routing.plan_diff on a straight road (1 km = 120 s).

Seven pupils live 1-7 km east of school S1 and two 3 and 4 km west of it; taxis of 4
seats. The solver's plan has a route each side; moving a west pupil onto the east route
makes the east route too long for its school window, so the move is refused naming the
window rule, or kept broken when forced.
"""

from __future__ import annotations

import pytest

from routing.checks import ViolationKind
from routing.errors import EditRefusedError
from routing.model import Run, SolveParams, VehicleCategory, VehicleType
from routing.pipeline import plan_scenario
from routing.plan_diff import ChangeKind, compare_plans, upheaval
from routing.plan_edit import lock_route, move_pupil, pin_pupil, reorder_route
from routing.plan_locks import PlanLocks
from routing.synthetic import scenario_on_line

TAXI = VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150)
PUPILS = [(f"P{i}", "S1", float(i), {}) for i in range(1, 8)] + [
    ("Q1", "S1", -3.0, {}),
    ("Q2", "S1", -4.0, {}),
]


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    scenario, matrix = scenario_on_line({"S1": 0.0}, PUPILS, vehicle_types=(TAXI,))
    plan = plan_scenario(scenario, matrix, SolveParams(time_limit_s=1, num_workers=1)).plan
    return scenario, matrix, plan


def _route_of(plan, pupil_id, run=Run.AM):  # type: ignore[no-untyped-def]
    return next(r for r in plan.routes_for(run) if pupil_id in r.pupil_ids())


def test_a_move_that_breaks_a_window_is_refused_naming_the_rule_and_pupil(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    east = _route_of(plan, "P1").route_id
    with pytest.raises(EditRefusedError, match=r"window rule for pupil P\d") as info:
        move_pupil(scenario, matrix, plan, PlanLocks(), "Q1", Run.AM, east)
    assert {v.kind for v in info.value.violations} >= {ViolationKind.WINDOW}


def test_a_forced_move_is_kept_broken_with_the_checkers_violations(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    east = _route_of(plan, "P1").route_id
    result = move_pupil(scenario, matrix, plan, PlanLocks(), "Q1", Run.AM, east, force=True)
    assert result.is_broken
    assert "Q1" in _route_of(result.plan, "P1").pupil_ids()
    assert "Q1" not in _route_of(result.plan, "Q2").pupil_ids()
    assert result.cost_change_pence == result.plan.cost_pence - plan.cost_pence


def test_a_move_that_holds_every_rule_returns_the_cost_change(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    west = _route_of(plan, "Q2", Run.PM)
    # Q1 and Q2 share the west route; moving Q2 onto it again at the first home changes
    # only the order: the plan passes, and the cost change is the checker-priced one.
    result = move_pupil(
        scenario, matrix, plan, PlanLocks(), "Q2", Run.PM, west.route_id, home_position=0
    )
    assert not result.is_broken
    assert result.cost_change_pence == result.plan.cost_pence - plan.cost_pence
    assert result.changed_route_ids == (west.route_id,)


def test_a_locked_route_cannot_be_edited(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    west = _route_of(plan, "Q1").route_id
    locks = lock_route(plan, PlanLocks(), west)
    with pytest.raises(EditRefusedError, match=f"Route {west} is locked"):
        reorder_route(scenario, matrix, plan, locks, west, ["Q1", "Q2"])
    assert west not in lock_route(plan, locks, west, locked=False).locked_route_ids


def test_reordering_re_times_the_route_and_the_diff_names_the_moved_times(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    west = _route_of(plan, "Q1")
    order = list(reversed(west.pupil_ids()))
    result = reorder_route(scenario, matrix, plan, PlanLocks(), west.route_id, order, force=True)
    assert _route_of(result.plan, "Q1").pupil_ids() == tuple(order)
    diff = compare_plans(plan, result.plan)
    assert diff.routes_changed == (west.route_id,)
    assert {c.kind for c in diff.changes} <= {ChangeKind.HOME_TIME}
    assert all(c.pupil_id in {"Q1", "Q2"} for c in diff.changes)


def test_pinning_records_the_pin(world) -> None:  # type: ignore[no-untyped-def]
    scenario, matrix, plan = world
    west = _route_of(plan, "Q1").route_id
    result = pin_pupil(scenario, matrix, plan, PlanLocks(), "Q1", Run.AM, west)
    assert result.locks.pinned_route("Q1", Run.AM) == west
    assert result.cost_change_pence == 0 and not result.is_broken


def test_upheaval_counts_a_plan_against_itself_as_zero(world) -> None:  # type: ignore[no-untyped-def]
    _, _, plan = world
    assert upheaval(plan, plan) == 0
    assert compare_plans(plan, plan).changes == ()


def test_schoolrun_edit_refuses_a_rule_breaking_move_in_one_line_and_forces_it(
    world, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from routing.cli import main
    from routing.dataset import write_scenario
    from routing.plan_file import read_locks, write_plan_json

    scenario, _, plan = world
    write_scenario(scenario, tmp_path / "s")
    (tmp_path / "p").mkdir()
    write_plan_json(plan, tmp_path / "p" / "plan.json")
    east = _route_of(plan, "P1").route_id
    west_pm = _route_of(plan, "Q1", Run.PM).route_id
    common = ["edit", str(tmp_path / "s"), "--plan", str(tmp_path / "p")]
    assert main([*common, "--out", str(tmp_path / "o1"), "--move", f"Q1={east}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "window rule" in err
    out = tmp_path / "o2"
    code = main([*common, "--out", str(out), "--move", f"Q1={east}", "--force", "--lock", west_pm])
    assert code == 0
    assert "BROKEN" in capsys.readouterr().out
    assert read_locks(out).locked_route_ids == {west_pm}
    rows = (out / "changes.csv").read_text(encoding="utf-8")
    assert "Q1,AM,vehicle" in rows
