"""schoolrun tradeoff: a sweep of the value of a pupil's minute, its files and its answer."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from routing.cli import main
from routing.dataset import write_scenario
from routing.errors import InvalidScenarioError
from routing.tradeoff import (
    Tradeoff,
    TradeoffPoint,
    cheapest_meeting,
    parse_comfort,
    parse_values,
)
from tests.unit.test_ride_policy import _opposite_sides


def _point(name: str, value: int | None, day_pence: int, over_45: int) -> TradeoffPoint:
    return TradeoffPoint(name, value, day_pence, day_pence * 190, 20.0, 40.0, over_45, 0, 3, 0, 0)


def test_parse_values_gives_sorted_pence_and_refuses_bad_ones() -> None:
    assert parse_values("0.1, 0,0.05,0.1") == (0, 5, 10)
    for bad in ("x", "-0.01", "0.005", ""):
        with pytest.raises(InvalidScenarioError):
            parse_values(bad)


def test_cheapest_meeting_needs_the_saving_and_no_more_long_rides() -> None:
    today = _point("today", None, 10_000, 50)
    points = (
        _point("ride0p", 0, 6_000, 80),  # cheapest, but more long rides
        _point("ride5p", 5, 6_900, 50),  # 31% cheaper, as many long rides: meets both
        _point("ride10p", 10, 6_500, 40),  # cheaper still and fewer: the answer
        _point("ride20p", 20, 7_500, 10),  # fewest long rides, only 25% cheaper
    )
    tradeoff = Tradeoff("s", "model", points, today)
    best = cheapest_meeting(tradeoff, 30.0)
    assert best is not None and best.name == "ride10p"
    assert cheapest_meeting(tradeoff, 40.0) is None  # 6,000 misses on long rides
    assert cheapest_meeting(dataclasses.replace(tradeoff, today=None)) is None


def test_tradeoff_command_writes_csv_chart_and_answer(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scenario, _ = _opposite_sides(0)
    folder = tmp_path / "scenario"
    write_scenario(scenario, folder)
    out = tmp_path / "out"
    code = main(
        ["tradeoff", str(folder), "--out", str(out), "--values", "0,2.5", "--time-limit", "1"]
    )
    assert code == 0
    with (out / "tradeoff.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["point"] for r in rows] == ["today", "ride0p", "ride250p"]
    assert [r["ride_minute_value_gbp"] for r in rows] == ["", "0.0", "2.5"]
    by_point = {r["point"]: r for r in rows}
    # Cost only: one taxi (A rides 40+ min); at £2.50 a minute, a taxi each.
    assert [by_point[p]["vehicles"] for p in ("ride0p", "ride250p")] == ["1", "2"]
    assert float(by_point["ride0p"]["day_cost_gbp"]) < float(by_point["ride250p"]["day_cost_gbp"])
    assert float(by_point["ride0p"]["mean_ride_min"]) > float(by_point["ride250p"]["mean_ride_min"])
    assert (out / "tradeoff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    answer = json.loads((out / "tradeoff.json").read_text(encoding="utf-8"))
    assert [r["point"] for r in answer["rows"]] == ["today", "ride0p", "ride250p"]
    printed = capsys.readouterr().out
    assert "ride250p" in printed and "tradeoff.png" in printed


def test_parse_comfort_gives_pairs_in_order_and_refuses_bad_ones() -> None:
    assert parse_comfort("2/25, 1.5/20,0/0,2/25") == ((2.0, 25), (1.5, 20), (0.0, 0))
    for bad in ("1.5", "0.5/20", "2/121", "2/x", "4/10"):
        with pytest.raises(InvalidScenarioError, match="--comfort"):
            parse_comfort(bad)


def test_a_tight_comfort_limit_is_a_point_of_its_own(tmp_path: Path) -> None:
    # Sharing one taxi makes A ride about 41 min on a 20 min direct trip: the default
    # comfort limit allows it, max(1.5 x 20, 20 + 15) = 35 min does not.
    scenario, _ = _opposite_sides(0)
    folder = tmp_path / "scenario"
    write_scenario(scenario, folder)
    out = tmp_path / "out"
    argv = ["tradeoff", str(folder), "--out", str(out), "--values", "0", "--time-limit", "1"]
    assert main([*argv, "--comfort", "1.5/15"]) == 0
    with (out / "tradeoff.csv").open(encoding="utf-8") as handle:
        rows = {r["point"]: r for r in csv.DictReader(handle)}
    assert list(rows) == ["today", "ride0p", "comfort150_15"]
    own = scenario.policy
    assert rows["ride0p"]["comfort_ride_factor"] == str(own.comfort_ride_factor)
    assert rows["ride0p"]["comfort_ride_extra_min"] == str(own.comfort_ride_extra_s // 60)
    tight = rows["comfort150_15"]
    assert (tight["comfort_ride_factor"], tight["comfort_ride_extra_min"]) == ("1.5", "15")
    assert tight["ride_minute_value_gbp"] == "0.0"
    assert [rows[p]["vehicles"] for p in ("ride0p", "comfort150_15")] == ["1", "2"]
    assert float(tight["p95_ride_min"]) <= 35.0 < float(rows["ride0p"]["p95_ride_min"])
