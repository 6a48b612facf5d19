"""Who is entitled to free home-to-school transport, and why (Education Act 1996 s508B).

The tests follow the DfE statutory guidance "Travel to school for children of compulsory
school age" as councils apply it:

* **Statutory walking distance** (s444(5)): 2 miles for a child under 8, 3 miles for a
  child of 8 or over, measured along the shortest route a child, accompanied as necessary,
  may walk with reasonable safety (footpaths included, so the walk network, not the roads).
* **SEN, disability or mobility**: a child who cannot reasonably be expected to walk
  because of them is eligible at any distance (``Pupil.cannot_walk_assessed`` records the
  council's assessment).
* **Unsafe route**: a child within walking distance whose route an officer has found is
  not one a child could walk with reasonable safety is eligible
  (``Pupil.has_unsafe_route``).
* **Extended rights** for low-income families (free school meals or maximum Working Tax
  Credit, ``Pupil.is_low_income``): aged 8 to 10, over 2 miles; aged 11 to 15, over 2 and
  up to 6 miles.

Simplifications, stated so an officer can judge them:

* The school the pupil attends is taken as their nearest suitable school (for a pupil with
  an EHC plan, the school it names). The guidance's "nearest suitable school" and, for
  extended rights at 11-16, "one of the three nearest suitable schools" (and the 15-mile
  religion-or-belief right) are not checked; the bands are distance rules only.
* Age is the age at the start of the school year, from the year group, unless a date of
  birth and an assessment date are both given. A child who turns 8 during the year keeps
  the under-8 distance until re-assessed.
* Below compulsory school age (under 5) and post-16 (16 and over), s508B does not apply:
  transport follows the council's own policy (post-16 transport policy statement under
  s509AA, s508F for adults 19-25 with an EHC plan). Those pupils get the same tests as the
  nearest age band (under-8 distance below 5, the 3-mile distance from 16, no extended
  rights from 16), and the reason says so.
* A distance exactly at a limit is not "beyond" it.

:func:`assess_eligibility` is a pure function of one pupil and a measured distance;
:func:`assess_scenario` measures every pupil's walk on the scenario's walk network, or
estimates it (great-circle distance x a walking circuity factor, marked indicative) when the
scenario has none.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from routing import network
from routing.errors import InvalidScenarioError
from routing.matrix import great_circle_m
from routing.model import METRES_PER_MILE, Pupil, Scenario, School

logger = logging.getLogger(__name__)

UNDER_8_WALK_LIMIT_M = 2 * METRES_PER_MILE
FROM_8_WALK_LIMIT_M = 3 * METRES_PER_MILE
LOW_INCOME_LOWER_M = 2 * METRES_PER_MILE
LOW_INCOME_UPPER_M = 6 * METRES_PER_MILE

COMPULSORY_SCHOOL_AGE_FROM = 5
COMPULSORY_SCHOOL_AGE_UNTIL = 16  # exclusive: 16 and over is post-16

WALK_CIRCUITY_FACTOR = 1.3
"""Walking route / straight line, used only when the scenario has no walk network.

