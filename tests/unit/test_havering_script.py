"""scripts/havering_vs_ortools.py: the product and plain OR-Tools on one scenario, one table."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from routing.model import Needs
from routing.synthetic import default_vehicle_types, scenario_on_line

TAXI = default_vehicle_types()[0]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "havering_vs_ortools.py"
    spec = importlib.util.spec_from_file_location("havering_vs_ortools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_solvers_give_checked_priced_rows_and_one_table(script: ModuleType) -> None:
    # Six pupils of one school on a line; the second is a wheelchair user and the fleet
    # is taxis only, so both plans leave them out, AM and PM.
    pupils = [(f"P{i}", "S1", float(i), {}) for i in range(1, 7)]
    pupils[1] = ("P2", "S1", 9.0, {"needs": Needs(wheelchair=True)})
    scenario, matrix = scenario_on_line({"S1": 0.0}, pupils, vehicle_types=(TAXI,))
    rows = [
        script.run_once(solver, scenario, matrix, 2.0, 0)
        for solver in ("schoolrun", "ortools-local")
    ]
    for row in rows:
        assert row["violations"] == 0
        assert row["unassigned_rides"] == 2  # P2, AM and PM
        # The left-out pupil is priced as a solo journey, never free.
        assert int(row["fallback_day_pence"]) > 0
        assert row["day_pence"] == row["routes_day_pence"] + row["fallback_day_pence"]
    table = script.render(rows, note="What it shows.")
    assert "| 2 s | schoolrun | 1 |" in table
    assert "| 2 s | ortools-local | 1 |" in table
    assert "What it shows." in table
