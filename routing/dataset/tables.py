"""Read, validate and write a scenario folder (the format is documented in data/README.md).

A scenario is a folder of CSV files plus one ``policy.toml``:

- ``schools.csv``, ``pupils.csv``, ``vehicle_types.csv``, ``policy.toml`` (required);
- ``incompatible.csv``, ``current_routes.csv``, ``postcodes.csv`` (optional).

Every load validates everything first and raises one :class:`InvalidScenarioError`
whose ``issues`` list every bad cell as a :class:`RowIssue` (file, row as a spreadsheet
shows it with the header on row 1, field, raw value, message). Nothing is dropped: a
row that cannot be read is an issue, and no partial scenario is ever returned.

pandas stops here: files are read as strings with pandas and parsed into the frozen
dataclasses of :mod:`routing.model`; nothing else in the package sees a DataFrame.
Money in files is pounds (``*_gbp``) and becomes integer pence; minutes (``*_min``)
become integer seconds; times of day (``*_hhmm``) become seconds after midnight.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

import pandas as pd

from routing.clock import format_clock
from routing.errors import InvalidScenarioError, RowIssue
from routing.model import (
    SECONDS_PER_MINUTE,
    CurrentRoute,
    IncompatiblePair,
    Needs,
    NetworkSource,
    Policy,
    Pupil,
    RouteStart,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)

logger = logging.getLogger(__name__)

SCHOOLS_FILE = "schools.csv"
PUPILS_FILE = "pupils.csv"
INCOMPATIBLE_FILE = "incompatible.csv"
VEHICLE_TYPES_FILE = "vehicle_types.csv"
POLICY_FILE = "policy.toml"
CURRENT_ROUTES_FILE = "current_routes.csv"
POSTCODES_FILE = "postcodes.csv"

REQUIRED_FILES = (SCHOOLS_FILE, PUPILS_FILE, VEHICLE_TYPES_FILE, POLICY_FILE)
OPTIONAL_FILES = (INCOMPATIBLE_FILE, CURRENT_ROUTES_FILE, POSTCODES_FILE)
SCENARIO_FILES = REQUIRED_FILES + OPTIONAL_FILES

# Column name -> required? Order is the order write_scenario uses.
SCHOOL_COLUMNS: dict[str, bool] = {
    "school_id": True,
    "name": True,
    "kind": True,
    "lon": False,  # lon/lat or a postcode found in postcodes.csv
    "lat": False,
    "postcode": False,
    "local_authority": False,
    "am_start_hhmm": True,
    "pm_end_hhmm": True,
    "arrive_window_open_min": False,
    "arrive_window_close_min": False,
    "pm_max_wait_min": False,
    "handover_s": False,
}
PUPIL_COLUMNS: dict[str, bool] = {
    "pupil_id": True,
    "school_id": True,
    "first_name": False,
    "last_name": False,
    "postcode": False,  # postcode and/or lon+lat
    "lon": False,
    "lat": False,
    "date_of_birth": False,  # date_of_birth and/or year_group
    "year_group": False,
    "wheelchair": True,
    "needs_assistant": True,
    "travel_alone": True,
    "vehicle_requirement": False,
    "boarding_s": False,
    "max_ride_min": False,
    "sibling_group": False,
    "attends_am": False,
    "attends_pm": False,
    "cannot_walk_assessed": False,
    "is_low_income": False,
    "has_unsafe_route": False,
    "can_use_public_transport": False,
    "travel_training_suitable": False,
}
INCOMPATIBLE_COLUMNS: dict[str, bool] = {"pupil_a": True, "pupil_b": True}
VEHICLE_TYPE_COLUMNS: dict[str, bool] = {
    "name": True,
    "category": True,
    "capacity_seats": True,
    "max_wheelchair_places": False,
    "seats_per_wheelchair_place": False,
    "num_available": False,
    "day_rate_gbp": True,
    "cost_per_mile_gbp": True,
    "max_shift_min": False,
}
CURRENT_ROUTE_COLUMNS: dict[str, bool] = {
    "route_id": True,
    "vehicle_type": True,
    "has_assistant": True,
    "day_price_gbp": False,
    "pupil_ids": True,
}
POSTCODE_COLUMNS: dict[str, bool] = {"postcode": True, "lon": True, "lat": True}

# policy.toml key -> (Policy field, kind). Kinds: money (gbp -> pence), minutes (-> s),
# int, float, bool, route_start.
POLICY_KEYS: dict[str, tuple[str, str]] = {
    "assistant_day_cost_gbp": ("assistant_day_cost_pence", "money"),
    "max_ride_primary_min": ("max_ride_primary_s", "minutes"),
    "max_ride_secondary_min": ("max_ride_secondary_s", "minutes"),
    "school_days_per_year": ("school_days_per_year", "int"),
    "peak_travel_factor": ("peak_travel_factor", "float"),
    "route_start": ("route_start", "route_start"),
    "depot_lon": ("depot_lon", "float"),
    "depot_lat": ("depot_lat", "float"),
    "allow_mixed_school_routes": ("allow_mixed_school_routes", "bool"),
    "default_boarding_s": ("default_boarding_s", "int"),
    "default_wheelchair_boarding_s": ("default_wheelchair_boarding_s", "int"),
    "personal_budget_gbp_per_mile": ("personal_budget_pence_per_mile", "money"),
    "approx_circuity_factor": ("approx_circuity_factor", "float"),
    "ride_minute_value_gbp": ("ride_minute_value_pence", "money"),
    "comfort_ride_factor": ("comfort_ride_factor", "float"),
    "comfort_ride_extra_min": ("comfort_ride_extra_s", "minutes_or_zero"),
    "public_transport_pass_gbp_per_year": ("public_transport_pass_pence_per_year", "money"),
    "travel_training_cost_gbp": ("travel_training_cost_pence", "money"),
    "travel_training_success_rate": ("travel_training_success_rate", "float"),
}
# Read only to turn a date_of_birth into a year group when year_group is blank.
ACADEMIC_YEAR_KEY = "academic_year_start_year"
NETWORK_KEYS = ("drive_graph", "walk_graph", "description")

SEPARATOR_PUPIL_IDS = ";"
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
YEAR_GROUP_RANGE = (-1, 20)
# Great Britain, generously: a point outside is a typo or swapped lon/lat.
GB_LON_RANGE = (-8.7, 1.9)
GB_LAT_RANGE = (49.8, 60.9)

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PARSER_LINE = re.compile(r"line (\d+)")
_TOML_LINE = re.compile(r"line (\d+)")

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


# --------------------------------------------------------------------------- public API


def load_scenario(folder: Path) -> Scenario:
    """Read and validate the scenario in ``folder``.

    Parameters
    ----------
    folder
        A scenario folder (see data/README.md). Its name becomes the scenario's name;
        graph paths in ``policy.toml [network]`` are resolved against it.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InvalidScenarioError
        If the folder is missing, a required file is missing, or any cell is invalid;
        ``.issues`` lists every problem found (file, row, field, value, message).
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"Scenario folder '{folder}' does not exist."
        raise InvalidScenarioError(msg, (RowIssue(str(folder), 0, "", str(folder), msg),))
    tables: dict[str, bytes] = {}
    for file_name in SCENARIO_FILES:
        path = folder / file_name
        if path.is_file():
            tables[file_name] = path.read_bytes()
    name = folder.resolve().name
    return load_scenario_from_tables(tables, name, base_dir=folder)


