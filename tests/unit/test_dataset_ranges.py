"""Issue 15: well-formed but impossible numbers are row-level load errors, not crashes.

Each of the issue's six crashes (one cell of the shipped Rutland scenario changed) is now an
InvalidScenarioError naming the file, row, field and value.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from routing.dataset import SCENARIO_FILES, load_scenario_from_tables
from routing.errors import InvalidScenarioError

RUTLAND = Path(__file__).resolve().parents[2] / "data" / "rutland"


def rutland_with(file_name: str, row: int, column: str, value: str) -> dict[str, str]:
    """Rutland's files as text with one cell (spreadsheet row, header on row 1) replaced."""
    tables = {
        name: (RUTLAND / name).read_text("utf-8")
        for name in SCENARIO_FILES
        if (RUTLAND / name).is_file()
    }
    records = list(csv.reader(io.StringIO(tables[file_name])))
    records[row - 1][records[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    tables[file_name] = out.getvalue()
    return tables


@pytest.mark.parametrize(
    ("file_name", "column", "value"),
    [
        ("vehicle_types.csv", "cost_per_mile_gbp", "999999999999999999999999999999"),
        ("vehicle_types.csv", "cost_per_mile_gbp", "1e309"),
        ("vehicle_types.csv", "day_rate_gbp", "1e309"),
        ("vehicle_types.csv", "capacity_seats", "1e309"),
        ("schools.csv", "arrive_window_open_min", "1e18"),
        ("pupils.csv", "max_ride_min", "1e18"),
    ],
)
def test_issue_15_crashes_are_row_level_errors(file_name: str, column: str, value: str) -> None:
    tables = rutland_with(file_name, 2, column, value)
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario_from_tables(tables, "rutland-mutated", base_dir=RUTLAND)
    issues = [(i.file, i.row, i.field, i.value) for i in caught.value.issues]
    assert (file_name, 2, column, value) in issues


@pytest.mark.parametrize(
    ("file_name", "column", "value", "words"),
    [
        ("vehicle_types.csv", "capacity_seats", "81", "within 1..80"),
        ("vehicle_types.csv", "max_wheelchair_places", "5", "must not exceed capacity_seats"),
        ("vehicle_types.csv", "day_rate_gbp", "5000.01", "within 0..5,000"),
        ("vehicle_types.csv", "cost_per_mile_gbp", "1e1", "an amount in pounds"),
        ("vehicle_types.csv", "max_shift_min", "102362", "within 30..720"),
        ("vehicle_types.csv", "num_available", "10001", "within 0..10,000"),
        ("pupils.csv", "max_ride_min", "0.12", "within 5..240"),
        ("pupils.csv", "boarding_s", "1801", "within 0..1,800"),
        ("schools.csv", "pm_max_wait_min", "181", "within 0..180"),
        ("schools.csv", "handover_s", "nan", "a whole number"),
    ],
)
def test_out_of_range_cells_name_the_range(
    file_name: str, column: str, value: str, words: str
) -> None:
    tables = rutland_with(file_name, 2, column, value)
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario_from_tables(tables, "rutland-mutated", base_dir=RUTLAND)
    found = [i for i in caught.value.issues if (i.file, i.row, i.field) == (file_name, 2, column)]
    assert found, caught.value.issues
    assert words in found[0].message
    assert found[0].value == value


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("max_ride_primary_min = 1e18", "within 5..240"),
        ("assistant_day_cost_gbp = 1e300", "within 0..5,000"),
        ("school_days_per_year = 9999999999999999999", "within 1..366"),
        ("default_boarding_s = inf", "a whole number"),
    ],
)
def test_policy_numbers_have_ranges(line: str, words: str) -> None:
    tables = rutland_with("vehicle_types.csv", 2, "name", "taxi")
    key = line.split(" = ")[0]
    kept = [t for t in tables["policy.toml"].splitlines() if not t.startswith(f"{key} =")]
    tables["policy.toml"] = "\n".join([line, *kept]) + "\n"
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario_from_tables(tables, "rutland-mutated", base_dir=RUTLAND)
    found = [i for i in caught.value.issues if i.field == key]
    assert found and words in found[0].message, caught.value.issues
    assert found[0].row == 1


def test_data_readme_states_every_range_beside_its_column() -> None:
    from routing.dataset.columns import CELL_RANGES, POLICY_RANGES, format_range

    readme = (RUTLAND.parent / "README.md").read_text("utf-8")
    lines = [line for line in readme.splitlines() if line.startswith("| `")]
    rows = {line.split(" | ")[0][3:-1]: line for line in lines}
    for key, (low, high) in {**CELL_RANGES, **POLICY_RANGES}.items():
        assert f"range {format_range(low, high)}" in rows.get(key, ""), key
