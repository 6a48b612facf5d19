"""The faces share the pipeline: the CLI and the API's worker call the same steps.

Each test runs one face's own entry point (``schoolrun`` sub-command, the worker's solve
or compare step) on one small scenario folder and checks the other face's answer is the
same: not mocks, the real solve. Four pupils: the search reaches the same plan on any
machine well inside the time limit, so the two answers can be compared exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.config import Settings
from api.worker import pipeline_compare, pipeline_solve
from routing.cli import main
from routing.dataset import load_scenario, write_scenario
from routing.model import Run, SolveParams
from routing.pipeline import assess_source, build_matrix
from routing.synthetic import synthetic_scenario

VARIANTS = ["dear=price_factor=2", "nomix=mixed_schools=false"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario folder with 4 pupils at 2 schools and no road network."""
    path = tmp_path / "small"
    write_scenario(synthetic_scenario(4, 2, seed=3), path)
    return path


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        state_dir=tmp_path / "state",
        jwt_secret="x" * 40,
        cache_dir=None,
    )


def test_cli_compare_and_worker_compare_give_the_same_rows(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    code = main(
        ["compare", str(folder), "--time-limit", "1", "--workers", "1", "--out", str(out)]
        + [arg for v in VARIANTS for arg in ("--variant", v)]
    )
    assert code == 0
    cli_table = json.loads((out / "variants.json").read_text(encoding="utf-8"))
    steps: list[str] = []
    worker_table = pipeline_compare(
        load_scenario(folder),
        folder,
        VARIANTS,
        SolveParams(time_limit_s=1, num_workers=1),
        (Run.AM, Run.PM),
        True,
        steps.append,
        _settings(tmp_path),
    )
    assert [r["variant"] for r in worker_table["rows"]] == ["baseline", "dear", "nomix"]
    assert worker_table["rows"] == cli_table["rows"]
    assert worker_table["travel_model"] == cli_table["travel_model"]
    assert len(steps) == 3  # one line as each plan starts


def test_cli_plan_and_worker_solve_give_the_same_plan(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    code = main(
        ["plan", str(folder), "--time-limit", "1", "--workers", "1", "--quiet", "--out", str(out)]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    cli_geojson = json.loads((out / "routes.geojson").read_text(encoding="utf-8"))
    outcome = pipeline_solve(
        load_scenario(folder),
        folder,
        SolveParams(time_limit_s=1, num_workers=1),
        (Run.AM, Run.PM),
        lambda _progress: None,
        _settings(tmp_path),
    )
    assert outcome.comparison == summary["comparison"]
    assert outcome.plan.cost_pence == summary["comparison"]["plan"]["routes_day_pence"]
    assert json.loads(json.dumps(outcome.geojson)) == cli_geojson


def test_source_steps_measure_every_pupil(folder: Path) -> None:
    scenario = load_scenario(folder)
    matrix, seconds = build_matrix(scenario, folder)
    assert seconds >= 0
    assert matrix.is_approximate  # no road network in the folder
    decisions = assess_source(scenario, folder).decisions
    assert [d.pupil_id for d in decisions] == [p.pupil_id for p in scenario.pupils]
    walks = assess_source(scenario, folder, with_walks=True)
    assert walks.walks_geojson is not None
    assert [d.pupil_id for d in walks.decisions] == [p.pupil_id for p in scenario.pupils]
