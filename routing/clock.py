"""Times of day: seconds after local midnight, shown as ``"08:45"``.

The domain keeps every time of day as an integer of seconds after local midnight
(``am_start_s``); :func:`format_clock` is the one place that turns one into text, for
route sheets and CSV files (:mod:`routing.reports`), scenario files
(:mod:`routing.dataset`, which also reads them back) and the API's responses.
"""

from __future__ import annotations

from typing import Literal

SECONDS_PER_DAY = 24 * 3600

ShowSeconds = Literal["never", "always", "if_any"]


def format_clock(seconds_after_midnight: int, *, show_seconds: ShowSeconds = "never") -> str:
    """``HH:MM`` (or ``HH:MM:SS``) of a time of day.

    Parameters
    ----------
    seconds_after_midnight
        The time, whole seconds after local midnight (``29700`` is a quarter past eight).
    show_seconds
        ``"never"``: ``"08:15"`` (seconds dropped, not rounded); ``"always"``:
        ``"08:15:00"``; ``"if_any"``: ``"08:15"``, or ``"08:15:30"`` when there are
        seconds (what a scenario file holds, so it reads back the same).

    Returns
    -------
    str
        Hours and minutes of two digits each. Hours are not wrapped: a time past midnight
        shows as ``"24:30"``.
    """
    hours, rest = divmod(int(seconds_after_midnight), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}"
    if show_seconds == "always" or (show_seconds == "if_any" and secs):
        text += f":{secs:02d}"
    return text


__all__ = ["SECONDS_PER_DAY", "ShowSeconds", "format_clock"]
