"""Reading a scenario's files: decoding, CSV rows as cells, and parsers that record issues."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import PureWindowsPath
from typing import TypeVar

import pandas as pd

from routing.dataset.columns import (
    CELL_RANGES,
    FALSE_WORDS,
    GB_LAT_RANGE,
    GB_LON_RANGE,
    POSTCODES_FILE,
    SCENARIO_FILES,
    TRUE_WORDS,
    format_range,
)
from routing.errors import InvalidScenarioError, RowIssue
from routing.model import (
    SECONDS_PER_MINUTE,
)

HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
PARSER_LINE = re.compile(r"line (\d+)")
TOML_LINE = re.compile(r"line (\d+)")

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")

# --------------------------------------------------------------------------- issues


@dataclass
class Issues:
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


def decode_tables(tables: Mapping[str, bytes | str], issues: Issues) -> dict[str, str]:
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
class Row:
    """One data row of a CSV file, with parsers that record issues instead of raising."""

    file: str
    row: int
    values: dict[str, str]
    issues: Issues

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
        parser = parse_int if kind == "int" else parse_float
        what = "a whole number" if kind == "int" else "a number"
        value = (
            self.required(column, parser, what)
            if required
            else self.parse(column, parser, what, None)
        )
        if value is None:
            return default if not self.raw(column) else None
        if not self.in_range(column, value):
            return None
        if min_value is not None and value < min_value:
            self.problem(column, f"{column} must be >= {fmt_num(min_value)}, got {value}.")
            return None
        if max_value is not None and value > max_value:
            self.problem(column, f"{column} must be <= {fmt_num(max_value)}, got {value}.")
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

    def in_range(self, column: str, value: float) -> bool:
        """Whether ``value`` (in the file's units) is within CELL_RANGES; an issue if not."""
        if column not in CELL_RANGES:
            return True
        low, high = CELL_RANGES[column]
        if low <= value <= high:
            return True
        got = self.raw(column)
        self.problem(column, f"{column} must be within {format_range(low, high)}, got {got}.")
        return False

    def pence(self, column: str, *, required: bool = False) -> int | None:
        pence = (
            self.required(column, parse_pence, "an amount in pounds, e.g. 95.50")
            if (required)
            else self.parse(column, parse_pence, "an amount in pounds, e.g. 95.50")
        )
        if pence is None or not self.in_range(column, pence / 100):
            return None
        return pence

    def boolean(self, column: str, *, default: bool) -> bool:
        value = self.parse(column, parse_bool, "true/false (or yes/no, 1/0)", default)
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
        return self.required(column, parse_hhmm, "a time of day HH:MM")


def read_csv(
    text: str | None,
    file_name: str,
    columns: Mapping[str, bool],
    issues: Issues,
    *,
    one_of: Sequence[tuple[str, ...]] = (),
) -> list[Row] | None:
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
        match = PARSER_LINE.search(str(err))
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
    rows: list[Row] = []
    for offset, record in enumerate(frame.iloc[1:].itertuples(index=False, name=None)):
        values = {
            name: str(cell).strip() for name, cell in zip(header, record, strict=True) if name
        }
        if not any(values.values()):
            continue  # a blank line is not data
        rows.append(Row(file_name, offset + 2, values, issues))
    return rows


def parse_int(value: str) -> int:
    number = Decimal(value.replace(",", ""))
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def parse_float(value: str) -> float:
    number = float(value.replace(",", ""))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def parse_pence(value: str) -> int:
    cleaned = value.replace(",", "").removeprefix("£").strip()
    if "e" in cleaned.lower():
        raise ValueError(value)  # no exponents, infinities or nan in money
    pounds = Decimal(cleaned)
    if not pounds.is_finite() or pounds < 0:
        raise ValueError(value)
    pence = pounds * 100
    if pence != pence.to_integral_value():
        raise ValueError(value)  # fractions of a penny: say so rather than round
    return int(pence)


def parse_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(value)


def parse_hhmm(value: str) -> int:
    match = HHMM.match(value)
    if not match:
        raise ValueError(value)
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(value)
    return hours * 3600 + minutes * 60 + seconds


def parse_date(value: str) -> date:
    match = DMY.match(value)
    if match:  # UK spreadsheets: DD/MM/YYYY
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return date.fromisoformat(value)


def normalise_postcode(value: str) -> str:
    """'rm3 8hn ' -> 'RM3 8HN' (outward and inward code, one space)."""
    compact = re.sub(r"\s+", "", value).upper()
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def year_group_from_dob(dob: date, academic_year_start_year: int) -> int:
    """England: the year group follows age on 31 August before the school year starts."""
    age = academic_year_start_year - dob.year - (1 if (dob.month, dob.day) > (8, 31) else 0)
    return age - 4


def default_academic_year() -> int:
    today = date.today()
    return today.year if today.month >= 9 else today.year - 1


def check_coordinates(row: Row, lon: float, lat: float) -> bool:
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


def locate(row: Row, postcodes: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
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
        return (lon, lat) if check_coordinates(row, lon, lat) else None
    postcode = row.raw("postcode")
    if not postcode:
        row.problem("postcode", "No lon/lat and no postcode: the location is unknown.")
        return None
    found = postcodes.get(normalise_postcode(postcode))
    if found is None:
        where = POSTCODES_FILE if postcodes else f"{POSTCODES_FILE} (not supplied)"
        row.problem(
            "postcode",
            f"Postcode {postcode!r} is not in {where} and the row has no lon/lat: "
            "the location is unknown.",
        )
        return None
    return found


def is_duplicate(row: Row, column: str, seen: dict[str, int]) -> bool:
    """Record ``row``'s id in ``seen``; an issue if it was there already."""
    value = row.raw(column)
    if value in seen:
        row.problem(column, f"Duplicate {column} {value!r} (first on row {seen[value]}).")
        return True
    seen[value] = row.row
    return False


def fmt_num(value: float) -> str:
    return f"{value:g}"