def load_scenario_from_tables(
    tables: Mapping[str, bytes | str], name: str, *, base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario given as file name -> file contents (e.g. an API upload).

    Parameters
    ----------
    tables
        File name (``"pupils.csv"``, ``"policy.toml"``, ...; any folder part is ignored)
        to its text or raw bytes (UTF-8, with or without BOM; Windows-1252 accepted).
    name
        The scenario's name.
    base_dir
        Folder that graph paths in ``policy.toml [network]`` are relative to. When given,
        the graph files must exist there; when None, paths are only checked for shape.

    Returns
    -------
    Scenario
        The validated scenario; never a partial one.

    Raises
    ------
    InvalidScenarioError
        Listing every problem found, in ``.issues``.
    """
    issues = _Issues()
    if not name.strip():
        issues.add("", 0, "name", name, "The scenario name must not be empty.")
    texts = _decode_tables(tables, issues)
    for file_name in REQUIRED_FILES:
        if file_name not in texts and not issues.has_file(file_name):
            issues.add(file_name, 0, "", "", f"Required file '{file_name}' is missing.")

    policy, academic_year, network = _parse_policy(texts.get(POLICY_FILE), issues, base_dir)
    postcodes = _parse_postcodes(texts.get(POSTCODES_FILE), issues)
    schools, school_ids = _parse_schools(texts.get(SCHOOLS_FILE), postcodes, issues)
    vehicle_types, vehicle_names = _parse_vehicle_types(texts.get(VEHICLE_TYPES_FILE), issues)
    pupils, pupil_ids = _parse_pupils(
        texts.get(PUPILS_FILE), policy, academic_year, school_ids, postcodes, issues
    )
    pairs = _parse_incompatible(texts.get(INCOMPATIBLE_FILE), pupil_ids, issues)
    routes = _parse_current_routes(
        texts.get(CURRENT_ROUTES_FILE),
        pupil_ids,
        {v.name: v for v in vehicle_types},
        vehicle_names,
        {p.pupil_id: p for p in pupils},
        issues,
    )
    if vehicle_names is not None and not vehicle_names:
        issues.add(VEHICLE_TYPES_FILE, 0, "name", "", "The scenario has no vehicle types.")
    issues.raise_if_any(name)
    try:
        scenario = Scenario(
            name=name,
            schools=tuple(schools),
            pupils=tuple(pupils),
            vehicle_types=tuple(vehicle_types),
            policy=policy,
            incompatible_pairs=tuple(pairs),
            current_routes=tuple(routes),
            network=network,
        )
    except InvalidScenarioError as err:  # a cross-check the row checks above missed
        issue = RowIssue("", 0, "", "", str(err))
        msg = f"Scenario '{name}' is invalid: {err}"
        raise InvalidScenarioError(msg, (issue,)) from err
    logger.info(
        "Loaded scenario '%s': %d schools, %d pupils, %d vehicle types, %d current routes.",
        name,
        len(scenario.schools),
        len(scenario.pupils),
        len(scenario.vehicle_types),
        len(scenario.current_routes),
    )
    return scenario


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """Write ``scenario`` as a scenario folder that :func:`load_scenario` reads back equal.

    Pupils are written with lon/lat (so no ``postcodes.csv`` is needed); a boarding time
    equal to the policy default is written blank, meaning "policy default". Graph files
    named in ``scenario.network`` are not copied: the paths are written as they are.
    ``incompatible.csv`` and ``current_routes.csv`` are always written (header only when
    empty).

    Parameters
    ----------
    scenario
        The scenario to write.
    folder
        Destination folder (created if missing); existing scenario files are replaced.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    policy = scenario.policy
    _write_csv(
        folder / SCHOOLS_FILE,
        list(SCHOOL_COLUMNS),
        [
            [
                s.school_id,
                s.name,
                s.kind.value,
                _fmt_float(s.lon),
                _fmt_float(s.lat),
                s.postcode,
                s.local_authority,
                format_clock(s.am_start_s, show_seconds="if_any"),
                format_clock(s.pm_end_s, show_seconds="if_any"),
                _fmt_minutes(s.arrive_window_open_s),
                _fmt_minutes(s.arrive_window_close_s),
                _fmt_minutes(s.pm_max_wait_s),
                str(s.handover_s),
            ]
            for s in scenario.schools
        ],
    )
    pupil_rows = []
    for p in scenario.pupils:
        default_boarding_s = (
            policy.default_wheelchair_boarding_s
            if p.needs.wheelchair
            else policy.default_boarding_s
        )
        pupil_rows.append(
            [
                p.pupil_id,
                p.school_id,
                p.first_name,
                p.last_name,
                p.postcode,
                _fmt_float(p.lon),
                _fmt_float(p.lat),
                p.date_of_birth.isoformat() if p.date_of_birth else "",
                str(p.year_group),
                _fmt_bool(p.needs.wheelchair),
                _fmt_bool(p.needs.needs_assistant),
                _fmt_bool(p.needs.travel_alone),
                p.needs.vehicle_requirement.value,
                "" if p.needs.boarding_s == default_boarding_s else str(p.needs.boarding_s),
                "" if p.needs.max_ride_s is None else _fmt_minutes(p.needs.max_ride_s),
                p.sibling_group,
                _fmt_bool(p.attends_am),
                _fmt_bool(p.attends_pm),
                _fmt_bool(p.cannot_walk_assessed),
                _fmt_bool(p.is_low_income),
                _fmt_bool(p.has_unsafe_route),
                _fmt_bool(p.can_use_public_transport),
                _fmt_bool(p.travel_training_suitable),
            ]
        )
    _write_csv(folder / PUPILS_FILE, list(PUPIL_COLUMNS), pupil_rows)
    _write_csv(
        folder / INCOMPATIBLE_FILE,
        list(INCOMPATIBLE_COLUMNS),
        [[pair.pupil_a, pair.pupil_b] for pair in scenario.incompatible_pairs],
    )
    _write_csv(
        folder / VEHICLE_TYPES_FILE,
        list(VEHICLE_TYPE_COLUMNS),
        [
            [
                v.name,
                v.category.value,
                str(v.capacity_seats),
                str(v.max_wheelchair_places),
                str(v.seats_per_wheelchair_place),
                "" if v.num_available is None else str(v.num_available),
                _fmt_gbp(v.day_rate_pence),
                _fmt_gbp(v.cost_per_mile_pence),
                _fmt_minutes(v.max_shift_s),
            ]
            for v in scenario.vehicle_types
        ],
    )
    _write_csv(
        folder / CURRENT_ROUTES_FILE,
        list(CURRENT_ROUTE_COLUMNS),
        [
            [
                r.route_id,
                r.vehicle_type,
                _fmt_bool(r.has_assistant),
                "" if r.day_price_pence is None else _fmt_gbp(r.day_price_pence),
                SEPARATOR_PUPIL_IDS.join(r.pupil_ids),
            ]
            for r in scenario.current_routes
        ],
    )
    (folder / POLICY_FILE).write_text(_policy_toml(policy, scenario.network), encoding="utf-8")


# --------------------------------------------------------------------------- issues


@dataclass
class _Issues:
    """Collects every RowIssue; raises them together."""

    items: list[RowIssue] = field(default_factory=list)

    def add(self, file: str, row: int, field_name: str, value: str, message: str) -> None:
        self.items.append(RowIssue(file, row, field_name, value, message))

    def has_file(self, file: str) -> bool:
        return any(i.file == file for i in self.items)

    def raise_if_any(self, name: str) -> None:
        if not self.items:
            return
        order = {f: k for k, f in enumerate(SCENARIO_FILES)}
        ordered = sorted(self.items, key=lambda i: (order.get(i.file, len(order)), i.file, i.row))
        files = sorted({i.file or "scenario" for i in ordered})
        msg = (
            f"Scenario '{name}' has {len(ordered)} problem(s) in {', '.join(files)}; "
            "nothing was loaded."
        )
        raise InvalidScenarioError(msg, tuple(ordered))


# --------------------------------------------------------------------------- reading


def _decode_tables(tables: Mapping[str, bytes | str], issues: _Issues) -> dict[str, str]:
    """File name -> text, BOM removed; unknown or duplicated names are issues."""
    texts: dict[str, str] = {}
    for raw_name, content in tables.items():
        file_name = PureWindowsPath(str(raw_name)).name.strip().lower()
        if file_name not in SCENARIO_FILES:
            issues.add(
                file_name,
                0,
                "",
                str(raw_name),
                f"Unknown file '{raw_name}'; expected some of {', '.join(SCENARIO_FILES)}.",
            )
            continue
        if file_name in texts:
            issues.add(file_name, 0, "", str(raw_name), f"File '{file_name}' given twice.")
            continue
        if isinstance(content, bytes):
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                # Spreadsheets saved on UK Windows machines are often Windows-1252.
                text = content.decode("cp1252", errors="replace")
        else:
            text = content
        texts[file_name] = text.lstrip("\ufeff")
    return texts


@dataclass
class _Row:
    """One data row of a CSV file, with parsers that record issues instead of raising."""

    file: str
    row: int
    values: dict[str, str]
    issues: _Issues

    def has(self, column: str) -> bool:
        return column in self.values

    def raw(self, column: str) -> str:
        return self.values.get(column, "")

    def problem(self, column: str, message: str, value: str | None = None) -> None:
        self.issues.add(
            self.file, self.row, column, self.raw(column) if value is None else value, message
        )

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.raw(column)
        if required and not value:
            self.problem(column, f"{column} must not be blank.")
        return value

    def parse(
        self, column: str, parser: Callable[[str], _T], what: str, default: _T | None = None
    ) -> _T | None:
        """Parse a cell; blank -> ``default`` (an issue when default is None and required)."""
        value = self.raw(column)
        if not value:
            return default
        try:
            return parser(value)
        except (ValueError, InvalidOperation, ArithmeticError):
            self.problem(column, f"{column} must be {what}, got {value!r}.")
            return None

    def required(self, column: str, parser: Callable[[str], _T], what: str) -> _T | None:
        if not self.raw(column):
            self.problem(column, f"{column} must not be blank (expected {what}).")
            return None
        return self.parse(column, parser, what)

    def number(
        self,
        column: str,
        *,
        kind: str = "float",
        required: bool = False,
        default: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> float | None:
        parser = _parse_int if kind == "int" else _parse_float
        what = "a whole number" if kind == "int" else "a number"
        value = (
            self.required(column, parser, what)
            if required
            else self.parse(column, parser, what, None)
        )
        if value is None:
            return default if not self.raw(column) else None
        if min_value is not None and value < min_value:
            self.problem(column, f"{column} must be >= {_fmt_num(min_value)}, got {value}.")
            return None
        if max_value is not None and value > max_value:
            self.problem(column, f"{column} must be <= {_fmt_num(max_value)}, got {value}.")
            return None
        return value

    def integer(
        self,
        column: str,
        *,
        required: bool = False,
        default: int | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
    ) -> int | None:
        value = self.number(
            column,
            kind="int",
            required=required,
            default=default,
            min_value=min_value,
            max_value=max_value,
        )
        return None if value is None else int(value)

    def seconds_from_minutes(
        self, column: str, *, required: bool = False, default: int | None = None, positive: bool
    ) -> int | None:
        minutes = self.number(column, required=required, min_value=0)
        if minutes is None:
            return default if not self.raw(column) else None
        if positive and minutes <= 0:
            self.problem(column, f"{column} must be > 0, got {self.raw(column)!r}.")
            return None
        return round(minutes * SECONDS_PER_MINUTE)

    def pence(self, column: str, *, required: bool = False) -> int | None:
        return (
            self.required(column, _parse_pence, "an amount in pounds, e.g. 95.50")
            if (required)
            else self.parse(column, _parse_pence, "an amount in pounds, e.g. 95.50")
        )

    def boolean(self, column: str, *, default: bool) -> bool:
        value = self.parse(column, _parse_bool, "true/false (or yes/no, 1/0)", default)
        return default if value is None else value

    def enum(self, column: str, enum_type: type[_E], *, default: _E | None = None) -> _E | None:
        value = self.raw(column).lower()
        if not value:
            if default is None:
                self.problem(column, f"{column} must not be blank.")
            return default
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum_type)
            self.problem(column, f"{column} must be one of {allowed}, got {self.raw(column)!r}.")
            return None

    def hhmm(self, column: str) -> int | None:
        return self.required(column, _parse_hhmm, "a time of day HH:MM")


def _read_csv(
    text: str | None,
    file_name: str,
    columns: Mapping[str, bool],
    issues: _Issues,
    *,
    one_of: Sequence[tuple[str, ...]] = (),
) -> list[_Row] | None:
    """Rows of a CSV as stripped strings; None when the file cannot be used at all.

    ``one_of`` lists groups of columns of which at least one must be present (e.g. a
    location: ``postcode`` or ``lon``); ``lon`` and ``lat`` always come together.
    """
    if text is None:
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            header=None,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        issues.add(file_name, 0, "", "", f"{file_name} is empty (no header row).")
        return None
    except pd.errors.ParserError as err:
        match = _PARSER_LINE.search(str(err))
        row = int(match.group(1)) if match else 0
        issues.add(
            file_name,
            row,
            "",
            "",
            f"{file_name} cannot be read as CSV: {str(err).strip()} "
            "(a row has more cells than the header, or a quote is not closed).",
        )
        return None
    frame = frame.fillna("")
    if frame.empty:
        issues.add(file_name, 0, "", "", f"{file_name} is empty (no header row).")
        return None
    header = [str(h).strip().lstrip("\ufeff").lower() for h in frame.iloc[0].tolist()]
    usable = True
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            issues.add(file_name, 1, name, name, f"Column '{name}' appears twice.")
            usable = False
        seen.add(name)
        if name not in columns:
            issues.add(
                file_name,
                1,
                name,
                name,
                f"Unknown column '{name}'; the columns are {', '.join(columns)}.",
            )
    if any(not h for h in header):
        # An unnamed column holding data is an issue; an empty trailing one is not.
        for col_idx, name in enumerate(header):
            if not name and any(str(v).strip() for v in frame.iloc[1:, col_idx]):
                issues.add(file_name, 1, "", "", f"Column {col_idx + 1} has values but no header.")
    for name, required in columns.items():
        if required and name not in seen:
            issues.add(file_name, 1, name, "", f"Required column '{name}' is missing.")
            usable = False
    if ("lon" in seen) != ("lat" in seen):
        missing = "lat" if "lon" in seen else "lon"
        issues.add(file_name, 1, missing, "", "The lon and lat columns must come together.")
        usable = False
    for group in one_of:
        if not seen & set(group):
            wanted = " or ".join(f"'{c}'" for c in group)
            issues.add(file_name, 1, group[0], "", f"{file_name} needs a {wanted} column.")
            usable = False
    if not usable:
        return None
    rows: list[_Row] = []
    for offset, record in enumerate(frame.iloc[1:].itertuples(index=False, name=None)):
        values = {
            name: str(cell).strip() for name, cell in zip(header, record, strict=True) if name
        }
        if not any(values.values()):
            continue  # a blank line is not data
        rows.append(_Row(file_name, offset + 2, values, issues))
    return rows


def _parse_int(value: str) -> int:
    number = Decimal(value.replace(",", ""))
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _parse_float(value: str) -> float:
    number = float(value.replace(",", ""))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _parse_pence(value: str) -> int:
    cleaned = value.replace(",", "").removeprefix("£").strip()
    pounds = Decimal(cleaned)
    if not pounds.is_finite() or pounds < 0:
        raise ValueError(value)
    pence = pounds * 100
    if pence != pence.to_integral_value():
        raise ValueError(value)  # fractions of a penny: say so rather than round
    return int(pence)


def _parse_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(value)


def _parse_hhmm(value: str) -> int:
    match = _HHMM.match(value)
    if not match:
        raise ValueError(value)
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(value)
    return hours * 3600 + minutes * 60 + seconds


def _parse_date(value: str) -> date:
    match = _DMY.match(value)
    if match:  # UK spreadsheets: DD/MM/YYYY
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return date.fromisoformat(value)


def _normalise_postcode(value: str) -> str:
    """'rm3 8hn ' -> 'RM3 8HN' (outward and inward code, one space)."""
    compact = re.sub(r"\s+", "", value).upper()
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def _year_group_from_dob(dob: date, academic_year_start_year: int) -> int:
    """England: the year group follows age on 31 August before the school year starts."""
    age = academic_year_start_year - dob.year - (1 if (dob.month, dob.day) > (8, 31) else 0)
    return age - 4


def _default_academic_year() -> int:
    today = date.today()
    return today.year if today.month >= 9 else today.year - 1


def _check_coordinates(row: _Row, lon: float, lat: float) -> bool:
    """World range, then Great Britain (catches swapped lon/lat); issues on failure."""
    ok = True
    if not -180 <= lon <= 180:
        row.problem("lon", f"lon must be within -180..180, got {lon}.")
        ok = False
    if not -90 <= lat <= 90:
        row.problem("lat", f"lat must be within -90..90, got {lat}.")
        ok = False
    if ok and not (
        GB_LON_RANGE[0] <= lon <= GB_LON_RANGE[1] and GB_LAT_RANGE[0] <= lat <= GB_LAT_RANGE[1]
    ):
        field_name = "lat" if not GB_LAT_RANGE[0] <= lat <= GB_LAT_RANGE[1] else "lon"
        row.problem(
            field_name,
            f"Point lon {lon}, lat {lat} is outside Great Britain "
            f"(lon {GB_LON_RANGE[0]}..{GB_LON_RANGE[1]}, lat {GB_LAT_RANGE[0]}.."
            f"{GB_LAT_RANGE[1]}); are lon and lat swapped?",
        )
        ok = False
    return ok


def _locate(row: _Row, postcodes: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """lon/lat from the row, else the postcode centroid; an issue when neither works."""
    has_lon, has_lat = bool(row.raw("lon")), bool(row.raw("lat"))
    if has_lon or has_lat:
        if has_lon != has_lat:
            missing = "lat" if has_lon else "lon"
            row.problem(missing, "lon and lat must both be given or both be blank.")
            return None
        lon = row.number("lon")
        lat = row.number("lat")
        if lon is None or lat is None:
            return None
        return (lon, lat) if _check_coordinates(row, lon, lat) else None
    postcode = row.raw("postcode")
    if not postcode:
        row.problem("postcode", "No lon/lat and no postcode: the location is unknown.")
        return None
    found = postcodes.get(_normalise_postcode(postcode))
    if found is None:
        where = POSTCODES_FILE if postcodes else f"{POSTCODES_FILE} (not supplied)"
        row.problem(
            "postcode",
            f"Postcode {postcode!r} is not in {where} and the row has no lon/lat: "
            "the location is unknown.",
        )
        return None
    return found


def _duplicate(row: _Row, column: str, seen: dict[str, int]) -> bool:
    """Record ``row``'s id in ``seen``; an issue if it was there already."""
    value = row.raw(column)
    if value in seen:
        row.problem(column, f"Duplicate {column} {value!r} (first on row {seen[value]}).")
        return True
    seen[value] = row.row
    return False


def _parse_postcodes(text: str | None, issues: _Issues) -> dict[str, tuple[float, float]]:
    rows = _read_csv(text, POSTCODES_FILE, POSTCODE_COLUMNS, issues)
    found: dict[str, tuple[float, float]] = {}
    seen: dict[str, int] = {}
    for row in rows or ():
        postcode = _normalise_postcode(row.text("postcode", required=True))
        if not postcode:
            continue
        if postcode in seen:
            row.problem(
                "postcode", f"Duplicate postcode {postcode!r} (first on row {seen[postcode]})."
            )
            continue
        seen[postcode] = row.row
        lon = row.number("lon", required=True)
        lat = row.number("lat", required=True)
        if lon is not None and lat is not None and _check_coordinates(row, lon, lat):
            found[postcode] = (lon, lat)
    return found


def _parse_schools(
    text: str | None, postcodes: Mapping[str, tuple[float, float]], issues: _Issues
) -> tuple[list[School], set[str] | None]:
    """Schools, and every school_id seen (None when the file is missing or unusable)."""
    rows = _read_csv(text, SCHOOLS_FILE, SCHOOL_COLUMNS, issues, one_of=(("lon", "postcode"),))
    if rows is None:
        return [], None
    schools: list[School] = []
    seen: dict[str, int] = {}
    defaults = School("x", "x", 0.0, 51.0, SchoolKind.SPECIAL, 1, 2)
    for row in rows:
        school_id = row.text("school_id", required=True)
        duplicate = bool(school_id) and _duplicate(row, "school_id", seen)
        name = row.text("name", required=True)
        kind = row.enum("kind", SchoolKind)
        location = _locate(row, postcodes)
        am_start_s = row.hhmm("am_start_hhmm")
        pm_end_s = row.hhmm("pm_end_hhmm")
        if am_start_s is not None and pm_end_s is not None and pm_end_s <= am_start_s:
            row.problem(
                "pm_end_hhmm",
                f"pm_end_hhmm {row.raw('pm_end_hhmm')} must be after am_start_hhmm "
                f"{row.raw('am_start_hhmm')}.",
            )
            pm_end_s = None
        open_s = row.seconds_from_minutes(
            "arrive_window_open_min", default=defaults.arrive_window_open_s, positive=False
        )
        close_s = row.seconds_from_minutes(
            "arrive_window_close_min", default=defaults.arrive_window_close_s, positive=False
        )
        if open_s is not None and close_s is not None and close_s > open_s:
            row.problem(
                "arrive_window_close_min",
                f"arrive_window_close_min {close_s / 60:g} must not exceed "
                f"arrive_window_open_min {open_s / 60:g} (both are minutes before the bell).",
                value=row.raw("arrive_window_close_min") or f"{close_s / 60:g}",
            )
            close_s = None
        wait_s = row.seconds_from_minutes(
            "pm_max_wait_min", default=defaults.pm_max_wait_s, positive=False
        )
        handover_s = row.integer("handover_s", default=defaults.handover_s, min_value=0)
        values = (kind, location, am_start_s, pm_end_s, open_s, close_s, wait_s, handover_s)
        if duplicate or not school_id or not name or any(v is None for v in values):
            continue
        assert kind is not None and location is not None  # for mypy; checked just above
        assert am_start_s is not None and pm_end_s is not None
        assert open_s is not None and close_s is not None and wait_s is not None
        assert handover_s is not None
        school = _construct(
            row,
            "school_id",
            School,
            school_id=school_id,
            name=name,
            lon=location[0],
            lat=location[1],
            kind=kind,
            am_start_s=am_start_s,
            pm_end_s=pm_end_s,
            arrive_window_open_s=open_s,
            arrive_window_close_s=close_s,
            pm_max_wait_s=wait_s,
            handover_s=handover_s,
            postcode=_normalise_postcode(row.raw("postcode")) if row.raw("postcode") else "",
            local_authority=row.raw("local_authority"),
        )
        if school is not None:
            schools.append(school)
    return schools, set(seen)


def _parse_vehicle_types(
    text: str | None, issues: _Issues
) -> tuple[list[VehicleType], set[str] | None]:
    """Vehicle types, and every name seen (None when the file is missing or unusable)."""
    rows = _read_csv(text, VEHICLE_TYPES_FILE, VEHICLE_TYPE_COLUMNS, issues)
    if rows is None:
        return [], None
    vehicle_types: list[VehicleType] = []
    seen: dict[str, int] = {}
    for row in rows:
        name = row.text("name", required=True)
        duplicate = bool(name) and _duplicate(row, "name", seen)
        category = row.enum("category", VehicleCategory)
        seats = row.integer("capacity_seats", required=True, min_value=1)
        places = row.integer("max_wheelchair_places", default=0, min_value=0)
        per_place = row.integer("seats_per_wheelchair_place", default=0, min_value=0)
        available = row.integer("num_available", min_value=0)
        day_rate = row.pence("day_rate_gbp", required=True)
        per_mile = row.pence("cost_per_mile_gbp", required=True)
        shift_s = row.seconds_from_minutes("max_shift_min", default=4 * 3600, positive=True)
        if (
            seats is not None
            and places is not None
            and per_place is not None
            and seats - places * per_place < 0
        ):
            row.problem(
                "max_wheelchair_places",
                f"{places} wheelchair places x {per_place} seats each need more than the "
                f"{seats} capacity_seats.",
            )
            places = None
        required_values = (category, seats, places, per_place, day_rate, per_mile, shift_s)
        if (
            duplicate
            or not name
            or any(v is None for v in required_values)
            or (row.raw("num_available") and available is None)
        ):
            continue
        assert category is not None and seats is not None and places is not None
        assert per_place is not None and day_rate is not None and per_mile is not None
        assert shift_s is not None
        vehicle = _construct(
            row,
            "name",
            VehicleType,
            name=name,
            category=category,
            capacity_seats=seats,
            max_wheelchair_places=places,
            seats_per_wheelchair_place=per_place,
            num_available=available,
            day_rate_pence=day_rate,
            cost_per_mile_pence=per_mile,
            max_shift_s=shift_s,
        )
        if vehicle is not None:
            vehicle_types.append(vehicle)
    return vehicle_types, set(seen)


def _parse_pupils(
    text: str | None,
    policy: Policy,
    academic_year: int,
    school_ids: set[str] | None,
    postcodes: Mapping[str, tuple[float, float]],
    issues: _Issues,
) -> tuple[list[Pupil], set[str] | None]:
    """Pupils, and every pupil_id seen (None when the file is missing or unusable)."""
    rows = _read_csv(
        text,
        PUPILS_FILE,
        PUPIL_COLUMNS,
        issues,
        one_of=(("postcode", "lon"), ("year_group", "date_of_birth")),
    )
    if rows is None:
        return [], None
    pupils: list[Pupil] = []
    seen: dict[str, int] = {}
    for row in rows:
        issues_before = len(issues.items)
        pupil_id = row.text("pupil_id", required=True)
        if pupil_id:
            _duplicate(row, "pupil_id", seen)
        school_id = row.text("school_id", required=True)
        if school_id and school_ids is not None and school_id not in school_ids:
            row.problem("school_id", f"Unknown school_id {school_id!r} (not in schools.csv).")
            school_id = ""
        location = _locate(row, postcodes)
        dob = row.parse("date_of_birth", _parse_date, "a date YYYY-MM-DD (or DD/MM/YYYY)")
        year_group = row.integer(
            "year_group", min_value=YEAR_GROUP_RANGE[0], max_value=YEAR_GROUP_RANGE[1]
        )
        if year_group is None and not row.raw("year_group"):
            if dob is not None:
                year_group = _year_group_from_dob(dob, academic_year)
                if not YEAR_GROUP_RANGE[0] <= year_group <= YEAR_GROUP_RANGE[1]:
                    row.problem(
                        "date_of_birth",
                        f"date_of_birth {dob.isoformat()} gives year group {year_group} in "
                        f"{academic_year}/{academic_year + 1}, outside "
                        f"{YEAR_GROUP_RANGE[0]}..{YEAR_GROUP_RANGE[1]} (ages 3-24).",
                    )
                    year_group = None
            elif not row.raw("date_of_birth"):
                row.problem("year_group", "Neither year_group nor date_of_birth is given.")
        wheelchair = row.boolean("wheelchair", default=False)
        requirement = row.enum(
            "vehicle_requirement", VehicleRequirement, default=VehicleRequirement.NONE
        )
        default_boarding = (
            policy.default_wheelchair_boarding_s if wheelchair else policy.default_boarding_s
        )
        boarding_s = row.integer("boarding_s", default=default_boarding, min_value=0)
        max_ride_s = row.seconds_from_minutes("max_ride_min", positive=True)
        bad_max_ride = bool(row.raw("max_ride_min")) and max_ride_s is None
        flags = {
            name: row.boolean(name, default=default)
            for name, default in (
                ("needs_assistant", False),
                ("travel_alone", False),
                ("attends_am", True),
                ("attends_pm", True),
                ("cannot_walk_assessed", True),
                ("is_low_income", False),
                ("has_unsafe_route", False),
                ("can_use_public_transport", False),
                ("travel_training_suitable", False),
            )
        }
        if (
            len(issues.items) > issues_before
            or not school_id
            or location is None
            or year_group is None
            or requirement is None
            or boarding_s is None
            or bad_max_ride
        ):
            continue
        needs = Needs(
            wheelchair=wheelchair,
            needs_assistant=flags["needs_assistant"],
            travel_alone=flags["travel_alone"],
            vehicle_requirement=requirement,
            boarding_s=boarding_s,
            max_ride_s=max_ride_s,
        )
        postcode = row.raw("postcode")
        pupil = _construct(
            row,
            "pupil_id",
            Pupil,
            pupil_id=pupil_id,
            school_id=school_id,
            lon=location[0],
            lat=location[1],
            year_group=year_group,
            first_name=row.raw("first_name"),
            last_name=row.raw("last_name"),
            postcode=_normalise_postcode(postcode) if postcode else "",
            date_of_birth=dob,
            needs=needs,
            sibling_group=row.raw("sibling_group"),
            attends_am=flags["attends_am"],
            attends_pm=flags["attends_pm"],
            cannot_walk_assessed=flags["cannot_walk_assessed"],
            is_low_income=flags["is_low_income"],
            has_unsafe_route=flags["has_unsafe_route"],
            can_use_public_transport=flags["can_use_public_transport"],
            travel_training_suitable=flags["travel_training_suitable"],
        )
        if pupil is not None:
            pupils.append(pupil)
    return pupils, set(seen)


def _parse_incompatible(
    text: str | None, pupil_ids: set[str] | None, issues: _Issues
) -> list[IncompatiblePair]:
    rows = _read_csv(text, INCOMPATIBLE_FILE, INCOMPATIBLE_COLUMNS, issues)
    pairs: list[IncompatiblePair] = []
    seen: dict[frozenset[str], int] = {}
    for row in rows or ():
        a = row.text("pupil_a", required=True)
        b = row.text("pupil_b", required=True)
        ok = bool(a and b)
        for column, pid in (("pupil_a", a), ("pupil_b", b)):
            if pid and pupil_ids is not None and pid not in pupil_ids:
                row.problem(column, f"Unknown pupil {pid!r} (not in pupils.csv).")
                ok = False
        if a and a == b:
            row.problem("pupil_b", f"Pupil {a!r} cannot be incompatible with itself.")
            ok = False
        key = frozenset((a, b))
        if ok and key in seen:
            row.problem("pupil_b", f"Pair {a!r}, {b!r} is already on row {seen[key]}.", value=b)
            ok = False
        if ok:
            seen[key] = row.row
            pairs.append(IncompatiblePair(a, b))
    return pairs


def _parse_current_routes(
    text: str | None,
    pupil_ids: set[str] | None,
    vehicle_types: Mapping[str, VehicleType],
    vehicle_names: set[str] | None,
    pupils: Mapping[str, Pupil],
    issues: _Issues,
) -> list[CurrentRoute]:
    rows = _read_csv(text, CURRENT_ROUTES_FILE, CURRENT_ROUTE_COLUMNS, issues)
    routes: list[CurrentRoute] = []
    seen: dict[str, int] = {}
    riding: dict[str, tuple[str, int]] = {}
    for row in rows or ():
        route_id = row.text("route_id", required=True)
        duplicate = bool(route_id) and _duplicate(row, "route_id", seen)
        vehicle_name = row.text("vehicle_type", required=True)
        ok = bool(vehicle_name) and bool(route_id) and not duplicate
        if vehicle_name and vehicle_names is not None and vehicle_name not in vehicle_names:
            row.problem(
                "vehicle_type", f"Unknown vehicle_type {vehicle_name!r} (not in vehicle_types.csv)."
            )
            ok = False
        has_assistant = row.parse("has_assistant", _parse_bool, "true/false (or yes/no, 1/0)")
        if has_assistant is None:
            if not row.raw("has_assistant"):
                row.problem("has_assistant", "has_assistant must not be blank.")
            ok = False
        price = row.pence("day_price_gbp")
        if row.raw("day_price_gbp") and price is None:
            ok = False
        ids = [p.strip() for p in row.raw("pupil_ids").split(SEPARATOR_PUPIL_IDS) if p.strip()]
        if not ids:
            row.problem("pupil_ids", "A route must carry at least one pupil.")
            ok = False
        for pid in ids:
            if pupil_ids is not None and pid not in pupil_ids:
                row.problem("pupil_ids", f"Unknown pupil {pid!r} (not in pupils.csv).")
                ok = False
            elif pid in riding:
                other, other_row = riding[pid]
                row.problem(
                    "pupil_ids",
                    f"Pupil {pid!r} is already on route {other!r} (row {other_row}).",
                )
                ok = False
            else:
                riding[pid] = (route_id, row.row)
        vehicle = vehicle_types.get(vehicle_name)
        if ok and vehicle is not None and all(pid in pupils for pid in ids):
            ok = _check_route_fits(row, vehicle, bool(has_assistant), [pupils[p] for p in ids])
        if ok:
            assert has_assistant is not None
            routes.append(
                CurrentRoute(
                    route_id=route_id,
                    vehicle_type=vehicle_name,
                    has_assistant=has_assistant,
                    pupil_ids=tuple(ids),
                    day_price_pence=price,
                )
            )
    return routes


def _check_route_fits(
    row: _Row, vehicle: VehicleType, has_assistant: bool, pupils: Sequence[Pupil]
) -> bool:
    """Seats and wheelchair places of a current route: an impossible load is a data error."""
    chairs = sum(1 for p in pupils if p.needs.wheelchair)
    seated = len(pupils) - chairs + (1 if has_assistant else 0)
    if chairs > vehicle.max_wheelchair_places:
        row.problem(
            "pupil_ids",
            f"{chairs} wheelchair users but vehicle_type {vehicle.name!r} has "
            f"{vehicle.max_wheelchair_places} wheelchair places.",
        )
        return False
    seats = vehicle.capacity_seats - chairs * vehicle.seats_per_wheelchair_place
    if seated > seats:
        who = " (incl. the assistant)" if has_assistant else ""
        row.problem(
            "pupil_ids",
            f"{seated} seated passengers{who} but vehicle_type {vehicle.name!r} has {seats} "
            f"seats with {chairs} wheelchair places in use.",
        )
        return False
    return True


def _construct(row: _Row, id_column: str, build: Callable[..., _T], **kwargs: Any) -> _T | None:
    """Run a model constructor; its own checks become an issue on the row."""
    try:
        return build(**kwargs)
    except InvalidScenarioError as err:
        row.problem(id_column, str(err))
        return None


# --------------------------------------------------------------------------- policy


def _toml_line(text: str, key: str) -> int:
    """Line of ``key = ...`` in the TOML text (0 when not found)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


def _parse_policy(
    text: str | None, issues: _Issues, base_dir: Path | None
) -> tuple[Policy, int, NetworkSource]:
    """policy.toml -> Policy, academic year for dates of birth, and the network source."""
    academic_year = _default_academic_year()
    if text is None:
        return Policy(), academic_year, NetworkSource()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = _TOML_LINE.search(str(err))
        issues.add(
            POLICY_FILE, int(match.group(1)) if match else 0, "", "", f"Invalid TOML: {err}."
        )
        return Policy(), academic_year, NetworkSource()

    def problem(key: str, value: Any, message: str) -> None:
        issues.add(POLICY_FILE, _toml_line(text, key), key, str(value), message)

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
        converted = _convert_policy_value(kind, value)
        if converted is None:
            problem(key, value, f"{key} must be {_POLICY_KIND_WORDS[kind]}, got {value!r}.")
            continue
        kwargs[field_name] = converted
    _check_policy_ranges(kwargs, problem)
    try:
        policy = Policy(**kwargs)
    except InvalidScenarioError as err:
        issues.add(POLICY_FILE, 0, "", "", str(err))
        policy = Policy()
    network = _parse_network(data.get("network"), text, issues, base_dir)
    return policy, academic_year, network


_POLICY_KIND_WORDS = {
    "money": "an amount in pounds (a number with at most 2 decimals)",
    "minutes": "a positive number of minutes",
    "minutes_or_zero": "a number of minutes (0 switches it off)",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "route_start": f"one of {', '.join(r.value for r in RouteStart)}",
}


def _convert_policy_value(kind: str, value: Any) -> Any:
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
            return _parse_pence(str(value))
        except (ValueError, InvalidOperation):
            return None
    msg = f"Unknown policy value kind '{kind}'."
    raise AssertionError(msg)


def _check_policy_ranges(kwargs: dict[str, Any], problem: Callable[[str, Any, str], None]) -> None:
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


def _parse_network(table: Any, text: str, issues: _Issues, base_dir: Path | None) -> NetworkSource:
    if table is None:
        return NetworkSource()
    if not isinstance(table, dict):
        issues.add(
            POLICY_FILE,
            _toml_line(text, "network"),
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
                _toml_line(text, key),
                f"network.{key}",
                str(value),
                f"Unknown [network] key '{key}'; the keys are {', '.join(NETWORK_KEYS)}.",
            )
            continue
        if not isinstance(value, str):
            issues.add(
                POLICY_FILE,
                _toml_line(text, key),
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
        line = _toml_line(text, key)
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


# --------------------------------------------------------------------------- writing


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _fmt_float(value: float) -> str:
    return repr(float(value))


def _fmt_num(value: float) -> str:
    return f"{value:g}"


def _fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def _fmt_gbp(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _fmt_minutes(seconds: int) -> str:
    if seconds % SECONDS_PER_MINUTE == 0:
        return str(seconds // SECONDS_PER_MINUTE)
    return repr(seconds / SECONDS_PER_MINUTE)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _policy_toml(policy: Policy, network: NetworkSource) -> str:
    def gbp(pence: int) -> str:
        return _fmt_gbp(pence)

    def minutes(seconds: int) -> str:
        return _fmt_minutes(seconds) if seconds % 60 == 0 else repr(seconds / 60)

    lines = [
        "# SchoolRun policy: the council's rules and prices (units in every key).",
        "# Format: data/README.md.",
        f"assistant_day_cost_gbp = {gbp(policy.assistant_day_cost_pence)}",
        f"max_ride_primary_min = {minutes(policy.max_ride_primary_s)}",
        f"max_ride_secondary_min = {minutes(policy.max_ride_secondary_s)}",
        f"school_days_per_year = {policy.school_days_per_year}",
        f"peak_travel_factor = {policy.peak_travel_factor!r}",
        f"route_start = {_toml_str(policy.route_start.value)}",
    ]
    if policy.depot_lon is not None:
        lines.append(f"depot_lon = {float(policy.depot_lon)!r}")
    if policy.depot_lat is not None:
        lines.append(f"depot_lat = {float(policy.depot_lat)!r}")
    lines += [
        f"allow_mixed_school_routes = {_fmt_bool(policy.allow_mixed_school_routes)}",
        f"default_boarding_s = {policy.default_boarding_s}",
        f"default_wheelchair_boarding_s = {policy.default_wheelchair_boarding_s}",
        f"personal_budget_gbp_per_mile = {gbp(policy.personal_budget_pence_per_mile)}",
        f"approx_circuity_factor = {float(policy.approx_circuity_factor)!r}",
        f"ride_minute_value_gbp = {gbp(policy.ride_minute_value_pence)}",
        f"comfort_ride_factor = {float(policy.comfort_ride_factor)!r}",
        f"comfort_ride_extra_min = {minutes(policy.comfort_ride_extra_s)}",
        f"public_transport_pass_gbp_per_year = {gbp(policy.public_transport_pass_pence_per_year)}",
        f"travel_training_cost_gbp = {gbp(policy.travel_training_cost_pence)}",
        f"travel_training_success_rate = {float(policy.travel_training_success_rate)!r}",
    ]
    if network.drive_graph or network.walk_graph or network.description:
        lines += [
            "",
            "[network]",
            f"drive_graph = {_toml_str(network.drive_graph)}",
            f"walk_graph = {_toml_str(network.walk_graph)}",
            f"description = {_toml_str(network.description)}",
        ]
    return "\n".join(lines) + "\n"


__all__ = [
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "SCENARIO_FILES",
    "load_scenario",
    "load_scenario_from_tables",
    "write_scenario",
]
