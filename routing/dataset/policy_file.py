"""policy.toml: the policy keys, their ranges, and the [network] table."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from decimal import InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

from routing.dataset.cells import (
    TOML_LINE,
    Issues,
    default_academic_year,
    parse_pence,
)
from routing.dataset.columns import (
    ACADEMIC_YEAR_KEY,
    NETWORK_KEYS,
    POLICY_FILE,
    POLICY_KEYS,
    POLICY_RANGES,
    format_range,
)
from routing.errors import InvalidScenarioError
from routing.model import (
    SECONDS_PER_MINUTE,
    NetworkSource,
    Policy,
    RouteStart,
)

# --------------------------------------------------------------------------- policy


def toml_line(text: str, key: str) -> int:
    """Line of ``key = ...`` in the TOML text (0 when not found)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


def parse_policy(
    text: str | None, issues: Issues, base_dir: Path | None
) -> tuple[Policy, int, NetworkSource]:
    """policy.toml -> Policy, academic year for dates of birth, and the network source."""
    academic_year = default_academic_year()
    if text is None:
        return Policy(), academic_year, NetworkSource()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = TOML_LINE.search(str(err))
        issues.add(
            POLICY_FILE, int(match.group(1)) if match else 0, "", "", f"Invalid TOML: {err}."
        )
        return Policy(), academic_year, NetworkSource()

    def problem(key: str, value: Any, message: str) -> None:
        issues.add(POLICY_FILE, toml_line(text, key), key, str(value), message)

    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "network":
            continue
        if key == ACADEMIC_YEAR_KEY:
            if isinstance(value, int) and not isinstance(value, bool) and 1990 <= value <= 2100:
                academic_year = value
            else:
                problem(key, value, f"{key} must be a year such as 2025, got {value!r}.")
            continue
        if key not in POLICY_KEYS:
            known = ", ".join([*POLICY_KEYS, ACADEMIC_YEAR_KEY, "[network]"])
            problem(key, value, f"Unknown policy key '{key}'; the keys are {known}.")
            continue
        field_name, kind = POLICY_KEYS[key]
        if not policy_value_in_range(key, value):
            low, high = POLICY_RANGES[key]
            problem(key, value, f"{key} must be within {format_range(low, high)}, got {value!r}.")
            continue
        converted = convert_policy_value(kind, value)
        if converted is None:
            problem(key, value, f"{key} must be {POLICY_KIND_WORDS[kind]}, got {value!r}.")
            continue
        kwargs[field_name] = converted
    check_policy_ranges(kwargs, problem)
    try:
        policy = Policy(**kwargs)
    except InvalidScenarioError as err:
        issues.add(POLICY_FILE, 0, "", "", str(err))
        policy = Policy()
    network = parse_network(data.get("network"), text, issues, base_dir)
    return policy, academic_year, network


POLICY_KIND_WORDS = {
    "money": "an amount in pounds (a number with at most 2 decimals)",
    "minutes": "a positive number of minutes",
    "minutes_or_zero": "a number of minutes (0 switches it off)",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "route_start": f"one of {', '.join(r.value for r in RouteStart)}",
}


def policy_value_in_range(key: str, value: Any) -> bool:
    """False for a number outside POLICY_RANGES (file units); wrong types are judged later."""
    if key not in POLICY_RANGES or isinstance(value, bool) or not isinstance(value, int | float):
        return True
    low, high = POLICY_RANGES[key]
    return not math.isfinite(value) or low <= value <= high


