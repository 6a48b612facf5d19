"""Personal transport budgets: what the council pays a family a year instead of a seat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.costing import mileage_pence, round_pence
from routing.matrix import TravelMatrix, great_circle_m, pupil_location_id, school_location_id
from routing.model import Pupil, Scenario


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
        annual = round_pence(
            mileage_pence(policy.personal_budget_pence_per_mile, distance_m)
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
