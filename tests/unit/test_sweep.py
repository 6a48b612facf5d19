"""``schoolrun sweep``: the manifest's checks, a local sweep's rows, CSV and chart, and
the executor seam's refusals (no Ray here: tests/unit/test_executor_ray.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.cli import main
from routing.errors import InvalidScenarioError
from routing.executor import check_kind
from routing.model import SolveParams
from routing.sweep import read_manifest, submission_order

DATA = Path(__file__).resolve().parents[2] / "data"
RIDE60 = 'name = "ride60"\noverrides = "ride_limit_primary_min=60,ride_limit_secondary_min=90"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("scenarios = [", "cannot read the sweep manifest"),  # not TOML
        ("time_limit_s = 5\n", "names no scenario folder"),  # no scenarios
        ('scenarios = ["nowhere"]\n', "scenario folder 'nowhere' does not exist"),
        ('time_limit_s = "fast"\nscenarios = ["."]\n', "'time_limit_s' must be a float"),
        (
            'runs = "noon"\nscenarios = ["."]\n',
            "'runs' must be AM, PM or AM,PM, got 'noon'",
        ),  # not a run
        ('scenarios = ["."]\n[[variant]]\nname = "x"\noverrides = "colour=red"\n', "variant 1"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_file_and_field(
    tmp_path: Path, text: str, match: str
) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        read_manifest(write(tmp_path, text))


def test_manifest_items_are_every_scenario_times_baseline_and_variants(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    manifest = read_manifest(
        write(tmp_path, f'time_limit_s = 3\nscenarios = ["a", "b"]\n[[variant]]\n{RIDE60}')
    )
    assert [(i.folder.name, i.variant_name) for i in manifest.items] == [
        ("a", "baseline"),
        ("a", "ride60"),
        ("b", "baseline"),
        ("b", "ride60"),
    ]
    assert manifest.items[0].params == SolveParams(time_limit_s=3.0, num_workers=1)


def test_items_are_handed_out_largest_scenario_first_ties_in_manifest_order(
    tmp_path: Path,
) -> None:
    for name, rows in (("small", 2), ("large", 50), ("empty", 0), ("tie", 2)):
        (tmp_path / name).mkdir()
        if rows:
            text = "pupil_id\n" + "".join(f"P{i:04d}\n" for i in range(rows))
            (tmp_path / name / "pupils.csv").write_text(text, encoding="utf-8")
    manifest = read_manifest(
        write(tmp_path, f'scenarios = ["small", "large", "empty", "tie"]\n[[variant]]\n{RIDE60}')
    )
    order = [(i.folder.name, i.variant_name) for i in submission_order(manifest.items)]
    assert order == [
        ("large", "baseline"),
        ("large", "ride60"),
        ("small", "baseline"),
        ("small", "ride60"),
        ("tie", "baseline"),
        ("tie", "ride60"),
        ("empty", "baseline"),
        ("empty", "ride60"),
    ]


def test_a_local_sweep_writes_every_row_a_csv_and_a_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken").mkdir()
    manifest = write(
        tmp_path,
        f'time_limit_s = 2\nruns = "AM"\nscenarios = ["{DATA / "rutland"}", "broken"]\n'
        f"[[variant]]\n{RIDE60}",
    )
    out = tmp_path / "out"
    assert main(["sweep", str(manifest), "--out", str(out), "--quiet"]) == 0
    assert "4 item(s)" in capsys.readouterr().out
    lines = (out / "sweep.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("scenario,variant,annual_cost_gbp,today_annual_cost_gbp,saving")
    assert [line.split(",")[:2] for line in lines[1:3]] == [
        ["rutland", "baseline"],
        ["rutland", "ride60"],
    ]
    assert lines[1].split(",")[-1] == ""  # no error
    assert "broken,baseline" in lines[3] and "InvalidScenarioError" in lines[3]
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_a_bad_manifest_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write(tmp_path, 'scenarios = ["nowhere"]\n')
    assert main(["sweep", str(manifest), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nowhere" in err and "\n" not in err


def test_an_unknown_executor_is_refused_by_name() -> None:
    assert check_kind("ray") == "ray"
    with pytest.raises(InvalidScenarioError, match="got 'dask'"):
        check_kind("dask")
    with pytest.raises(InvalidScenarioError, match="executor must be 'local' or 'ray'"):
        SolveParams(executor="dask")
