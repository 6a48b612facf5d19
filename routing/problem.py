"""Solver-ready problem: requests (pickup -> drop-off), vehicle classes, one run.

Both the pupils' scenario (``build_problem``) and the public benchmark readers
(``routing.bench``) produce this one shape, so the benchmarks measure the product's own
solver and checker. Only this module and ``solver.py`` speak of nodes.

All numbers are integers: seconds, metres, and objective units
(``Problem.cost_units_per_pence`` per penny for pupil problems; plain scaled distance for
benchmark problems).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from routing.errors import InvalidScenarioError
from routing.model import Run


class ObjectiveKind(StrEnum):
    COST = "cost"  # vehicle fixed cost + per-metre cost (pupil problems)
    DISTANCE = "distance"  # total distance (the literature's benchmarks)


@dataclass(frozen=True, slots=True)
class Request:
    """One journey to plan: a pupil, or siblings at one address travelling together.

    ``*_loc`` are rows of the problem's matrices. Ride time is measured from the end of
    pickup service to the start of drop-off service (Cordeau's convention).
    ``allowed_vehicle_types`` None means any vehicle type.
    """

    request_id: str
    pupil_ids: tuple[str, ...]
    school_id: str
    pickup_loc: int
    dropoff_loc: int
    pickup_window_s: tuple[int, int]
    dropoff_window_s: tuple[int, int]
    pickup_service_s: int
    dropoff_service_s: int
    seats: int
    wheelchairs: int
    max_ride_s: int | None
    needs_assistant: bool = False
    travel_alone: bool = False
    allowed_vehicle_types: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class VehicleClass:
    """Identical vehicles: one vehicle type in one seating layout, with or without PA.

    ``seats`` is what is left for pupils (a passenger assistant already took one).
    ``fixed_cost`` is per vehicle used on this run, ``cost_per_m`` per metre driven,
    both in objective units. ``start_loc``/``end_loc`` None means the route starts at its
    first pickup / ends at its last drop-off (no empty running counted).
    """

    vehicle_type: str
    seats: int
    wheelchair_places: int
    has_assistant: bool
    fixed_cost: int
    cost_per_m: int
    max_duration_s: int
    num_available: int | None
    start_loc: int | None = None
    end_loc: int | None = None


@dataclass(frozen=True)
class Problem:
    """One run's routing problem, ready for the solver and the checker."""

    name: str
    run: Run
    location_ids: tuple[str, ...]
    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]
    requests: tuple[Request, ...]
    vehicle_classes: tuple[VehicleClass, ...]
    incompatible: tuple[tuple[str, str], ...] = ()  # request ids never on one vehicle
    same_vehicle: tuple[tuple[str, ...], ...] = ()  # request ids that share a vehicle
    horizon_s: tuple[int, int] = (0, 24 * 3600)
    objective: ObjectiveKind = ObjectiveKind.COST
    cost_units_per_pence: int = 1000
    max_vehicles: int | None = None  # a fleet cap over all classes (benchmarks' K)
    lons: tuple[float, ...] = ()
    lats: tuple[float, ...] = ()
    allow_mixed_schools: bool = True
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.location_ids)
        if self.duration_s.shape != (n, n) or self.distance_m.shape != (n, n):
            msg = f"Problem '{self.name}' matrices do not match its {n} locations."
            raise InvalidScenarioError(msg)
        ids = [r.request_id for r in self.requests]
        if len(set(ids)) != len(ids):
            msg = f"Problem '{self.name}' has duplicate request ids."
            raise InvalidScenarioError(msg)
        if not self.vehicle_classes:
            msg = f"Problem '{self.name}' has no vehicle classes."
            raise InvalidScenarioError(msg)

    def request(self, request_id: str) -> Request:
        for r in self.requests:
            if r.request_id == request_id:
                return r
        msg = f"Unknown request '{request_id}'."
        raise InvalidScenarioError(msg)
