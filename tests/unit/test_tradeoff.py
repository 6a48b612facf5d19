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
from routing.tradeoff import Tradeoff, TradeoffPoint, cheapest_meeting, parse_values
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
