"""What the checker reports: the kinds of broken rule, one violation, and the tolerances."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routing.model import Run

TIME_TOLERANCE_S = 1
"""Seconds of rounding allowed between a stop's stated times and the recomputed ones."""

DISTANCE_TOLERANCE_M = 1
"""Metres of rounding allowed per leg between a route's distance and the matrix sum."""

COST_TOLERANCE_PENCE = 1
"""Pence of rounding allowed between a route's cost and the money model."""

COORD_TOLERANCE_DEG = 1e-4
"""Degrees (about 10 m) a stop's lon/lat may differ from its matrix location's."""


class ViolationKind(StrEnum):
    """Which rule a plan breaks (names after VROOM's violation list where one exists)."""

    MISSING = "missing"  # a pupil who attends the run is neither routed nor unassigned
    DUPLICATE = "duplicate"  # a pupil routed/unassigned more than once in a run
    UNKNOWN = "unknown"  # a pupil, vehicle type or location the scenario does not know
    WRONG_RUN = "wrong_run"  # a pupil planned on a run they do not attend
    PRECEDENCE = "precedence"  # drop-off missing, or not after the pickup, on the route
    WRONG_LOCATION = "wrong_location"  # a stop at the wrong place for its pupil
    TIME = "time"  # stop times inconsistent with the matrix and service times
    WINDOW = "window"  # school arrival / departure outside the school's window
    MAX_RIDE_TIME = "max_ride_time"  # a pupil's ride longer than their limit
    LOAD = "load"  # seats exceeded, or a layout the vehicle type does not have
    WHEELCHAIR = "wheelchair"  # wheelchair places exceeded
    ASSISTANT = "assistant"  # a pupil who needs a passenger assistant rides without one
    TRAVEL_ALONE = "travel_alone"  # a pupil who must travel alone shares the vehicle
    INCOMPATIBLE = "incompatible"  # an incompatible pair on one route
    SIBLINGS = "siblings"  # siblings (or one request's pupils) split across routes/stops
    VEHICLE_REQUIREMENT = "vehicle_requirement"  # a pupil's required vehicle kind not met
    SHIFT = "shift"  # route longer than the vehicle's shift
    FLEET = "fleet"  # more routes of a vehicle type than are available in a run
    MIXED_SCHOOL = "mixed_school"  # pupils of several schools on one route, when forbidden
    DISTANCE = "distance"  # route distance_m is not the matrix sum of its legs
    COST = "cost"  # route cost_pence is not the money model's
    WALK = "walk"  # a walk to a collection point over the limit, misstated, or not allowed


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which kind, on which run and route, for which pupil, and why.

    ``route_id`` is empty for run-wide rules (missing pupil, fleet); ``pupil_id`` is empty
    for route-wide rules (distance, cost, shift, fleet). For benchmark problems
    ``pupil_id`` names the request's pupils, comma-separated.
    """

    kind: ViolationKind
    run: Run
    route_id: str
    pupil_id: str
    message: str

    def __str__(self) -> str:
        return f"[{self.kind.value}] {self.run.value} {self.message}"
