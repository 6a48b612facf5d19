"""routing.lots: tender lots from a plan, should-cost, bids, lots.csv and lots.xlsx.

The plan is a real solve of a synthetic borough priced at Havering's vehicle rates, so
the should-cost (data/price_model.toml) is checked against the plan's own route cost.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from routing.cli import main
from routing.dataset import load_scenario
from routing.errors import InvalidScenarioError
from routing.lots import (
    DEFAULT_PRICE_MODEL,
    build_lots,
    load_price_model,
    read_bids,
    school_clusters,
    write_lots_outputs,
)
from routing.model import SolveParams
from routing.network import build_travel_matrix
from routing.pipeline import plan_scenario
from routing.plan_file import PlanFile, read_plan_file, write_plan_json
from routing.synthetic import synthetic_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan.json, with its scenario facts, as `schoolrun plan` writes it."""
    havering = load_scenario(ROOT / "data" / "havering")
    scenario = synthetic_scenario(
        60, 4, seed=3, vehicle_types=havering.vehicle_types, policy=havering.policy
    )
    matrix = build_travel_matrix(scenario, None)
    plan = plan_scenario(scenario, matrix, SolveParams(time_limit_s=2, num_workers=1)).plan
    folder = tmp_path_factory.mktemp("plan")
    write_plan_json(plan, folder / "plan.json", scenario)
    return folder


@pytest.fixture(scope="module")
def plan_file(plan_folder: Path) -> PlanFile:
    return read_plan_file(plan_folder)


def test_every_route_is_in_exactly_one_lot(plan_file: PlanFile) -> None:
    report = build_lots(plan_file, load_price_model())
    in_lots = Counter(rid for lot in report.lots for rid in lot.route_ids)
    planned = Counter(f"{r.run.value}:{r.route_id}" for r in plan_file.plan.routes)
    assert in_lots == planned
    assert all(n == 1 for n in in_lots.values())
    assert sum(lot.num_routes_am + lot.num_routes_pm for lot in report.lots) == len(planned)


def test_should_cost_is_within_the_overhead_of_the_plans_cost(plan_file: PlanFile) -> None:
    report = build_lots(plan_file, load_price_model())
    plan_pence = sum(r.cost_pence for r in plan_file.plan.routes) * 190
    assert report.plan_annual_pence == plan_pence
    ratio = report.should_cost_annual_pence / plan_pence
    assert 1 - report.overhead_share <= ratio <= 1 + report.overhead_share, ratio


def test_a_lot_counts_half_a_vehicle_day_per_run(plan_file: PlanFile) -> None:
    for lot in build_lots(plan_file, load_price_model()).lots:
        runs = lot.num_routes_am + lot.num_routes_pm
        assert lot.vehicle_days == runs / 2 * 190
        assert lot.assistant_days == (lot.vehicle_days if lot.has_assistant else 0)
        assert lot.should_cost_annual_pence == pytest.approx(lot.direct_annual_pence * 1.2, abs=1)


def test_a_route_serving_two_schools_puts_them_in_one_cluster(plan_file: PlanFile) -> None:
    clusters = school_clusters(plan_file.plan)
    for route in plan_file.plan.routes:
        schools = {s.school_id for s in route.stops if s.school_id}
        assert len({clusters[s] for s in schools}) == 1


def test_bids_above_should_cost_by_more_than_the_margin_are_flagged(
    plan_file: PlanFile, tmp_path: Path
) -> None:
    first, second = build_lots(plan_file, load_price_model()).lots[:2]
    high = round(first.should_cost_annual_pence * 1.11 / 100 + 1)
    fair = round(second.should_cost_annual_pence * 1.09 / 100)
    path = tmp_path / "bids.csv"
    path.write_text(f'lot_id,bid_annual_gbp\n{first.lot_id},"£{high:,}"\n{second.lot_id},{fair}\n')
    report = build_lots(plan_file, load_price_model(), bids=read_bids(path))
    flagged = {lot.lot_id: lot.bid_flagged for lot in report.lots[:2]}
    assert flagged == {first.lot_id: True, second.lot_id: False}
    path.write_text("lot_id,bid_annual_gbp\nL99-99,100\n")
    with pytest.raises(InvalidScenarioError, match="unknown lot 'L99-99'"):
        build_lots(plan_file, load_price_model(), bids=read_bids(path))
    path.write_text("lot_id,bid_annual_gbp\nL01-05,lots\n")
    with pytest.raises(InvalidScenarioError, match="row 2: bid_annual_gbp 'lots'"):
        read_bids(path)


def test_price_model_rejects_a_negative_rate(tmp_path: Path) -> None:
    text = DEFAULT_PRICE_MODEL.read_text().replace(
        "driver_gbp_per_hour = 12.21", "driver_gbp_per_hour = -1"
    )
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(InvalidScenarioError, match="'driver_gbp_per_hour' must be a number"):
        load_price_model(tmp_path / "p.toml")


def _hostile(plan_file: PlanFile) -> PlanFile:
    """School names that a spreadsheet would run as formulas."""
    names = dict.fromkeys(plan_file.school_names, '=HYPERLINK("http://x","y")')
    return replace(plan_file, school_names=names)


def test_lots_files_neutralise_formulas(plan_file: PlanFile, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    write_lots_outputs(build_lots(_hostile(plan_file), load_price_model()), tmp_path)
    with (tmp_path / "lots.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["cluster"].startswith("'=HYPERLINK")
    sheet = load_workbook(tmp_path / "lots.xlsx")["lots"]
    cell = sheet["B2"]
    assert cell.data_type == "s" and str(cell.value).startswith("'=HYPERLINK")
    assert sheet["K2"].data_type == "n"  # money stays a number


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: scripts/install_browser.sh installs it",
)
def test_lots_xlsx_opens_in_libreoffice(plan_file: PlanFile, tmp_path: Path) -> None:
    write_lots_outputs(build_lots(_hostile(plan_file), load_price_model()), tmp_path)
    for fmt in ("pdf", "csv"):
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
             "--convert-to", fmt, "--outdir", str(tmp_path / fmt), str(tmp_path / "lots.xlsx")],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    assert (tmp_path / "pdf" / "lots.pdf").read_bytes()[:5] == b"%PDF-"
    # LibreOffice read the cell as text: the formula was not run.
    with (tmp_path / "csv" / "lots.csv").open(newline="") as f:
        first = list(csv.reader(f))[1]
    assert first[1].startswith("'=HYPERLINK")


def test_cli_lots_writes_both_files(
    plan_folder: Path, plan_file: PlanFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lots"
    assert main(["lots", "--plan", str(plan_folder), "--out", str(out)]) == 0
    assert "should-cost" in capsys.readouterr().out
    assert (out / "lots.csv").is_file() and (out / "lots.xlsx").is_file()
    write_plan_json(plan_file.plan, tmp_path / "plan.json")  # without its scenario facts
    assert main(["lots", "--plan", str(tmp_path), "--out", str(out)]) == 2
    assert "has no seats in the plan file" in capsys.readouterr().err
