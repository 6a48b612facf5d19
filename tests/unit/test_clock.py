"""The one "HH:MM" formatter for times of day (routing/clock.py)."""

from __future__ import annotations

import pytest

from routing.clock import ShowSeconds, format_clock


@pytest.mark.parametrize(
    ("seconds", "show_seconds", "expected"),
    [
        (0, "always", "00:00:00"),  # midnight
        (8 * 3600 + 5 * 60 + 7, "always", "08:05:07"),  # a morning time
        (15 * 3600 + 59, "never", "15:00"),  # minutes only, seconds dropped
    ],
)
def test_clock(seconds: int, show_seconds: ShowSeconds, expected: str) -> None:
    assert format_clock(seconds, show_seconds=show_seconds) == expected


def test_format_clock_shows_hours_and_minutes_and_drops_seconds() -> None:
    assert format_clock(8 * 3600 + 15 * 60) == "08:15"
    assert format_clock(8 * 3600 + 15 * 60 + 59) == "08:15"  # dropped, not rounded up
    assert format_clock(0) == "00:00"
    assert format_clock(24 * 3600 + 30 * 60) == "24:30"  # not wrapped


def test_format_clock_seconds_always_or_only_when_there_are_some() -> None:
    assert format_clock(29_700, show_seconds="always") == "08:15:00"
    assert format_clock(29_730, show_seconds="always") == "08:15:30"
    assert format_clock(29_700, show_seconds="if_any") == "08:15"
    assert format_clock(29_730, show_seconds="if_any") == "08:15:30"