Pedestrian route directness in British suburbs is typically 1.2-1.4; 1.3 is the middle.
Decisions based on it are marked indicative.
"""

NEAR_LIMIT_FRACTION = 0.15
"""An indicative distance within this fraction of a limit is flagged for measurement."""


class EligibilityRule(StrEnum):
    """The ground on which a decision rests (the first that applies, in this order)."""

    CANNOT_WALK_SEND = "cannot_walk_send"  # SEN/disability/mobility: any distance
    BEYOND_WALKING_DISTANCE = "beyond_walking_distance"  # over 2 (under 8) / 3 miles
    LOW_INCOME_EXTENDED = "low_income_extended"  # extended rights bands
    UNSAFE_ROUTE = "unsafe_route"  # within distance but no reasonably safe walking route
    WITHIN_WALKING_DISTANCE = "within_walking_distance"  # not eligible
    DISTANCE_UNKNOWN = "distance_unknown"  # not decided: the walk could not be measured


class AgeBand(StrEnum):
    """Which legal regime applies at the pupil's age."""

    BELOW_COMPULSORY = "below_compulsory_school_age"  # under 5: council policy
    COMPULSORY = "compulsory_school_age"  # 5-15: s508B
    POST_16 = "post_16"  # 16+: s509AA / s508F policy


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    """One pupil's eligibility, the rule it rests on and the reason in plain words.

    ``walk_distance_m`` is the shortest walking route from home to school (None if it could
    not be measured); ``statutory_limit_m`` the statutory walking distance for the pupil's
    age (2 or 3 miles); ``is_indicative`` True when the distance was estimated rather than
    measured on a walk network. ``rules_met`` lists every ground that applies (the decision's
    ``rule`` is the first of them), so an appeal can see them all.
    """

    pupil_id: str
    is_eligible: bool
    rule: EligibilityRule
    reason: str
    walk_distance_m: float | None
    statutory_limit_m: float
    is_indicative: bool
    age_years: int = 0
    age_band: AgeBand = AgeBand.COMPULSORY
    rules_met: tuple[EligibilityRule, ...] = ()
    school_id: str = ""


