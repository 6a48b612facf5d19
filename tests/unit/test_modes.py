"""routing.modes: every way to school per pupil, on a straight road checkable by hand.

Five pupils live together 10 km from their school. A taxi seats 4 (£90 a day), an MPV 6
(£110), no mileage charge: the plan carries all five in one MPV (£55 a run). Without one
of them the rest fit a taxi (£45 a run), so each place is worth £10 a run, £3,800 a year
(2 runs x 190 days). A personal budget at 45p a mile is 45 x 6.2137 miles x 4 legs x 190
days = £2,125.08 a year, cheaper than the place.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from routing.cli import main
from routing.costing import round_pence
from routing.dataset import load_scenario, write_scenario
from routing.errors import InvalidScenarioError
from routing.model import Policy, SolveParams, VehicleCategory, VehicleType
from routing.modes import Mode, price_modes, write_modes_outputs
from routing.pipeline import plan_scenario
from routing.plan_file import plan_from_dict, plan_to_dict, read_plan, write_plan_json
from routing.synthetic import scenario_on_line

TYPES = (
    VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000),
    VehicleType("mpv", VehicleCategory.MPV, 6, day_rate_pence=11000),
)
PLACE_PENCE = 2 * 1000 * 190
BUDGET_PENCE = round(45 * 10_000 / 1609.344 * 4 * 190)


def _world(**extra: dict[str, object]):  # type: ignore[no-untyped-def]
    pupils = [(f"P{i}", "S", 10.0, dict(extra.get(f"P{i}", {}))) for i in range(1, 6)]
    scenario, matrix = scenario_on_line({"S": 0.0}, pupils, vehicle_types=TYPES)
    scenario = replace(scenario, policy=Policy(public_transport_pass_pence_per_year=50_000))
    result = plan_scenario(scenario, matrix, SolveParams(time_limit_s=1, num_workers=1))
    return scenario, matrix, result.plan


def test_the_plan_is_one_mpv_each_run() -> None:
    _, _, plan = _world()
    assert [(r.run.value, r.vehicle_type, len(r.pupil_ids())) for r in plan.routes] == [
        ("AM", "mpv", 5),
        ("PM", "mpv", 5),
    ]


def test_a_place_is_what_the_route_saves_when_it_shrinks_to_a_taxi() -> None:
    scenario, matrix, plan = _world()
    report = price_modes(scenario, matrix, plan)
    row = report.pupils[0]
    assert row.route_place_annual_pence == PLACE_PENCE
    assert row.budget_annual_pence == BUDGET_PENCE
    assert row.taxi_annual_pence == 2 * 4500 * 190  # half a taxi's day each run
    assert row.pass_annual_pence is None and row.training_annual_pence is None
    assert row.cheapest is Mode.BUDGET
    assert row.saving_annual_pence == PLACE_PENCE - BUDGET_PENCE


def test_a_suitable_pupil_gets_a_pass_and_training_priced() -> None:
    scenario, matrix, plan = _world(
        P2={"can_use_public_transport": True, "travel_training_suitable": True, "year_group": 11}
    )
    row = {r.pupil_id: r for r in price_modes(scenario, matrix, plan).pupils}["P2"]
    assert row.pass_annual_pence == 50_000
    policy = scenario.policy
    rate = Fraction(repr(policy.travel_training_success_rate))
    expected = Fraction(policy.travel_training_cost_pence, 3) + rate * 50_000
    expected += (1 - rate) * PLACE_PENCE
    assert row.training_annual_pence == round_pence(expected)  # spread over years 11-13
    assert row.cheapest is Mode.PASS


def test_council_switch_moves_everyone_at_once_not_one_at_a_time() -> None:
    scenario, matrix, plan = _world()
    switch = next(s for s in price_modes(scenario, matrix, plan).switches if s.mode is Mode.BUDGET)
    assert switch.num_pupils == 5
    # All five leave: both MPV runs go whole (£55 x 2 x 190), not 5 x £3,800.
    assert switch.routes_saved_annual_pence == 2 * 5500 * 190
    assert switch.new_mode_annual_pence == 5 * BUDGET_PENCE
    assert switch.saving_annual_pence == 2 * 5500 * 190 - 5 * BUDGET_PENCE
    assert switch.sum_of_single_savings_pence == 5 * (PLACE_PENCE - BUDGET_PENCE)
    assert "all at once" in switch.assumption


def test_plan_json_round_trips(tmp_path: Path) -> None:
    _, _, plan = _world()
    assert plan_from_dict(plan_to_dict(plan)) == plan
    write_plan_json(plan, tmp_path / "plan.json")
    assert read_plan(tmp_path) == plan
    with pytest.raises(InvalidScenarioError, match="No plan file"):
        read_plan(tmp_path / "nowhere")


def test_modes_csv_is_formula_safe_and_has_every_pupil(tmp_path: Path) -> None:
    scenario, matrix, plan = _world()
    report = price_modes(scenario, matrix, plan)
    odd = replace(report, pupils=(replace(report.pupils[0], pupil_id="=HYPERLINK(1)"),))
    write_modes_outputs(odd, tmp_path / "odd")
    cell = (tmp_path / "odd" / "modes.csv").read_text().splitlines()[1].split(",")[0]
    assert cell == "'=HYPERLINK(1)"
    written = write_modes_outputs(report, tmp_path)
    assert [p.name for p in written] == ["modes.csv", "modes_council.csv", "modes.png"]
    with (tmp_path / "modes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["pupil_id"] for r in rows] == ["P1", "P2", "P3", "P4", "P5"]
    assert rows[0]["public_transport_pass_annual_gbp"] == ""  # not open to this pupil
    assert (tmp_path / "modes.png").read_bytes()[:4] == b"\x89PNG"


def test_suitability_columns_and_policy_keys_round_trip(tmp_path: Path) -> None:
    scenario, _, _ = _world(P3={"travel_training_suitable": True})
    scenario = replace(scenario, policy=Policy(travel_training_success_rate=0.5))
    write_scenario(scenario, tmp_path)
    again = load_scenario(tmp_path)
    assert again.pupil("P3").travel_training_suitable
    assert not again.pupil("P1").can_use_public_transport
    assert again.policy.travel_training_success_rate == 0.5
    assert again.policy.travel_training_cost_pence == Policy().travel_training_cost_pence


def test_success_rate_outside_0_1_is_refused() -> None:
    with pytest.raises(InvalidScenarioError, match=r"travel_training_success_rate must be 0\.\.1"):
        Policy(travel_training_success_rate=1.5)


def test_cli_modes_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, _, plan = _world()
    write_scenario(scenario, tmp_path / "line")  # a folder's name is its scenario's
    write_plan_json(plan, tmp_path / "plan.json")
    out = tmp_path / "modes"
    assert main(["modes", str(tmp_path / "line"), "--plan", str(tmp_path), "--out", str(out)]) == 0
    assert "personal transport budget" in capsys.readouterr().out
    assert (out / "modes.csv").is_file()
    write_scenario(replace(scenario, name="other"), tmp_path / "other")
    assert main(["modes", str(tmp_path / "other"), "--plan", str(tmp_path), "--out", str(out)]) == 2
    assert main(["modes", str(tmp_path / "line"), "--plan", str(out), "--out", str(out)]) == 2
