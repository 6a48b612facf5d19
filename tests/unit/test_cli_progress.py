"""The CLI's progress output when stderr is a file or a CI log (routing.cli._ProgressBar)."""

from __future__ import annotations

import pytest

from routing.cli import _ProgressBar
from routing.model import Run, SolveProgress


def _event(done: int, cost: int | None, rides: int | None = None) -> SolveProgress:
    return SolveProgress(
        run=Run.AM,
        parts_done=done,
        parts_total=2,
        elapsed_s=3.0,
        best_cost_pence=cost,
        rides_over_45_min=rides,
    )


def test_without_a_terminal_one_line_per_part_finished_not_per_redraw(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = _ProgressBar(enabled=True, interactive=False)
    for event in [_event(0, None), _event(0, 10_000), _event(0, 9_000), _event(1, 9_500)]:
        bar(event)
    bar(_event(2, 20_000))
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "AM run: 0/2 part(s) done after 3 s",
        "AM run: 1/2 part(s) done after 3 s, £95 so far",
        "AM run: 2/2 part(s) done after 3 s, £200 so far",
    ]


def test_quiet_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    bar = _ProgressBar(enabled=False, interactive=False)
    bar(_event(1, 100))
    assert capsys.readouterr().err == ""


def test_each_line_says_the_rides_over_45_minutes_once_they_are_known(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = _ProgressBar(enabled=True, interactive=False)
    bar(_event(0, None))
    bar(_event(1, 9_500, 3))
    bar(_event(2, 1_234_500, 1_204))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "AM run: 0/2 part(s) done after 3 s",
        "AM run: 1/2 part(s) done after 3 s, £95 so far, 3 rides over 45 min",
        "AM run: 2/2 part(s) done after 3 s, £12,345 so far, 1,204 rides over 45 min",
    ]


def test_the_terminal_bar_shows_best_cost_and_rides_over_45_minutes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = _ProgressBar(enabled=True, interactive=True)
    bar(_event(1, 9_500, 7))
    bar.close()
    assert "best £95 so far, 7 rides over 45 min" in capsys.readouterr().err
