"""The variant language: ``NAME=OVERRIDE[,OVERRIDE...]`` parsed into a :class:`Variant`.

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
``comfort_ride_factor=F``           comfort limit: a ride at most the direct trip x F (0 off,
                                    else 1..3)
``comfort_ride_extra_min=N``        comfort limit: a ride at most the direct trip + N min
                                    (0 off, else up to 120)
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
``dearer=price_factor=1.1``,
``comfort=comfort_ride_factor=1.5,comfort_ride_extra_min=20``. A value may not contain
``,``; a school id or vehicle name may not contain ``:``, ``,`` or ``=``. A pupil's own
ride limit (``max_ride_min`` in pupils.csv) is kept by the ride-limit overrides: they
change the policy defaults only.

Every error names the variant and the bad token. :mod:`routing.variants.apply` turns a
variant into a changed scenario; :func:`describe_variant` says it in words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from routing.errors import InvalidScenarioError

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
    "comfort_ride_factor",
    "comfort_ride_extra_min",
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


def variant_error(variant: str, token: str, problem: str, hint: str = "") -> InvalidScenarioError:
    """The error for a bad token: names the variant, the problem and the token."""
    more = f" ({hint})" if hint else ""
    return InvalidScenarioError(f"Variant '{variant}': {problem} in '{token}'{more}.")


def _number(variant: str, token: str, key: str, text: str, *, integer: bool) -> float | int:
    try:
        value: float | int = int(text) if integer else float(text)
    except ValueError as err:
        kind = "a whole number" if integer else "a number"
        raise variant_error(variant, token, f"{key} must be {kind}, got '{text}'") from err
    if not math.isfinite(value):
        raise variant_error(variant, token, f"{key} must be a finite number, got '{text}'")
    return value


def _bool(variant: str, token: str, key: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise variant_error(variant, token, f"{key} must be true or false, got '{text}'")


def _parse_policy(variant: str, token: str, key: str, text: str) -> Override:
    value: float | int | bool
    if key in ("ride_limit_primary_min", "ride_limit_secondary_min"):
        value = _number(variant, token, key, text, integer=True)
        if value <= 0:
            raise variant_error(variant, token, f"{key} must be > 0, got '{text}'")
    elif key == "mixed_schools":
        value = _bool(variant, token, key, text)
    elif key == "price_factor":
        value = _number(variant, token, key, text, integer=False)
        if value <= 0:
            raise variant_error(variant, token, f"{key} must be > 0, got '{text}'")
    elif key == "assistant_day_gbp":
        value = _number(variant, token, key, text, integer=False)
        if value < 0:
            raise variant_error(variant, token, f"{key} must be >= 0, got '{text}'")
    elif key == "budget_pence_per_mile":
        value = _number(variant, token, key, text, integer=True)
        if value < 0:
            raise variant_error(variant, token, f"{key} must be >= 0, got '{text}'")
    elif key == "ride_minute_value_gbp":
        value = float(_number(variant, token, key, text, integer=False))
        if value < 0 or round(value * 100, 6) != round(value * 100):
            raise variant_error(variant, token, f"{key} must be >= 0 in whole pence, got '{text}'")
    elif key == "comfort_ride_factor":
        value = float(_number(variant, token, key, text, integer=False))
        if not (value == 0 or 1 <= value <= 3):
            raise variant_error(variant, token, f"{key} must be 0 (off) or 1..3, got '{text}'")
    elif key == "comfort_ride_extra_min":
        value = _number(variant, token, key, text, integer=True)
        if not 0 <= value <= 120:
            raise variant_error(variant, token, f"{key} must be within 0..120, got '{text}'")
    else:
        known = ", ".join(POLICY_KEYS)
        raise variant_error(variant, token, f"unknown setting '{key}'", f"known: {known}")
    return Override(OverrideKind.POLICY, "", key, value, token)


def _parse_scoped(variant: str, token: str) -> Override:
    scope, _, rest = token.partition(":")
    target, sep, assignment = rest.partition(":")
    key, eq, text = assignment.partition("=")
    if not (target and sep and eq and key and text):
        raise variant_error(variant, token, f"expected '{scope}:ID:SETTING=VALUE'")
    if scope == "school":
        if key not in SCHOOL_KEYS:
            known = ", ".join(SCHOOL_KEYS)
            raise variant_error(
                variant, token, f"unknown school setting '{key}'", f"known: {known}"
            )
        minutes = _number(variant, token, key, text, integer=True)
        return Override(OverrideKind.SCHOOL, target, key, minutes, token)
    if key not in VEHICLE_KEYS:
        known = ", ".join(VEHICLE_KEYS)
        raise variant_error(variant, token, f"unknown vehicle setting '{key}'", f"known: {known}")
    if key == "num_available":
        if text.lower() == "unlimited":
            return Override(OverrideKind.VEHICLE, target, key, None, token)
        count = _number(variant, token, key, text, integer=True)
        if count < 0:
            raise variant_error(variant, token, f"{key} must be >= 0 or 'unlimited', got '{text}'")
        return Override(OverrideKind.VEHICLE, target, key, count, token)
    gbp = _number(variant, token, key, text, integer=False)
    if gbp < 0:
        raise variant_error(variant, token, f"{key} must be >= 0, got '{text}'")
    return Override(OverrideKind.VEHICLE, target, key, gbp, token)


def _parse_token(variant: str, token: str) -> Override:
    if not token:
        raise variant_error(
            variant, token, "empty override (two commas in a row, or a trailing comma)"
        )
    head = token.split(":", 1)[0] if ":" in token.split("=", 1)[0] else ""
    if head in ("school", "vehicle"):
        return _parse_scoped(variant, token)
    if head == "budget":
        ids = [pid.strip() for pid in token[len("budget:") :].split(";")]
        if not ids or any(not pid for pid in ids):
            raise variant_error(variant, token, "expected 'budget:PUPIL_ID[;PUPIL_ID...]'")
        return Override(OverrideKind.BUDGET, ";".join(ids), "budget", None, token)
    if head == "vehicle_prices":
        path = token[len("vehicle_prices:") :].strip()
        if not path:
            raise variant_error(variant, token, "expected 'vehicle_prices:PATH'")
        return Override(OverrideKind.PRICE_LIST, path, "vehicle_prices", path, token)
    if head:
        known = "school:, vehicle:, budget:, vehicle_prices:"
        raise variant_error(variant, token, f"unknown prefix '{head}:'", f"known: {known}")
    key, eq, text = token.partition("=")
    if not eq or not key or not text:
        raise variant_error(variant, token, "expected SETTING=VALUE")
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


def describe_variant(variant: Variant) -> str:
    """The variant in words, for the table's description column."""
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
                "comfort_ride_factor": (
                    f"comfort limit {o.value} x the direct trip"
                    if o.value
                    else "comfort factor off"
                ),
                "comfort_ride_extra_min": (
                    f"comfort limit the direct trip + {o.value} min"
                    if o.value
                    else "comfort extra minutes off"
                ),
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