def _age_on(date_of_birth: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def pupil_age_years(pupil: Pupil, as_of: date | None = None) -> int:
    """Age in whole years: from the date of birth on ``as_of`` if both are known.

    Parameters
    ----------
    pupil
        The pupil.
    as_of
        The assessment date. Without it (or without a date of birth) the age is the age at
        the start of the school year implied by the year group (Reception = 4).

    Returns
    -------
    int
        Age in completed years.
    """
    if pupil.date_of_birth is not None and as_of is not None:
        return _age_on(pupil.date_of_birth, as_of)
    return pupil.age_years


def _miles(distance_m: float) -> str:
    return f"{distance_m / METRES_PER_MILE:.2f} miles"


def _limit_words(limit_m: float) -> str:
    return f"{limit_m / METRES_PER_MILE:g} miles"


def _age_band(age_years: int) -> AgeBand:
    if age_years < COMPULSORY_SCHOOL_AGE_FROM:
        return AgeBand.BELOW_COMPULSORY
    if age_years >= COMPULSORY_SCHOOL_AGE_UNTIL:
        return AgeBand.POST_16
    return AgeBand.COMPULSORY


def _rules_met(
    pupil: Pupil, age_years: int, band: AgeBand, distance_m: float | None, limit_m: float
) -> list[EligibilityRule]:
    met: list[EligibilityRule] = []
    if pupil.cannot_walk_assessed:
        met.append(EligibilityRule.CANNOT_WALK_SEND)
    if distance_m is not None and distance_m > limit_m:
        met.append(EligibilityRule.BEYOND_WALKING_DISTANCE)
    if distance_m is not None and pupil.is_low_income and band is not AgeBand.POST_16:
        # Extended rights: 8-10 over 2 miles; 11-15 over 2 and up to 6 miles.
        upper_m = LOW_INCOME_UPPER_M if age_years >= 11 else math.inf
        if 8 <= age_years <= 15 and LOW_INCOME_LOWER_M < distance_m <= upper_m:
            met.append(EligibilityRule.LOW_INCOME_EXTENDED)
    if pupil.has_unsafe_route:
        met.append(EligibilityRule.UNSAFE_ROUTE)
    return met


def _basis_words(band: AgeBand, age_years: int) -> str:
    if band is AgeBand.BELOW_COMPULSORY:
        return (
            f" At age {age_years} the pupil is below compulsory school age, so the statutory "
            "duty does not yet apply; the council's policy applies the same tests as for a "
            "child under 8."
        )
    if band is AgeBand.POST_16:
        return (
            f" At age {age_years} the pupil is over compulsory school age, so transport "
            "follows the council's post-16 transport policy (post-19: s508F for a young "
            "person with an EHC plan); the same tests as for a child of 8 or over are applied."
        )
    return ""


def _age_words(age_years: int, limit_m: float) -> str:
    group = "a child under 8" if limit_m == UNDER_8_WALK_LIMIT_M else "a child aged 8 or over"
    return f"the statutory walking distance of {_limit_words(limit_m)} for {group}"


def _primary_reason(
    rule: EligibilityRule,
    age_years: int,
    distance_m: float | None,
    limit_m: float,
    route_words: str,
) -> str:
    if rule is EligibilityRule.CANNOT_WALK_SEND:
        return (
            "Eligible: the council has assessed that the pupil cannot reasonably be expected "
            "to walk to school, even accompanied, because of special educational needs, a "
            "disability or a mobility problem, so transport is provided whatever the distance."
        )
    if rule is EligibilityRule.BEYOND_WALKING_DISTANCE:
        assert distance_m is not None
        return (
            f"Eligible: {route_words} is {_miles(distance_m)}, more than "
            f"{_age_words(age_years, limit_m)}."
        )
    if rule is EligibilityRule.LOW_INCOME_EXTENDED:
        assert distance_m is not None
        if age_years <= 10:
            band = "for a child aged 8 to 10 the distance is 2 miles instead of 3"
        else:
            band = (
                "for a child aged 11 to 16 the family is entitled to transport to a school "
                "more than 2 and up to 6 miles away"
            )
        return (
            f"Eligible (extended rights, low-income family): {route_words} is "
            f"{_miles(distance_m)}; {band}."
        )
    if rule is EligibilityRule.UNSAFE_ROUTE:
        where = (
            f"{route_words} is {_miles(distance_m)}, within {_age_words(age_years, limit_m)}, but"
            if distance_m is not None
            else "whatever the distance,"
        )
        return (
            f"Eligible: {where} an officer has recorded that the route is not one a child, "
            "accompanied as necessary, could walk with reasonable safety."
        )
    if rule is EligibilityRule.DISTANCE_UNKNOWN:
        return (
            "Not decided: the walking distance from home to school could not be measured "
            "(home or school is not connected to the footpath network) and no other ground "
            "applies; an officer must measure the route before deciding."
        )
    assert distance_m is not None
    return (
        f"Not eligible: {route_words} is {_miles(distance_m)}, within "
        f"{_age_words(age_years, limit_m)}, and no other ground applies (no assessment that "
        "the pupil cannot walk, no unsafe-route finding, no low-income extended right)."
    )


def _indicative_words(distance_m: float | None, thresholds_m: Sequence[float]) -> str:
    words = (
        " This distance is indicative: the scenario has no footpath network, so it was "
        f"estimated as the straight-line distance x {WALK_CIRCUITY_FACTOR:g}; measure the "
        "walking route before relying on it."
    )
    if distance_m is not None:
        near = [t for t in thresholds_m if abs(distance_m - t) <= NEAR_LIMIT_FRACTION * t]
        if near:
            words += (
                f" It is within {NEAR_LIMIT_FRACTION:.0%} of the "
                f"{near[0] / METRES_PER_MILE:g}-mile limit, so the measured route could change "
                "the decision."
            )
    return words


def assess_eligibility(
    pupil: Pupil,
    school: School,
    *,
    walk_distance_m: float | None,
    walk_is_indicative: bool,
    as_of: date | None = None,
) -> EligibilityDecision:
    """Decide whether a pupil is entitled to free transport to their school, and why.

    Parameters
    ----------
    pupil
        The pupil, with the eligibility inputs ``cannot_walk_assessed``, ``is_low_income``
        and ``has_unsafe_route``.
    school
        The school the pupil attends (taken as the nearest suitable school).
    walk_distance_m
        Shortest walking route from home to school, in metres; None if it could not be
        measured.
    walk_is_indicative
        True when the distance was estimated (no walk network), not measured.
    as_of
        Assessment date, used with the pupil's date of birth for the age; without it the age
        comes from the year group.

    Returns
    -------
    EligibilityDecision
        The decision, the rule applied, every rule met and the reason in plain words.

    Raises
    ------
    InvalidScenarioError
        If the pupil does not attend ``school`` or ``walk_distance_m`` is negative or not
        finite.
    """
    if pupil.school_id != school.school_id:
        msg = (
            f"Pupil '{pupil.pupil_id}' attends school '{pupil.school_id}', "
            f"not '{school.school_id}'."
        )
        raise InvalidScenarioError(msg)
    if walk_distance_m is not None and not (
        math.isfinite(walk_distance_m) and walk_distance_m >= 0
    ):
        msg = f"Pupil '{pupil.pupil_id}' walk_distance_m must be >= 0, got {walk_distance_m}."
        raise InvalidScenarioError(msg)
    age_years = pupil_age_years(pupil, as_of)
    band = _age_band(age_years)
    limit_m = UNDER_8_WALK_LIMIT_M if age_years < 8 else FROM_8_WALK_LIMIT_M
    met = _rules_met(pupil, age_years, band, walk_distance_m, limit_m)
    if met:
        rule = met[0]
    elif walk_distance_m is None:
        rule = EligibilityRule.DISTANCE_UNKNOWN
    else:
        rule = EligibilityRule.WITHIN_WALKING_DISTANCE
    is_eligible = bool(met)
    route_words = (
        "the estimated walking distance from home to school"
        if walk_is_indicative
        else "the shortest walking route from home to school"
    )
    reason = _primary_reason(rule, age_years, walk_distance_m, limit_m, route_words)
    others = met[1:]
    if others:
        reason += " Also met: " + ", ".join(r.value.replace("_", " ") for r in others) + "."
    reason += _basis_words(band, age_years)
    # Only flag indicative distances where the distance can decide the outcome.
    if walk_is_indicative and rule is not EligibilityRule.CANNOT_WALK_SEND:
        thresholds = [limit_m]
        if pupil.is_low_income and 8 <= age_years <= 15:
            thresholds = [LOW_INCOME_LOWER_M, *thresholds]
        reason += _indicative_words(walk_distance_m, thresholds)
    return EligibilityDecision(
        pupil_id=pupil.pupil_id,
        is_eligible=is_eligible,
        rule=rule,
        reason=reason,
        walk_distance_m=walk_distance_m,
        statutory_limit_m=limit_m,
        is_indicative=walk_is_indicative,
        age_years=age_years,
        age_band=band,
        rules_met=tuple(met),
        school_id=school.school_id,
    )


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True, slots=True)
class WalkMeasure:
    """A home-to-school walk: distance, path (lon, lat) and whether it was estimated."""

    distance_m: float | None
    coords: tuple[tuple[float, float], ...]
    is_indicative: bool


