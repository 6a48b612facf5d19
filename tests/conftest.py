"""Shared test settings and tiny named worlds.

Hypothesis runs without deadlines: the machine is shared and noisy, and a solve's wall time
is not what the property tests assert.

The fixtures below are small scenarios on one straight road
(:func:`routing.synthetic.scenario_on_line`: 1 km = 1000 m = 120 s of driving), small
enough to check every number by hand, in the spirit of PyVRP's ``ok_small``. Each returns
``(scenario, matrix)``; build a bigger world by hand only when a test needs something these
do not have.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from routing.matrix import TravelMatrix
from routing.model import Scenario, VehicleCategory, VehicleType
from routing.synthetic import scenario_on_line

settings.register_profile(
    "schoolrun",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.load_profile("schoolrun")

World = tuple[Scenario, TravelMatrix]

HAND_TAXI = VehicleType(
    "taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150
)
"""The fixtures' one vehicle type: 4 seats, £90 a day (£45 a run), £1.50 a mile."""


@pytest.fixture
def one_pupil_one_school() -> World:
    """Just one pupil, 'A', 3 km from school 'S1' (at 0 km), and taxis.

    The AM run is one taxi from A's home to the school: 3,000 m, 360 s of driving,
    4500 + 150 x 3000 / 1609.344 = 4,780 pence (half the day rate plus the mileage).
    """
    return scenario_on_line({"S1": 0.0}, [("A", "S1", 3.0, {})], vehicle_types=(HAND_TAXI,))


@pytest.fixture
def three_pupils_one_school() -> World:
    """Just three pupils on one road to one school: easy to check by hand.

    School 'S1' at 0 km; P1, P2 and P3 at 2, 3 and 4 km (secondary pupils, no special
    needs); taxis of 4 seats. The AM run is one taxi picking up P3, P2, P1 on its way in:
    4,000 m from the first pickup, 4500 + 150 x 4000 / 1609.344 = 4,873 pence.
    """
    return scenario_on_line(
        {"S1": 0.0},
        [("P1", "S1", 2.0, {}), ("P2", "S1", 3.0, {}), ("P3", "S1", 4.0, {})],
        vehicle_types=(HAND_TAXI,),
    )
