"""A variant applied to a scenario: policy, bell times, vehicle prices, budget pupils out.

:func:`apply_variant` returns a new, re-validated Scenario; :func:`read_price_list` reads
a ``vehicle_prices:PATH`` file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from routing.costing import round_pence
from routing.errors import InvalidScenarioError
from routing.model import SECONDS_PER_MINUTE, CurrentRoute, Policy, Scenario, School, VehicleType
from routing.variants.overrides import Override, OverrideKind, Variant, variant_error


def _pence(gbp: float) -> int:
    return round_pence(Fraction(repr(gbp)) * 100)


def _shift_school(variant: Variant, o: Override, school: School) -> School:
    assert isinstance(o.value, int)
    delta_s = o.value * SECONDS_PER_MINUTE
    am = school.am_start_s + (delta_s if o.key in ("am_shift_min", "shift_min") else 0)
    pm = school.pm_end_s + (delta_s if o.key in ("pm_shift_min", "shift_min") else 0)
    try:
        return replace(school, am_start_s=am, pm_end_s=pm)
    except InvalidScenarioError as err:
        raise variant_error(
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
    if o.key == "comfort_ride_factor":
        assert isinstance(value, float)
        return replace(scenario, policy=replace(policy, comfort_ride_factor=value))
    if o.key == "comfort_ride_extra_min":
        assert isinstance(value, int)
        return replace(scenario, policy=replace(policy, comfort_ride_extra_s=value * 60))
    assert o.key == "price_factor" and isinstance(value, float)
    factor = Fraction(repr(value))
    types = tuple(
        replace(
            v,
            day_rate_pence=round_pence(v.day_rate_pence * factor),
            cost_per_mile_pence=round_pence(v.cost_per_mile_pence * factor),
        )
        for v in scenario.vehicle_types
    )
    return replace(scenario, vehicle_types=types)


def _apply_vehicle(variant: Variant, o: Override, scenario: Scenario) -> Scenario:
    names = [v.name for v in scenario.vehicle_types]
    if o.target not in names:
        problem = f"unknown vehicle type '{o.target}'"
        raise variant_error(variant.name, o.token, problem, f"known: {', '.join(names)}")
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
        raise variant_error(variant.name, o.token, f"price list '{o.target}' is outside {base_dir}")
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
                raise variant_error(variant.name, o.token, f"unknown school '{o.target}'")
            schools = tuple(
                _shift_school(variant, o, s) if o.target in ("*", s.school_id) else s
                for s in result.schools
            )
            result = replace(result, schools=schools)
        elif o.kind is OverrideKind.VEHICLE:
            result = _apply_vehicle(variant, o, result)
        elif o.kind is OverrideKind.PRICE_LIST:
            if not allow_price_files:
                raise variant_error(
                    variant.name,
                    o.token,
                    "price list files are not accepted here",
                    "use vehicle:NAME:day_rate_gbp=... and vehicle:NAME:cost_per_mile_gbp=...",
                )
            path = _price_list_path(variant, o, base_dir)
            try:
                prices = read_price_list(path, result.vehicle_types)
            except InvalidScenarioError as err:
                raise variant_error(variant.name, o.token, str(err).rstrip(".")) from err
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
                raise variant_error(variant.name, o.token, f"unknown pupil '{unknown[0]}'")
            result = _without_pupils(result, set(o.target.split(";")))
    return replace(result, name=f"{scenario.name}+{variant.name}")