WalkMeasurer = Callable[[Pupil, School], WalkMeasure]


def _straight_measure(pupil: Pupil, school: School) -> WalkMeasure:
    straight_m = great_circle_m(pupil.lon, pupil.lat, school.lon, school.lat)
    return WalkMeasure(
        distance_m=straight_m * WALK_CIRCUITY_FACTOR,
        coords=((pupil.lon, pupil.lat), (school.lon, school.lat)),
        is_indicative=True,
    )


def _walk_graph_path(scenario: Scenario, scenario_dir: Path | None) -> Path | None:
    if not scenario.network.walk_graph:
        return None
    return network.resolve_graph_path(scenario.network.walk_graph, scenario_dir)


INDICATIVE_METHOD_WORDS = (
    "Walking distances are indicative: the scenario has no footpath network, so they are "
    f"straight-line distances x {WALK_CIRCUITY_FACTOR:g}."
)


def walk_measurer(scenario: Scenario, scenario_dir: Path | None) -> tuple[WalkMeasurer, str]:
    """How this scenario's walks are measured: on its walk network, or estimated.

    Parameters
    ----------
    scenario
        The scenario; ``scenario.network.walk_graph`` names its footpath graph, if any.
    scenario_dir
        The scenario folder, against which a relative graph path is resolved.

    Returns
    -------
    tuple of (callable, str)
        A function ``(pupil, school) -> WalkMeasure`` and a sentence naming the method.

    Raises
    ------
    NetworkUnavailableError
        If the scenario names a walk graph that cannot be read.
    """
    graph_path = _walk_graph_path(scenario, scenario_dir)
    if graph_path is None:
        return _straight_measure, INDICATIVE_METHOD_WORDS
    graph = network.load_walk_graph(graph_path)

    def measure(pupil: Pupil, school: School) -> WalkMeasure:
        route = network.walk_route(graph, (pupil.lon, pupil.lat), (school.lon, school.lat))
        if route is None:
            return WalkMeasure(distance_m=None, coords=(), is_indicative=False)
        return WalkMeasure(
            distance_m=float(route.distance_m), coords=tuple(route.coords), is_indicative=False
        )

    return measure, f"Walking distances measured on the footpath network {graph_path.name}."


