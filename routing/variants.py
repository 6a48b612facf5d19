"""Finance what-ifs: plan the baseline and each variant, and set them side by side.

A variant is written ``NAME=OVERRIDE[,OVERRIDE...]`` (one ``--variant`` per variant on the
command line; the API takes the same strings). ``NAME`` is letters, digits, ``_`` or
``-`` (``baseline`` and ``current`` are taken). Each ``OVERRIDE`` is one of:

==================================  ========================================================
``ride_limit_primary_min=N``        default ride limit for primary pupils, minutes (> 0)
``ride_limit_secondary_min=N``      default ride limit for secondary and post-16, minutes
``mixed_schools=true|false``        allow routes carrying pupils of several schools
``price_factor=F``                  multiply every vehicle's day rate and per-mile cost (> 0)
``assistant_day_gbp=X``             passenger assistant's day cost, pounds
``budget_pence_per_mile=N``         personal transport budget mileage rate, pence a mile
``ride_minute_value_gbp=X``         the value of one pupil's on-board minute, pounds (>= 0,
                                    whole pence), added to the objective
``school:ID:am_shift_min=N``        move school ID's morning bell N minutes (negative =
                                    earlier); ``pm_shift_min`` moves the end of the day,
                                    ``shift_min`` both; ``school:*:...`` every school
``vehicle:NAME:day_rate_gbp=X``     one vehicle type's day rate; also ``cost_per_mile_gbp``
                                    and ``num_available`` (a count, or ``unlimited``)
``vehicle_prices:PATH``             a price list CSV: ``name`` plus any of ``day_rate_gbp``,
                                    ``cost_per_mile_gbp``, ``num_available`` (a scenario's
                                    ``vehicle_types.csv`` works); types it does not list keep
                                    their prices; a relative PATH is read from ``base_dir``
``budget:ID[;ID...]``               offer these pupils a personal transport budget: they
                                    leave the routes and cost the mileage rate x home-school
                                    road miles x 2 legs per run attended (4 a day) x school
                                    days
==================================  ========================================================

Examples: ``ride60=ride_limit_primary_min=60,ride_limit_secondary_min=90``,
``bell=school:102362:am_shift_min=15``, ``nomix=mixed_schools=false``,
``ptb=budget:P0001;P0002``, ``prices=vehicle_prices:prices_2026.csv``,
``dearer=price_factor=1.1``. A value may not contain ``,``; a school id or vehicle name
may not contain ``:``, ``,`` or ``=``. A pupil's own ride limit (``max_ride_min`` in
pupils.csv) is kept by the ride-limit overrides: they change the policy defaults only.

Every error names the variant and the bad token. :func:`compare_variants` plans each
variant with the pipeline's planner (injected), prices it with :mod:`routing.costing`
and returns a :class:`VariantTable`; :func:`write_variant_csv` and
:func:`write_variant_chart` write it out.
"""

from __future__ import annotations

import csv
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from routing.costing import plan_cost
from routing.errors import InvalidScenarioError, RoutingError
from routing.matrix import TravelMatrix, great_circle_m, pupil_location_id, school_location_id
from routing.model import (
    METRES_PER_MILE,
    SECONDS_PER_MINUTE,
    CurrentRoute,
    Plan,
    Policy,
    Pupil,
    Scenario,
    School,
    VehicleType,
)
from routing.reports import write_csv
from routing.rides import RIDE_THRESHOLDS_MIN, ride_times_s

logger = logging.getLogger(__name__)

RESERVED_NAMES = ("baseline", "current")
BASELINE_NAME = "baseline"
CURRENT_NAME = "current"

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


class OverrideKind(StrEnum):
    """What part of a scenario an override changes."""

    POLICY = "policy"
    SCHOOL = "school"
    VEHICLE = "vehicle"
    PRICE_LIST = "vehicle_prices"
    BUDGET = "budget"


POLICY_KEYS = (
    "ride_limit_primary_min",
    "ride_limit_secondary_min",
    "mixed_schools",
    "price_factor",
    "assistant_day_gbp",
    "budget_pence_per_mile",
    "ride_minute_value_gbp",
)
SCHOOL_KEYS = ("am_shift_min", "pm_shift_min", "shift_min")
VEHICLE_KEYS = ("day_rate_gbp", "cost_per_mile_gbp", "num_available")


@dataclass(frozen=True, slots=True)
class Override:
    """One parsed override: ``kind``, its ``target`` (school id, vehicle name, path or
    pupil ids joined by ``;``), the ``key`` and its parsed ``value``; ``token`` is the text
    it came from, for error messages."""

    kind: OverrideKind
    target: str
    key: str
    value: float | int | bool | str | None
    token: str


@dataclass(frozen=True, slots=True)
class Variant:
    """A named set of overrides, parsed from ``NAME=OVERRIDES``."""

    name: str
    overrides: tuple[Override, ...]
    text: str

    @property
    def budget_pupil_ids(self) -> tuple[str, ...]:
        """Pupils offered a personal transport budget, in the order written."""
        ids: list[str] = []
        for o in self.overrides:
            if o.kind is OverrideKind.BUDGET:
                ids += [pid for pid in o.target.split(";") if pid not in ids]
        return tuple(ids)