def convert_policy_value(kind: str, value: Any) -> Any:
    """A TOML value as the Policy field wants it; None when it has the wrong type."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "route_start":
        try:
            return RouteStart(value) if isinstance(value, str) else None
        except ValueError:
            return None
    if not is_number or not math.isfinite(value):
        return None
    if kind == "int":
        return value if isinstance(value, int) else None
    if kind == "float":
        return float(value)
    if kind == "minutes":
        return round(value * SECONDS_PER_MINUTE) if value > 0 else None
    if kind == "minutes_or_zero":
        return round(value * SECONDS_PER_MINUTE) if value >= 0 else None
    if kind == "money":
        try:
            return parse_pence(str(value))
        except (ValueError, InvalidOperation):
            return None
    msg = f"Unknown policy value kind '{kind}'."
    raise AssertionError(msg)


def check_policy_ranges(kwargs: dict[str, Any], problem: Callable[[str, Any, str], None]) -> None:
    """Range checks with the file's key names (Policy's own checks would name fields)."""
    key_of = {field_name: key for key, (field_name, _) in POLICY_KEYS.items()}
    limits = {
        "school_days_per_year": (1, 366),
        "peak_travel_factor": (0.5, 5.0),
        "depot_lon": (-180, 180),
        "depot_lat": (-90, 90),
        "default_boarding_s": (0, 3600),
        "default_wheelchair_boarding_s": (0, 3600),
        "approx_circuity_factor": (1.0, 5.0),
        "comfort_ride_factor": (0.0, 3.0),
    }
    for field_name, (low, high) in limits.items():
        if field_name in kwargs and not low <= kwargs[field_name] <= high:
            key = key_of[field_name]
            problem(key, kwargs[field_name], f"{key} must be within {low}..{high}.")
            del kwargs[field_name]
    # Ride-time policy: ranges in the file's own units (pounds a minute, minutes).
    if 0 < kwargs.get("comfort_ride_factor", 0) < 1:
        value = kwargs.pop("comfort_ride_factor")
        problem("comfort_ride_factor", value, "comfort_ride_factor must be 0 (off) or 1..3.")
    if kwargs.get("comfort_ride_extra_s", 0) > 120 * SECONDS_PER_MINUTE:
        value = kwargs.pop("comfort_ride_extra_s") / SECONDS_PER_MINUTE
        problem("comfort_ride_extra_min", value, "comfort_ride_extra_min must be within 0..120.")
    if kwargs.get("ride_minute_value_pence", 0) > 500:
        value = kwargs.pop("ride_minute_value_pence") / 100
        problem("ride_minute_value_gbp", value, "ride_minute_value_gbp must be within 0..5.00.")
    if kwargs.get("route_start") is RouteStart.DEPOT and (
        kwargs.get("depot_lon") is None or kwargs.get("depot_lat") is None
    ):
        problem("route_start", "depot", "route_start 'depot' needs depot_lon and depot_lat.")
        del kwargs["route_start"]


def parse_network(table: Any, text: str, issues: Issues, base_dir: Path | None) -> NetworkSource:
    if table is None:
        return NetworkSource()
    if not isinstance(table, dict):
        issues.add(
            POLICY_FILE,
            toml_line(text, "network"),
            "network",
            str(table),
            "network must be a table [network].",
        )
        return NetworkSource()
    values: dict[str, str] = {}
    for key, value in table.items():
        if key not in NETWORK_KEYS:
            issues.add(
                POLICY_FILE,
                toml_line(text, key),
                f"network.{key}",
                str(value),
                f"Unknown [network] key '{key}'; the keys are {', '.join(NETWORK_KEYS)}.",
            )
            continue
        if not isinstance(value, str):
            issues.add(
                POLICY_FILE,
                toml_line(text, key),
                f"network.{key}",
                str(value),
                f"network.{key} must be a string.",
            )
            continue
        values[key] = value.strip()
    for key in ("drive_graph", "walk_graph"):
        path_text = values.get(key, "")
        if not path_text:
            continue
        line = toml_line(text, key)
        parts = PurePosixPath(path_text.replace("\\", "/"))
        if parts.is_absolute() or ".." in parts.parts or re.match(r"^[A-Za-z]:", path_text):
            issues.add(
                POLICY_FILE,
                line,
                f"network.{key}",
                path_text,
                f"network.{key} must be a path inside the scenario folder, got {path_text!r}.",
            )
        elif base_dir is not None and not (Path(base_dir) / parts).is_file():
            issues.add(
                POLICY_FILE,
                line,
                f"network.{key}",
                path_text,
                f"network.{key} file {path_text!r} does not exist in the scenario folder.",
            )
    return NetworkSource(
        drive_graph=values.get("drive_graph", ""),
        walk_graph=values.get("walk_graph", ""),
        description=values.get("description", ""),
    )