def assess_scenario(
    scenario: Scenario,
    scenario_dir: Path | None,
    *,
    as_of: date | None = None,
) -> list[EligibilityDecision]:
    """Assess every pupil of a scenario, measuring walks on its walk network.

    Parameters
    ----------
    scenario
        The scenario.
    scenario_dir
        Its folder (where ``scenario.network.walk_graph`` lives); None for a scenario with
        no files (all distances are then indicative).
    as_of
        Assessment date for ages from dates of birth (see :func:`pupil_age_years`).

    Returns
    -------
    list of EligibilityDecision
        One per pupil, in the scenario's pupil order.
    """
    schools = scenario.schools_by_id()
    graph_path = _walk_graph_path(scenario, scenario_dir)
    distances: dict[str, float | None] = {}
    indicative = graph_path is None
    if graph_path is not None:
        # One multi-source search for every pupil, not one walk_route per pupil.
        distances = network.pupil_walk_distances_m(network.load_walk_graph(graph_path), scenario)
    decisions = []
    for pupil in scenario.pupils:
        school = schools[pupil.school_id]
        if indicative:
            distance_m: float | None = _straight_measure(pupil, school).distance_m
        else:
            distance_m = distances.get(pupil.pupil_id)
        decisions.append(
            assess_eligibility(
                pupil,
                school,
                walk_distance_m=distance_m,
                walk_is_indicative=indicative,
                as_of=as_of,
            )
        )
    num_eligible = sum(d.is_eligible for d in decisions)
    logger.info(
        "eligibility for %s: %d of %d pupils eligible (%s)",
        scenario.name,
        num_eligible,
        len(decisions),
        "indicative distances" if indicative else "walk network",
    )
    return decisions


