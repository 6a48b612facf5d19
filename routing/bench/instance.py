"""A public benchmark instance as read from its file, and its mapping to a Problem.

Both formats (Cordeau's dial-a-ride files and Solomon's VRPTW files) are read into one
:class:`BenchInstance` that keeps the file's own numbers (double-precision coordinates,
node ids as in the file), so results can be reported in the literature's units, and is
turned into the product's solver-ready :class:`routing.problem.Problem` by
:func:`to_problem`.

Scaling: the Problem is integer. Every time and distance is multiplied by ``scale``
(default 1000, so 1 unit of the file = 1000 units of the Problem). Travel times are
rounded *up* (a plan that is feasible in integers is then feasible in the file's double
precision too); distances are rounded to nearest (the objective). The scale is recorded
in ``Problem.notes`` as ``"bench_scale=<int>"``; :func:`problem_scale` reads it back.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.model import Run
from routing.problem import ObjectiveKind, Problem, Request, VehicleClass

DEFAULT_SCALE = 1000
_SCALE_NOTE = "bench_scale="
BENCH_VEHICLE_TYPE = "bench"
BENCH_SCHOOL_ID = "bench"
_EPS = 1e-6


@dataclass(frozen=True)
class BenchRequest:
    """One transport request of an instance, by node position (0-based row of the file)."""

    pickup_idx: int
    dropoff_idx: int
    load: int


@dataclass(frozen=True)
class BenchInstance:
    """A benchmark instance in the file's own units (double precision).

    ``node_ids`` are the ids as written in the file (Cordeau: 0..2n(+1); Solomon as in the
    file, the depot first). Row ``start_idx`` is the start depot and ``end_idx`` the end
    depot (the same row when the file has no separate end depot). ``requests`` pair a
    pickup row with a drop-off row. For VRPTW (``family == "vrptw"``) each customer is a
    request whose pickup is the depot at time 0 and whose drop-off is the customer: the
    goods are loaded at the depot when the vehicle leaves, and none can be loaded later.
    """

    name: str
    family: str  # "darp" or "vrptw"
    node_ids: tuple[int, ...]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    service: npt.NDArray[np.float64]
    early: npt.NDArray[np.float64]
    late: npt.NDArray[np.float64]
    requests: tuple[BenchRequest, ...]
    num_vehicles: int
    capacity: int
    max_route_duration: float
    max_ride: float | None
    start_idx: int = 0
    end_idx: int = 0
    source: str = ""

    @property
    def num_requests(self) -> int:
        return len(self.requests)

    def distances(self) -> npt.NDArray[np.float64]:
        """Euclidean distance between every two rows, double precision (= travel time)."""
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        return np.asarray(np.sqrt(dx * dx + dy * dy), dtype=np.float64)

    def route_distance(self, node_ids: Sequence[int], *, truncate1: bool = False) -> float:
        """Length of a route given as node ids as in the file, double precision.

        ``truncate1`` truncates each arc to one decimal (the exact VRPTW literature's
        convention, ``vrptw_dist_trunc1`` in the BKS table).
        """
        pos = {nid: i for i, nid in enumerate(self.node_ids)}
        d = self.distances()
        total = 0.0
        for a, b in itertools.pairwise(node_ids):
            arc = float(d[pos[a], pos[b]])
            total += math.floor(arc * 10 + 1e-9) / 10 if truncate1 else arc
        return total


def to_problem(instance: BenchInstance, *, scale: int = DEFAULT_SCALE) -> Problem:
    """Map a benchmark instance to the product's solver-ready Problem.

    Parameters
    ----------
    instance
        The instance as read by :func:`routing.bench.cordeau.read_cordeau` or
        :func:`routing.bench.solomon.read_solomon`.
    scale
        Problem units per file unit (times and distances).

    Returns
    -------
    Problem
        ``location_ids`` are the file's node ids as strings; objective ``DISTANCE``;
        ``max_vehicles`` = the instance's fleet; one vehicle class (capacity, start/end
        depot, maximum route duration).
    """
    d = instance.distances()
    duration = np.ceil(d * scale - _EPS).astype(np.int64)
    np.fill_diagonal(duration, 0)
    distance = np.rint(d * scale).astype(np.int64)

    def t_early(i: int) -> int:
        return math.ceil(float(instance.early[i]) * scale - _EPS)

    def t_late(i: int) -> int:
        return math.floor(float(instance.late[i]) * scale + _EPS)

    def service(i: int) -> int:
        return round(float(instance.service[i]) * scale)

    max_ride = None if instance.max_ride is None else math.floor(instance.max_ride * scale + _EPS)
    requests: list[Request] = []
    for req in instance.requests:
        rid = (
            str(instance.node_ids[req.pickup_idx])
            if instance.family == "darp"
            else str(instance.node_ids[req.dropoff_idx])
        )
        pickup_window = (t_early(req.pickup_idx), t_late(req.pickup_idx))
        if instance.family == "vrptw":
            # Loaded at the depot when the vehicle leaves: a later visit to the depot
            # cannot load more (VRPTW routes are single trips).
            pickup_window = (t_early(instance.start_idx), t_early(instance.start_idx))
        requests.append(
            Request(
                request_id=rid,
                pupil_ids=(rid,),
                school_id=BENCH_SCHOOL_ID,
                pickup_loc=req.pickup_idx,
                dropoff_loc=req.dropoff_idx,
                pickup_window_s=pickup_window,
                dropoff_window_s=(t_early(req.dropoff_idx), t_late(req.dropoff_idx)),
                pickup_service_s=0 if instance.family == "vrptw" else service(req.pickup_idx),
                dropoff_service_s=service(req.dropoff_idx),
                seats=req.load,
                wheelchairs=0,
                max_ride_s=max_ride,
            )
        )
    vehicle = VehicleClass(
        vehicle_type=BENCH_VEHICLE_TYPE,
        seats=instance.capacity,
        wheelchair_places=0,
        has_assistant=False,
        fixed_cost=0,
        cost_per_m=1,
        max_duration_s=math.floor(instance.max_route_duration * scale + _EPS),
        num_available=instance.num_vehicles,
        start_loc=instance.start_idx,
        end_loc=instance.end_idx,
    )
    return Problem(
        name=instance.name,
        run=Run.AM,
        location_ids=tuple(str(n) for n in instance.node_ids),
        duration_s=duration,
        distance_m=distance,
        requests=tuple(requests),
        vehicle_classes=(vehicle,),
        horizon_s=(t_early(instance.start_idx), t_late(instance.end_idx)),
        objective=ObjectiveKind.DISTANCE,
        cost_units_per_pence=1,
        max_vehicles=instance.num_vehicles,
        allow_mixed_schools=True,
        notes=(
            f"{_SCALE_NOTE}{scale}",
            f"bench_family={instance.family}",
            f"source={instance.source}",
        ),
    )


def problem_scale(problem: Problem) -> int:
    """The scale a benchmark Problem was built with (1 when it is not a benchmark)."""
    for note in problem.notes:
        if note.startswith(_SCALE_NOTE):
            return int(note[len(_SCALE_NOTE) :])
    return 1