def _fail(variant: str, token: str, problem: str, hint: str = "") -> InvalidScenarioError:
    more = f" ({hint})" if hint else ""
    return InvalidScenarioError(f"Variant '{variant}': {problem} in '{token}'{more}.")


def _number(variant: str, token: str, key: str, text: str, *, integer: bool) -> float | int:
    try:
        value: float | int = int(text) if integer else float(text)
    except ValueError as err:
        kind = "a whole number" if integer else "a number"
        raise _fail(variant, token, f"{key} must be {kind}, got '{text}'") from err
    if not math.isfinite(value):
        raise _fail(variant, token, f"{key} must be a finite number, got '{text}'")
    return value


def _bool(variant: str, token: str, key: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise _fail(variant, token, f"{key} must be true or false, got '{text}'")


def _parse_policy(variant: str, token: str, key: str, text: str) -> Override:
    value: float | int | bool
    if key in ("ride_limit_primary_min", "ride_limit_secondary_min"):
        value = _number(variant, token, key, text, integer=True)
        if value <= 0:
            raise _fail(variant, token, f"{key} must be > 0, got '{text}'")
    elif key == "mixed_schools":
        value = _bool(variant, token, key, text)
    elif key == "price_factor":
        value = _number(variant, token, key, text, integer=False)
        if value <= 0:
            raise _fail(variant, token, f"{key} must be > 0, got '{text}'")
    elif key == "assistant_day_gbp":
        value = _number(variant, token, key, text, integer=False)
        if value < 0:
            raise _fail(variant, token, f"{key} must be >= 0, got '{text}'")
    elif key == "budget_pence_per_mile":
        value = _number(variant, token, key, text, integer=True)
        if value < 0:
            raise _fail(variant, token, f"{key} must be >= 0, got '{text}'")
    elif key == "ride_minute_value_gbp":
        value = float(_number(variant, token, key, text, integer=False))
        if value < 0 or round(value * 100, 6) != round(value * 100):
            raise _fail(variant, token, f"{key} must be >= 0 in whole pence, got '{text}'")
    else:
        known = ", ".join(POLICY_KEYS)
        raise _fail(variant, token, f"unknown setting '{key}'", f"known: {known}")
    return Override(OverrideKind.POLICY, "", key, value, token)


def _parse_scoped(variant: str, token: str) -> Override:
    scope, _, rest = token.partition(":")
    target, sep, assignment = rest.partition(":")
    key, eq, text = assignment.partition("=")
    if not (target and sep and eq and key and text):
        raise _fail(variant, token, f"expected '{scope}:ID:SETTING=VALUE'")
    if scope == "school":
        if key not in SCHOOL_KEYS:
            known = ", ".join(SCHOOL_KEYS)
            raise _fail(variant, token, f"unknown school setting '{key}'", f"known: {known}")
        minutes = _number(variant, token, key, text, integer=True)
        return Override(OverrideKind.SCHOOL, target, key, minutes, token)
    if key not in VEHICLE_KEYS:
        known = ", ".join(VEHICLE_KEYS)
        raise _fail(variant, token, f"unknown vehicle setting '{key}'", f"known: {known}")
    if key == "num_available":
        if text.lower() == "unlimited":
            return Override(OverrideKind.VEHICLE, target, key, None, token)
        count = _number(variant, token, key, text, integer=True)
        if count < 0:
            raise _fail(variant, token, f"{key} must be >= 0 or 'unlimited', got '{text}'")
        return Override(OverrideKind.VEHICLE, target, key, count, token)
    gbp = _number(variant, token, key, text, integer=False)
    if gbp < 0:
        raise _fail(variant, token, f"{key} must be >= 0, got '{text}'")
    return Override(OverrideKind.VEHICLE, target, key, gbp, token)


def _parse_token(variant: str, token: str) -> Override:
    if not token:
        raise _fail(variant, token, "empty override (two commas in a row, or a trailing comma)")
    head = token.split(":", 1)[0] if ":" in token.split("=", 1)[0] else ""
    if head in ("school", "vehicle"):
        return _parse_scoped(variant, token)
    if head == "budget":
        ids = [pid.strip() for pid in token[len("budget:") :].split(";")]
        if not ids or any(not pid for pid in ids):
            raise _fail(variant, token, "expected 'budget:PUPIL_ID[;PUPIL_ID...]'")
        return Override(OverrideKind.BUDGET, ";".join(ids), "budget", None, token)
    if head == "vehicle_prices":
        path = token[len("vehicle_prices:") :].strip()
        if not path:
            raise _fail(variant, token, "expected 'vehicle_prices:PATH'")
        return Override(OverrideKind.PRICE_LIST, path, "vehicle_prices", path, token)
    if head:
        known = "school:, vehicle:, budget:, vehicle_prices:"
        raise _fail(variant, token, f"unknown prefix '{head}:'", f"known: {known}")
    key, eq, text = token.partition("=")
    if not eq or not key or not text:
        raise _fail(variant, token, "expected SETTING=VALUE")
    return _parse_policy(variant, token, key.strip(), text.strip())


def parse_variant(text: str) -> Variant:
    """Parse ``NAME=OVERRIDE[,OVERRIDE...]`` (see the module docstring for the grammar).

    Parameters
    ----------
    text
        The variant as written on the command line.

    Returns
    -------
    Variant
        The name and its overrides, in order.

    Raises
    ------
    InvalidScenarioError
        Naming the variant and the bad token: a missing or reserved name, an unknown
        setting, a value of the wrong kind or range.
    """
    name, eq, rest = text.strip().partition("=")
    name = name.strip()
    if not eq or not rest.strip():
        msg = f"Variant '{text}' must be written NAME=OVERRIDE[,OVERRIDE...]."
        raise InvalidScenarioError(msg)
    if not _NAME.match(name):
        msg = f"Variant name '{name}' in '{text}' must be 1-40 letters, digits, '_' or '-'."
        raise InvalidScenarioError(msg)
    if name.lower() in RESERVED_NAMES:
        msg = f"Variant name '{name}' is reserved for the unchanged plan; choose another."
        raise InvalidScenarioError(msg)
    overrides = tuple(_parse_token(name, token.strip()) for token in rest.split(","))
    return Variant(name=name, overrides=overrides, text=text.strip())


def parse_variants(texts: Sequence[str]) -> list[Variant]:
    """Parse several variants; names must be distinct (see :func:`parse_variant`)."""
    variants = [parse_variant(t) for t in texts]
    seen: set[str] = set()
    for v in variants:
        if v.name in seen:
            msg = f"Variant name '{v.name}' is used twice; give each variant its own name."
            raise InvalidScenarioError(msg)
        seen.add(v.name)
    return variants


# --------------------------------------------------------------------------- applying


def _pence(gbp: float) -> int:
    return round(gbp * 100)


def _shift_school(variant: Variant, o: Override, school: School) -> School:
    assert isinstance(o.value, int)
    delta_s = o.value * SECONDS_PER_MINUTE
    am = school.am_start_s + (delta_s if o.key in ("am_shift_min", "shift_min") else 0)
    pm = school.pm_end_s + (delta_s if o.key in ("pm_shift_min", "shift_min") else 0)
    try:
        return replace(school, am_start_s=am, pm_end_s=pm)
    except InvalidScenarioError as err:
        raise _fail(
            variant.name, o.token, f"school '{school.school_id}' would have an impossible day"
        ) from err


def _apply_policy(variant: Variant, o: Override, scenario: Scenario) -> Scenario:
    policy: Policy = scenario.policy
    value = o.value
    if o.key == "ride_limit_primary_min":
        assert isinstance(value, int)
        return replace(scenario, policy=replace(policy, max_ride_primary_s=value * 60))
    if o.key == "ride_limit_secondary_min":
        assert isinstance(value, int)
        return replace(scenario, policy=replace(policy, max_ride_secondary_s=value * 60))
    if o.key == "mixed_schools":
        return replace(scenario, policy=replace(policy, allow_mixed_school_routes=bool(value)))
    if o.key == "assistant_day_gbp":
        assert isinstance(value, float)
        return replace(scenario, policy=replace(policy, assistant_day_cost_pence=_pence(value)))
    if o.key == "budget_pence_per_mile":
        assert isinstance(value, int)
        return replace(scenario, policy=replace(policy, personal_budget_pence_per_mile=value))
    if o.key == "ride_minute_value_gbp":
        assert isinstance(value, float)
        return replace(scenario, policy=replace(policy, ride_minute_value_pence=_pence(value)))
    assert o.key == "price_factor" and isinstance(value, float)
    factor = value
    types = tuple(
        replace(
            v,
            day_rate_pence=round(v.day_rate_pence * factor),
            cost_per_mile_pence=round(v.cost_per_mile_pence * factor),
        )
        for v in scenario.vehicle_types
    )
    return replace(scenario, vehicle_types=types)


def _apply_vehicle(variant: Variant, o: Override, scenario: Scenario) -> Scenario:
    names = [v.name for v in scenario.vehicle_types]
    if o.target not in names:
        problem = f"unknown vehicle type '{o.target}'"
        raise _fail(variant.name, o.token, problem, f"known: {', '.join(names)}")
    types = []
    for v in scenario.vehicle_types:
        if v.name == o.target:
            if o.key == "num_available":
                v = replace(v, num_available=None if o.value is None else int(o.value))
            elif o.key == "day_rate_gbp":
                v = replace(v, day_rate_pence=_pence(float(o.value or 0)))
            else:
                v = replace(v, cost_per_mile_pence=_pence(float(o.value or 0)))
        types.append(v)
    return replace(scenario, vehicle_types=tuple(types))


def read_price_list(path: Path, vehicle_types: Sequence[VehicleType]) -> dict[str, dict[str, Any]]:
    """Read a vehicle price list CSV into ``{name: {field: value}}`` (pence, counts).

    Parameters
    ----------
    path
        The CSV: ``name`` plus any of ``day_rate_gbp``, ``cost_per_mile_gbp``,
        ``num_available`` (blank = unlimited); other columns are ignored.
    vehicle_types
        The scenario's types: every name in the file must be one of them.

    Returns
    -------
    dict
        Per vehicle type, the fields to replace (``day_rate_pence``,
        ``cost_per_mile_pence``, ``num_available``).

    Raises
    ------
    InvalidScenarioError
        Naming the file, row, field and value of the first bad cell.
    """
    known = {v.name for v in vehicle_types}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        msg = f"Vehicle price list '{path}' cannot be read: {err.strerror}."
        raise InvalidScenarioError(msg) from err
    reader = csv.DictReader(text.splitlines())
    columns = set(reader.fieldnames or ())
    if "name" not in columns:
        msg = f"Vehicle price list '{path.name}' has no 'name' column."
        raise InvalidScenarioError(msg)
    prices: dict[str, dict[str, Any]] = {}
    for row_no, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        if name not in known:
            msg = (
                f"Vehicle price list '{path.name}' row {row_no}, field 'name' = {name!r}: "
                f"not a vehicle type of the scenario ({', '.join(sorted(known))})."
            )
            raise InvalidScenarioError(msg)
        fields: dict[str, Any] = {}
        for column, target in (
            ("day_rate_gbp", "day_rate_pence"),
            ("cost_per_mile_gbp", "cost_per_mile_pence"),
        ):
            raw = (row.get(column) or "").strip()
            if column not in columns or not raw:
                continue
            try:
                gbp = float(raw)
            except ValueError:
                gbp = -1.0
            if not (math.isfinite(gbp) and gbp >= 0):
                msg = (
                    f"Vehicle price list '{path.name}' row {row_no}, field '{column}' = "
                    f"{raw!r}: must be an amount in pounds >= 0."
                )
                raise InvalidScenarioError(msg)
            fields[target] = _pence(gbp)
        if "num_available" in columns:
            raw = (row.get("num_available") or "").strip()
            if not raw:
                fields["num_available"] = None
            elif raw.isdigit():
                fields["num_available"] = int(raw)
            else:
                msg = (
                    f"Vehicle price list '{path.name}' row {row_no}, field 'num_available' "
                    f"= {raw!r}: must be a whole number >= 0 or blank."
                )
                raise InvalidScenarioError(msg)
        prices[name] = fields
    return prices


def _without_pupils(scenario: Scenario, leaving: set[str]) -> Scenario:
    pupils = tuple(p for p in scenario.pupils if p.pupil_id not in leaving)
    pairs = tuple(
        p
        for p in scenario.incompatible_pairs
        if p.pupil_a not in leaving and p.pupil_b not in leaving
    )
    current: list[CurrentRoute] = []
    for route in scenario.current_routes:
        kept = tuple(pid for pid in route.pupil_ids if pid not in leaving)
        if kept:
            current.append(replace(route, pupil_ids=kept))
    return replace(
        scenario,
        pupils=pupils,
        incompatible_pairs=pairs,
        current_routes=tuple(current),
    )


def _price_list_path(variant: Variant, o: Override, base_dir: Path | None) -> Path:
    path = Path(o.target)
    if base_dir is None:
        return path if path.is_absolute() else Path.cwd() / path
    resolved = (base_dir / path).resolve()
    if not resolved.is_relative_to(base_dir.resolve()):
        raise _fail(variant.name, o.token, f"price list '{o.target}' is outside {base_dir}")
    return resolved


def apply_variant(
    scenario: Scenario,
    variant: Variant,
    *,
    base_dir: Path | None = None,
    allow_price_files: bool = True,
) -> Scenario:
    """The scenario as the variant would have it (a new, re-validated Scenario).

    Overrides apply in the order written. Pupils offered a personal transport budget are
    removed (with their incompatible pairs; today's routes keep their other pupils), so
    the planner never routes them; price them with :func:`personal_budgets`.

    Parameters
    ----------
    scenario
        The baseline scenario.
    variant
        The parsed variant.
    base_dir
        Folder against which a relative ``vehicle_prices`` path is read (default: the
        current directory). When given, the price list must lie inside it.
    allow_price_files
        False refuses ``vehicle_prices:PATH`` (a service must not read server files
        named by a caller; it offers ``vehicle:NAME:...`` overrides instead).

    Returns
    -------
    Scenario
        The changed scenario; its name is ``"<name>+<variant>"``.

    Raises
    ------
    InvalidScenarioError
        Naming the variant and token: an unknown school, vehicle type or pupil, a bell
        time that breaks the school day, an unreadable price list.
    """
    result = scenario
    for o in variant.overrides:
        if o.kind is OverrideKind.POLICY:
            result = _apply_policy(variant, o, result)
        elif o.kind is OverrideKind.SCHOOL:
            ids = {s.school_id for s in result.schools}
            if o.target != "*" and o.target not in ids:
                raise _fail(variant.name, o.token, f"unknown school '{o.target}'")
            schools = tuple(
                _shift_school(variant, o, s) if o.target in ("*", s.school_id) else s
                for s in result.schools
            )
            result = replace(result, schools=schools)
        elif o.kind is OverrideKind.VEHICLE:
            result = _apply_vehicle(variant, o, result)
        elif o.kind is OverrideKind.PRICE_LIST:
            if not allow_price_files:
                raise _fail(
                    variant.name,
                    o.token,
                    "price list files are not accepted here",
                    "use vehicle:NAME:day_rate_gbp=... and vehicle:NAME:cost_per_mile_gbp=...",
                )
            path = _price_list_path(variant, o, base_dir)
            try:
                prices = read_price_list(path, result.vehicle_types)
            except InvalidScenarioError as err:
                raise _fail(variant.name, o.token, str(err).rstrip(".")) from err
            result = replace(
                result,
                vehicle_types=tuple(
                    replace(v, **prices[v.name]) if v.name in prices else v
                    for v in result.vehicle_types
                ),
            )
        else:
            known = {p.pupil_id for p in result.pupils}
            unknown = [pid for pid in o.target.split(";") if pid not in known]
            if unknown:
                raise _fail(variant.name, o.token, f"unknown pupil '{unknown[0]}'")
            result = _without_pupils(result, set(o.target.split(";")))
    return replace(result, name=f"{scenario.name}+{variant.name}")


# --------------------------------------------------------------------------- budgets


@dataclass(frozen=True, slots=True)
class PersonalBudget:
    """A personal transport budget: what the council pays the family a year instead."""

    pupil_id: str
    school_id: str
    distance_m: int  # one way, home to school by road
    legs_per_day: int
    annual_pence: int
    is_estimate: bool  # True unless the distance is measured on a road network


def personal_budgets(
    scenario: Scenario, matrix: TravelMatrix | None, pupil_ids: Sequence[str]
) -> list[PersonalBudget]:
    """Price personal transport budgets: rate x miles x legs x school days.

    Parameters
    ----------
    scenario
        The scenario holding the pupils (before they leave the routes).
    matrix
        The travel matrix: the one-way distance is the mean of home->school and
        school->home on it. Without it (or if a point is missing) the distance is
        great-circle x ``policy.approx_circuity_factor``; either way, and when the
        matrix is approximate, the budget is marked an estimate.
    pupil_ids
        The pupils offered a budget.

    Returns
    -------
    list of PersonalBudget
        One per pupil: 2 legs (there and back) per run the pupil attends, 4 a day for a
        pupil on both runs, at ``policy.personal_budget_pence_per_mile``.

    Raises
    ------
    InvalidScenarioError
        If a pupil is not in the scenario.
    """
    policy = scenario.policy
    schools = scenario.schools_by_id()
    budgets = []
    for pid in pupil_ids:
        pupil: Pupil = scenario.pupil(pid)
        school = schools[pupil.school_id]
        home, gate = pupil_location_id(pid), school_location_id(school.school_id)
        if matrix is not None and home in matrix and gate in matrix:
            i, j = matrix.index(home), matrix.index(gate)
            distance_m = round((int(matrix.distance_m[i, j]) + int(matrix.distance_m[j, i])) / 2)
            is_estimate = matrix.is_approximate
        else:
            straight = great_circle_m(pupil.lon, pupil.lat, school.lon, school.lat)
            distance_m = round(straight * policy.approx_circuity_factor)
            is_estimate = True
        legs = 2 * len(pupil.runs())
        annual = round(
            policy.personal_budget_pence_per_mile
            * distance_m
            / METRES_PER_MILE
            * legs
            * policy.school_days_per_year
        )
        budgets.append(
            PersonalBudget(
                pupil_id=pid,
                school_id=school.school_id,
                distance_m=distance_m,
                legs_per_day=legs,
                annual_pence=annual,
                is_estimate=is_estimate,
            )
        )
    return budgets


# --------------------------------------------------------------------------- comparing


class HasPlan(Protocol):
    """What the pipeline's ``PlanResult`` offers: the checked plan."""

    @property
    def plan(self) -> Plan: ...


Planner = Callable[[Scenario, TravelMatrix], "Plan | HasPlan"]
"""Plans a scenario on a matrix, e.g.
``lambda s, m: pipeline.plan_scenario(s, m, params)`` (its PlanResult is accepted)."""
MatrixBuilder = Callable[[Scenario], TravelMatrix]


@dataclass(frozen=True, slots=True)
class VariantResult:
    """One line of the side-by-side table.

    Costs are annual pence; ``annual_cost_pence`` = routes + estimated solo journeys of
    unassigned pupils (``estimated_annual_pence``, from :func:`routing.costing.plan_cost`)
    + personal budgets (``budget_annual_pence``). ``num_pupils`` counts pupils carried,
    priced as a fallback, or on a budget. Ride times are over all rides (AM and PM);
    ``num_pupils_over_*`` count distinct pupils with any ride over the threshold.
    ``error`` is set (and the numbers are zero) when the variant could not be planned.
    """

    name: str
    description: str
    annual_cost_pence: int = 0
    day_cost_pence: int = 0
    num_pupils: int = 0
    cost_per_pupil_pence: int = 0
    vehicles_by_type: tuple[tuple[str, int], ...] = ()
    num_vehicles: int = 0
    num_assistants: int = 0
    num_pupils_over_45_min: int = 0
    num_pupils_over_75_min: int = 0
    mean_ride_min: float = 0.0
    max_ride_min: float = 0.0
    num_unassigned: int = 0
    estimated_annual_pence: int = 0
    num_budget_pupils: int = 0
    budget_annual_pence: int = 0
    solve_seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class VariantTable:
    """The baseline plan, today's arrangement (optionally) and each variant, in order."""

    scenario_name: str
    travel_model: str
    rows: tuple[VariantResult, ...]
    plans: Mapping[str, Plan] = field(default_factory=dict)

    def row(self, name: str) -> VariantResult:
        for r in self.rows:
            if r.name == name:
                return r
        msg = f"Unknown variant '{name}'."
        raise InvalidScenarioError(msg)


def _describe(variant: Variant) -> str:
    parts: list[str] = []
    for o in variant.overrides:
        if o.kind is OverrideKind.POLICY:
            words = {
                "ride_limit_primary_min": f"primary ride limit {o.value} min",
                "ride_limit_secondary_min": f"secondary ride limit {o.value} min",
                "mixed_schools": f"mixed-school routes {'allowed' if o.value else 'forbidden'}",
                "price_factor": f"vehicle prices x{o.value}",
                "assistant_day_gbp": f"assistant £{o.value}/day",
                "budget_pence_per_mile": f"budget rate {o.value}p/mile",
                "ride_minute_value_gbp": f"a pupil's minute on board valued £{o.value:.2f}",
            }
            parts.append(words[o.key])
        elif o.kind is OverrideKind.SCHOOL:
            assert isinstance(o.value, int)
            which = {"am_shift_min": "morning bell", "pm_shift_min": "end of day"}.get(
                o.key, "school day"
            )
            where = "every school" if o.target == "*" else f"school {o.target}"
            direction = "later" if o.value >= 0 else "earlier"
            parts.append(f"{where} {which} {abs(o.value)} min {direction}")
        elif o.kind is OverrideKind.VEHICLE:
            parts.append(f"{o.target} {o.key.replace('_', ' ')} {o.value}")
        elif o.kind is OverrideKind.PRICE_LIST:
            parts.append(f"prices from {Path(o.target).name}")
        else:
            n = len(o.target.split(";"))
            parts.append(f"personal budgets for {n} pupil{'s' if n != 1 else ''}")
    return "; ".join(parts)


def _result(
    name: str,
    description: str,
    scenario: Scenario,
    plan: Plan,
    matrix: TravelMatrix,
    budgets: Sequence[PersonalBudget],
    solve_seconds: float,
) -> VariantResult:
    cost = plan_cost(scenario, plan, matrix=matrix)
    rides = ride_times_s(plan)
    minutes = [s / 60 for s in rides.values()]
    lo, hi = RIDE_THRESHOLDS_MIN
    budget_annual = sum(b.annual_pence for b in budgets)
    annual = cost.annual_pence + budget_annual
    num_pupils = cost.num_pupils + len(budgets)
    days = scenario.policy.school_days_per_year
    return VariantResult(
        name=name,
        description=description,
        annual_cost_pence=annual,
        day_cost_pence=cost.day_pence + round(budget_annual / days),
        num_pupils=num_pupils,
        cost_per_pupil_pence=round(annual / num_pupils) if num_pupils else 0,
        vehicles_by_type=tuple((t.vehicle_type, t.num_vehicles) for t in cost.by_vehicle_type),
        num_vehicles=cost.num_vehicles,
        num_assistants=cost.num_assistants,
        num_pupils_over_45_min=len({pid for (_, pid), s in rides.items() if s > lo * 60}),
        num_pupils_over_75_min=len({pid for (_, pid), s in rides.items() if s > hi * 60}),
        mean_ride_min=sum(minutes) / len(minutes) if minutes else 0.0,
        max_ride_min=max(minutes, default=0.0),
        num_unassigned=len({u.pupil_id for u in plan.unassigned}),
        estimated_annual_pence=cost.fallback_day_pence * days,
        num_budget_pupils=len(budgets),
        budget_annual_pence=budget_annual,
        solve_seconds=solve_seconds,
    )


def _as_plan(result: Plan | HasPlan) -> Plan:
    return result if isinstance(result, Plan) else result.plan


def compare_variants(
    scenario: Scenario,
    matrix_builder: MatrixBuilder,
    planner: Planner,
    variants: Sequence[Variant | str],
    *,
    base_dir: Path | None = None,
    include_current: bool = True,
    allow_price_files: bool = True,
    progress: Callable[[str], None] | None = None,
) -> VariantTable:
    """Plan the baseline and each variant, and report them side by side.

    Parameters
    ----------
    scenario
        The baseline scenario.
    matrix_builder
        Builds a travel matrix for a scenario (called once for the baseline; again only
        for a variant whose locations the baseline's matrix lacks).
    planner
        Plans a scenario on a matrix (the pipeline's ``plan_scenario`` with its params);
        it may return a ``Plan`` or anything with a ``.plan``.
    variants
        Parsed variants or their ``NAME=OVERRIDES`` text.
    base_dir
        Folder for relative ``vehicle_prices`` paths.
    include_current
        Add today's arrangement (:func:`routing.baseline.current_plan`) as a row named
        ``current``, when the scenario has current routes.
    allow_price_files
        Accept ``vehicle_prices:PATH`` (see :func:`apply_variant`); a service passes
        False.
    progress
        Called with a line of text as each variant starts.

    Returns
    -------
    VariantTable
        Rows: ``current`` (if asked and known), ``baseline``, then the variants in order.
        A variant whose plan fails (no solution, a checker violation) gets a row with
        ``error`` set; the others are still reported.

    Raises
    ------
    InvalidScenarioError
        If a variant does not parse or does not apply (checked for all variants before
        any planning starts).
    """
    parsed = parse_variants([v if isinstance(v, str) else v.text for v in variants])
    changed = [
        (v, apply_variant(scenario, v, base_dir=base_dir, allow_price_files=allow_price_files))
        for v in parsed
    ]
    started = time.perf_counter()
    matrix = matrix_builder(scenario)
    logger.info("variants: matrix for %s in %.1f s", scenario.name, time.perf_counter() - started)
    rows: list[VariantResult] = []
    plans: dict[str, Plan] = {}
    if include_current and scenario.current_routes:
        from routing.baseline import current_plan

        today = current_plan(scenario, matrix)
        plans[CURRENT_NAME] = today
        rows.append(_result(CURRENT_NAME, "today's arrangement", scenario, today, matrix, (), 0.0))
    todo: list[tuple[str, str, Scenario, tuple[str, ...]]] = [
        (BASELINE_NAME, "the scenario as it is", scenario, ())
    ]
    todo += [(v.name, _describe(v), s, v.budget_pupil_ids) for v, s in changed]
    for name, description, variant_scenario, budget_ids in todo:
        if progress is not None:
            progress(f"planning {name}: {description}")
        locations = [pupil_location_id(p.pupil_id) for p in variant_scenario.pupils]
        locations += [school_location_id(s.school_id) for s in variant_scenario.schools]
        variant_matrix = (
            matrix if all(loc in matrix for loc in locations) else matrix_builder(variant_scenario)
        )
        budgets = personal_budgets(scenario, matrix, budget_ids)
        t0 = time.perf_counter()
        try:
            plan = _as_plan(planner(variant_scenario, variant_matrix))
        except RoutingError as err:
            logger.warning("variant %s could not be planned: %s", name, err)
            rows.append(VariantResult(name=name, description=description, error=str(err)))
            continue
        plans[name] = plan
        rows.append(
            _result(
                name,
                description,
                variant_scenario,
                plan,
                variant_matrix,
                budgets,
                time.perf_counter() - t0,
            )
        )
    return VariantTable(
        scenario_name=scenario.name, travel_model=matrix.model, rows=tuple(rows), plans=plans
    )


# --------------------------------------------------------------------------- output


def variant_rows(table: VariantTable) -> list[dict[str, object]]:
    """The table as plain rows (pounds and minutes rounded), the CSV's and the API's shape.

    ``change_vs_baseline_gbp``/``_pct`` compare each row's annual cost with the baseline
    plan's (negative = cheaper). ``vehicles_<type>`` columns hold the vehicles of each
    type.
    """
    base = next((r for r in table.rows if r.name == BASELINE_NAME and not r.error), None)
    types = sorted({name for r in table.rows for name, _ in r.vehicles_by_type})
    out: list[dict[str, object]] = []
    for r in table.rows:
        change: object = ""
        change_pct: object = ""
        if base is not None and not r.error:
            change = round((r.annual_cost_pence - base.annual_cost_pence) / 100, 2)
            if base.annual_cost_pence:
                change_pct = round(
                    100 * (r.annual_cost_pence - base.annual_cost_pence) / base.annual_cost_pence,
                    1,
                )
        row: dict[str, object] = {
            "variant": r.name,
            "description": r.description,
            "annual_cost_gbp": round(r.annual_cost_pence / 100, 2),
            "change_vs_baseline_gbp": change,
            "change_vs_baseline_pct": change_pct,
            "cost_per_pupil_gbp": round(r.cost_per_pupil_pence / 100, 2),
            "day_cost_gbp": round(r.day_cost_pence / 100, 2),
            "num_pupils": r.num_pupils,
            "num_vehicles": r.num_vehicles,
            "num_assistants": r.num_assistants,
            "pupils_over_45_min": r.num_pupils_over_45_min,
            "pupils_over_75_min": r.num_pupils_over_75_min,
            "mean_ride_min": round(r.mean_ride_min, 1),
            "max_ride_min": round(r.max_ride_min, 1),
            "num_unassigned": r.num_unassigned,
            "estimated_annual_gbp": round(r.estimated_annual_pence / 100, 2),
            "num_budget_pupils": r.num_budget_pupils,
            "budget_annual_gbp": round(r.budget_annual_pence / 100, 2),
            "error": r.error,
        }
        counts = dict(r.vehicles_by_type)
        for name in types:
            row[f"vehicles_{name}"] = counts.get(name, 0)
        out.append(row)
    return out


def write_variant_csv(table: VariantTable, path: Path) -> Path:
    """Write the side-by-side table as a formula-safe CSV (see :func:`variant_rows`)."""
    rows = variant_rows(table)
    columns = list(rows[0]) if rows else ["variant"]
    return write_csv(path, columns, rows)


def write_variant_chart(table: VariantTable, path: Path) -> Path:
    """Write a PNG chart of annual cost against mean ride time, one labelled point each.

    The worst ride is drawn as a bar on the same row so the spread shows. A variant whose
    cost includes estimated solo journeys for unassigned pupils is drawn hollow and
    starred, with a footnote. Labels of points close together are stacked, not overlaid.
    Uses matplotlib's Agg canvas directly (no pyplot, no global backend change).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(8, 5.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ok = [r for r in table.rows if not r.error]
    costs_k = [r.annual_cost_pence / 100_000 for r in ok]
    rides = [r.mean_ride_min for r in ok] + [r.max_ride_min for r in ok]
    x_span = max(rides, default=1.0) - min(rides, default=0.0) or 1.0
    y_span = max(costs_k, default=1.0) - min(costs_k, default=0.0) or 1.0
    placed: list[tuple[float, float]] = []
    for r, cost_k in zip(ok, costs_k, strict=True):
        colour = (
            "#888888"
            if r.name == CURRENT_NAME
            else ("#1f4e79" if r.name == BASELINE_NAME else "#c0504d")
        )
        estimated = r.num_unassigned > 0
        ax.plot([r.mean_ride_min, r.max_ride_min], [cost_k, cost_k], color=colour, alpha=0.25)
        ax.scatter([r.max_ride_min], [cost_k], marker="|", s=120, color=colour, alpha=0.5)
        ax.scatter(
            [r.mean_ride_min],
            [cost_k],
            s=60,
            zorder=3,
            facecolors="white" if estimated else colour,
            edgecolors=colour,
            linewidths=1.5,
        )
        near = sum(
            1
            for x, y in placed
            if abs(x - r.mean_ride_min) < 0.08 * x_span and abs(y - cost_k) < 0.05 * y_span
        )
        placed.append((r.mean_ride_min, cost_k))
        ax.annotate(
            r.name + ("*" if estimated else ""),
            (r.mean_ride_min, cost_k),
            textcoords="offset points",
            xytext=(6, 6 + 11 * near),
            fontsize=9,
        )
    ax.margins(x=0.06, y=0.18)  # room for stacked labels inside the axes
    ax.set_xlabel("Ride time, minutes (dot: mean; bar: longest)")
    ax.set_ylabel("Annual cost, £ thousand")
    ax.set_title(f"{table.scenario_name}: cost against ride time by variant", fontsize=11)
    ax.grid(True, alpha=0.3)
    lines = [f"Travel times: {table.travel_model}"]
    if any(r.num_unassigned for r in ok):
        lines.append(
            "* hollow: some pupils unassigned, priced as estimated solo journeys "
            "(a longer time limit may place them)"
        )
    failed = [r.name for r in table.rows if r.error]
    if failed:
        lines.append(f"Not planned: {', '.join(failed)}")
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color="#444444", wrap=True)
    fig.subplots_adjust(bottom=0.2)
    fig.savefig(path, format="png")
    return path


def format_variant_table(table: VariantTable) -> str:
    """The table as fixed-width text for a terminal (the CLI prints it)."""
    headers = (
        "variant", "annual £", "vs base", "£/pupil", "vehicles", "PAs", ">45", ">75",
        "mean min", "max min", "unassigned",
    )  # fmt: skip
    lines_data: list[tuple[str, ...]] = []
    for row in variant_rows(table):
        if row["error"]:
            lines_data.append((str(row["variant"]), f"not planned: {row['error']}"))
            continue
        pct = row["change_vs_baseline_pct"]
        lines_data.append(
            (
                str(row["variant"]),
                f"{float(str(row['annual_cost_gbp'])):,.0f}",
                f"{pct:+.1f}%" if isinstance(pct, float) else "",
                f"{float(str(row['cost_per_pupil_gbp'])):,.0f}",
                str(row["num_vehicles"]),
                str(row["num_assistants"]),
                str(row["pupils_over_45_min"]),
                str(row["pupils_over_75_min"]),
                f"{row['mean_ride_min']}",
                f"{row['max_ride_min']}",
                str(row["num_unassigned"]),
            )
        )
    widths = [len(h) for h in headers]
    for cells in lines_data:
        if len(cells) == len(headers):
            widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
    out = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                     enumerate(zip(headers, widths, strict=True)))]  # fmt: skip
    for cells in lines_data:
        if len(cells) != len(headers):
            out.append(f"{cells[0].ljust(widths[0])}  {cells[1]}")
            continue
        out.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    descriptions = [f"  {r.name}: {r.description}" for r in table.rows]
    return "\n".join([*out, "", *descriptions, f"Travel times: {table.travel_model}"])


def variant_table_to_dict(table: VariantTable) -> dict[str, Any]:
    """JSON-ready: scenario, travel model and the rows of :func:`variant_rows`."""
    return {
        "scenario": table.scenario_name,
        "travel_model": table.travel_model,
        "rows": variant_rows(table),
    }


def write_variant_outputs(table: VariantTable, out_dir: Path) -> list[Path]:
    """Write ``variants.csv``, ``variants.png`` and ``variants.json`` under ``out_dir``.

    Returns
    -------
    list of Path
        The files written (print the table with :func:`format_variant_table`).
    """
    from routing.reports import write_summary_json

    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_variant_csv(table, out_dir / "variants.csv"),
        write_variant_chart(table, out_dir / "variants.png"),
        write_summary_json(variant_table_to_dict(table), out_dir / "variants.json"),
    ]