def eligibility_route_geojson(
    scenario: Scenario,
    scenario_dir: Path | None,
    pupil_id: str,
    *,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The walking route behind one pupil's decision, as a GeoJSON FeatureCollection.

    One LineString feature (the walk on the footpath network, or a straight line marked
    ``geometry: "straight"`` when the distance is indicative) carrying the decision:
    ``pupil_id``, ``school_id``, ``is_eligible``, ``rule``, ``reason``, ``walk_distance_m``,
    ``statutory_limit_m``, ``is_indicative``; and two Point features, ``home`` and
    ``school``. No names or needs are included.

    Parameters
    ----------
    scenario
        The scenario.
    scenario_dir
        Its folder (for the walk graph).
    pupil_id
        The pupil whose route to draw.
    as_of
        Assessment date (see :func:`assess_eligibility`).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (lon, lat coordinates).

    Raises
    ------
    InvalidScenarioError
        If the pupil is not in the scenario.
    """
    pupil = scenario.pupil(pupil_id)
    school = scenario.school(pupil.school_id)
    measure, method = walk_measurer(scenario, scenario_dir)
    walk = measure(pupil, school)
    decision = assess_eligibility(
        pupil,
        school,
        walk_distance_m=walk.distance_m,
        walk_is_indicative=walk.is_indicative,
        as_of=as_of,
    )
    features = _route_features(pupil, school, walk, decision, method, with_points=True)
    return {
        "type": "FeatureCollection",
        "properties": _decision_properties(decision, walk, method),
        "features": features,
    }


def _decision_properties(
    decision: EligibilityDecision, walk: WalkMeasure, method: str
) -> dict[str, Any]:
    distance = decision.walk_distance_m
    return {
        "pupil_id": decision.pupil_id,
        "school_id": decision.school_id,
        "is_eligible": decision.is_eligible,
        "rule": decision.rule.value,
        "rules_met": [r.value for r in decision.rules_met],
        "reason": decision.reason,
        "walk_distance_m": None if distance is None else round(distance, 1),
        "walk_distance_miles": None if distance is None else round(distance / METRES_PER_MILE, 2),
        "statutory_limit_m": round(decision.statutory_limit_m, 1),
        "is_indicative": decision.is_indicative,
        "geometry": "straight" if walk.is_indicative else "walk_network",
        "method": method,
    }


def _route_features(
    pupil: Pupil,
    school: School,
    walk: WalkMeasure,
    decision: EligibilityDecision,
    method: str,
    *,
    with_points: bool,
) -> list[dict[str, Any]]:
    properties = _decision_properties(decision, walk, method)
    features: list[dict[str, Any]] = []
    if walk.coords:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[lon, lat] for lon, lat in walk.coords],
                },
                "properties": {"feature": "walk_route", **properties},
            }
        )
    elif not with_points:  # unmeasured: keep the decision, at the home
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [pupil.lon, pupil.lat]},
                "properties": {"feature": "home", **properties},
            }
        )
    if with_points:
        for name, lon, lat in (
            ("home", pupil.lon, pupil.lat),
            ("school", school.lon, school.lat),
        ):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"feature": name, "pupil_id": pupil.pupil_id},
                }
            )
    return features


def eligibility_routes_geojson(
    scenario: Scenario,
    scenario_dir: Path | None,
    *,
    as_of: date | None = None,
    pupil_ids: Sequence[str] | None = None,
) -> tuple[list[EligibilityDecision], dict[str, Any]]:
    """Every pupil's walk and decision: the decisions and one GeoJSON FeatureCollection.

    One ``walk_route`` LineString per pupil carrying the decision (as in
    :func:`eligibility_route_geojson`); a pupil whose walk could not be measured is a
    ``home`` Point with the decision. Decisions and lines come from the same measurement.

    Parameters
    ----------
    scenario
        The scenario.
    scenario_dir
        Its folder (for the walk graph).
    as_of
        Assessment date (see :func:`assess_eligibility`).
    pupil_ids
        Only these pupils (default: all, in scenario order).

    Returns
    -------
    tuple of (list of EligibilityDecision, dict)
        The decisions and the FeatureCollection (its ``properties`` name the method).
    """
    measure, method = walk_measurer(scenario, scenario_dir)
    schools = scenario.schools_by_id()
    pupils = scenario.pupils if pupil_ids is None else tuple(scenario.pupil(p) for p in pupil_ids)
    decisions: list[EligibilityDecision] = []
    features: list[dict[str, Any]] = []
    for pupil in pupils:
        school = schools[pupil.school_id]
        walk = measure(pupil, school)
        decision = assess_eligibility(
            pupil,
            school,
            walk_distance_m=walk.distance_m,
            walk_is_indicative=walk.is_indicative,
            as_of=as_of,
        )
        decisions.append(decision)
        features += _route_features(pupil, school, walk, decision, method, with_points=False)
    collection = {
        "type": "FeatureCollection",
        "properties": {"scenario": scenario.name, "method": method},
        "features": features,
    }
    return decisions, collection


# --------------------------------------------------------------------------- output

ELIGIBILITY_COLUMNS = (
    "pupil_id",
    "school_id",
    "is_eligible",
    "rule",
    "rules_met",
    "walk_distance_m",
    "walk_distance_miles",
    "statutory_limit_miles",
    "is_indicative",
    "age_years",
    "age_band",
    "reason",
)


def decision_rows(decisions: Sequence[EligibilityDecision]) -> list[dict[str, object]]:
    """One plain row per decision (the CSV's and the API's shape); no names or needs."""
    rows: list[dict[str, object]] = []
    for d in decisions:
        distance = d.walk_distance_m
        rows.append(
            {
                "pupil_id": d.pupil_id,
                "school_id": d.school_id,
                "is_eligible": d.is_eligible,
                "rule": d.rule.value,
                "rules_met": ";".join(r.value for r in d.rules_met),
                "walk_distance_m": None if distance is None else round(distance, 1),
                "walk_distance_miles": (
                    None if distance is None else round(distance / METRES_PER_MILE, 2)
                ),
                "statutory_limit_miles": round(d.statutory_limit_m / METRES_PER_MILE, 2),
                "is_indicative": d.is_indicative,
                "age_years": d.age_years,
                "age_band": d.age_band.value,
                "reason": d.reason,
            }
        )
    return rows


def write_eligibility_csv(decisions: Sequence[EligibilityDecision], path: Path) -> Path:
    """Write ``eligibility.csv`` (formula-safe, see :func:`decision_rows`)."""
    from routing.reports import write_csv

    return write_csv(path, ELIGIBILITY_COLUMNS, decision_rows(decisions))


def format_eligibility_summary(decisions: Sequence[EligibilityDecision]) -> str:
    """Counts by rule and the method, as lines of text for a terminal (the CLI prints it)."""
    from collections import Counter

    counts = Counter((d.is_eligible, d.rule) for d in decisions)
    num_eligible = sum(d.is_eligible for d in decisions)
    lines = [f"{num_eligible} of {len(decisions)} pupils eligible for transport."]
    for (is_eligible, rule), n in sorted(counts.items(), key=lambda kv: (not kv[0][0], kv[0][1])):
        status = "eligible" if is_eligible else "not eligible"
        lines.append(f"  {n:5d}  {status:12s}  {rule.value.replace('_', ' ')}")
    if any(d.is_indicative for d in decisions):
        lines.append(INDICATIVE_METHOD_WORDS)
    undecided = [d.pupil_id for d in decisions if d.rule is EligibilityRule.DISTANCE_UNKNOWN]
    if undecided:
        lines.append(
            f"{len(undecided)} pupils could not be measured on the footpath network and need "
            f"an officer's measurement: {', '.join(undecided[:10])}"
            + (" ..." if len(undecided) > 10 else "")
        )
    return "\n".join(lines)


def write_eligibility_outputs(
    decisions: Sequence[EligibilityDecision],
    walks_geojson: dict[str, Any] | None,
    out_dir: Path,
) -> list[Path]:
    """Write ``eligibility.csv`` and, given the walks, ``eligibility_routes.geojson``.

    Parameters
    ----------
    decisions
        Every pupil's decision (``routing.pipeline.assess_source``).
    walks_geojson
        The walks drawn (:func:`eligibility_routes_geojson`), or None for the CSV only.
    out_dir
        Output folder (created).

    Returns
    -------
    list of Path
        The files written (print the decisions with :func:`format_eligibility_summary`).
    """
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_eligibility_csv(decisions, out_dir / "eligibility.csv")]
    if walks_geojson is not None:
        geojson_path = out_dir / "eligibility_routes.geojson"
        geojson_path.write_text(json.dumps(walks_geojson, allow_nan=False) + "\n", encoding="utf-8")
        written.append(geojson_path)
    return written
