"""The travel matrix: drive times and distances between a scenario's locations.

* :class:`TravelMatrix` holds them, row/column ``i`` being ``location_ids[i]``;
  :meth:`TravelMatrix.is_reachable` says whether a pair has a path.
* :func:`pupil_location_id`, :func:`school_location_id` and :data:`DEPOT_LOCATION_ID`
  name the rows.
* :data:`UNREACHABLE_S` / :data:`UNREACHABLE_M` are the one "no path" entry.
* :func:`great_circle_m` is the one great-circle distance (on :data:`EARTH_RADIUS_M`).

Only numpy: solver worker processes import this module, and the road-network code
(osmnx, scipy) that builds a matrix lives in :mod:`routing.network`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from routing.errors import InvalidScenarioError

UNREACHABLE_S = 100_000_000
"""``duration_s`` of a pair that has no path (an unreachable location's row and column).

An entry at or above it, or below zero, means "no path" (see :meth:`TravelMatrix.is_reachable`).
"""

UNREACHABLE_M = 100_000_000
"""``distance_m`` of a pair that has no path."""

EARTH_RADIUS_M = 6_371_008.8
"""Mean radius of the Earth (IUGG), metres, as OSMnx uses: every great-circle distance's."""

DEPOT_LOCATION_ID = "depot"


def pupil_location_id(pupil_id: str) -> str:
    """Row name of a pupil's home: ``pupil:P0001``."""
    return f"pupil:{pupil_id}"


def school_location_id(school_id: str) -> str:
    """Row name of a school's gate: ``school:102362``."""
    return f"school:{school_id}"


def collection_point_location_id(point_id: str) -> str:
    """Row name of a collection point: ``point:CP01``."""
    return f"point:{point_id}"


@dataclass(frozen=True)
class TravelMatrix:
    """Drive times and distances between every pair of a scenario's locations.

    Row/column ``i`` is ``location_ids[i]`` (``pupil:P0001``, ``school:102362``,
    ``depot``) at ``lons[i]``, ``lats[i]``. ``duration_s[i, j]`` and ``distance_m[i, j]``
    are integers. ``model`` says which travel model produced them, in words a user will
    notice; ``is_approximate`` is True when no road network was used.
    ``snap_distance_m[i]`` is how far the point is from the road it snaps to, metres (0 if
    approximate). ``unreachable`` lists the location ids that cannot be reached on the road
    network (their rows and columns hold :data:`UNREACHABLE_S` / :data:`UNREACHABLE_M`).
    """

    location_ids: tuple[str, ...]
    lons: npt.NDArray[np.float64]
    lats: npt.NDArray[np.float64]
    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]
    model: str
    is_approximate: bool
    snap_distance_m: npt.NDArray[np.float64]
    unreachable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.location_ids)
        if self.duration_s.shape != (n, n) or self.distance_m.shape != (n, n):
            msg = (
                f"TravelMatrix of {n} locations has duration_s {self.duration_s.shape} "
                f"and distance_m {self.distance_m.shape}."
            )
            raise InvalidScenarioError(msg)
        if len(set(self.location_ids)) != n:
            msg = "TravelMatrix location_ids must be unique."
            raise InvalidScenarioError(msg)
        object.__setattr__(self, "_index", {loc: i for i, loc in enumerate(self.location_ids)})
        unknown = [loc for loc in self.unreachable if loc not in self.location_ids]
        if unknown:
            msg = f"TravelMatrix unreachable lists unknown location '{unknown[0]}'."
            raise InvalidScenarioError(msg)

    def index(self, location_id: str) -> int:
        """Row of ``location_id``; raises if the matrix does not hold it."""
        try:
            return self._index[location_id]  # type: ignore[attr-defined, no-any-return]
        except KeyError as err:
            msg = f"Location '{location_id}' is not in the travel matrix."
            raise InvalidScenarioError(msg) from err

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._index  # type: ignore[attr-defined]

    def is_reachable(self, from_idx: int, to_idx: int) -> bool:
        """Whether row ``from_idx`` has a path to column ``to_idx``.

        False when the entry is :data:`UNREACHABLE_S` or more, or negative.
        """
        return 0 <= int(self.duration_s[from_idx, to_idx]) < UNREACHABLE_S


@overload
def great_circle_m(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float: ...


@overload
def great_circle_m(
    lon_a: npt.NDArray[Any],
    lat_a: npt.NDArray[Any],
    lon_b: npt.NDArray[Any],
    lat_b: npt.NDArray[Any],
) -> npt.NDArray[np.float64]: ...


def great_circle_m(lon_a: Any, lat_a: Any, lon_b: Any, lat_b: Any) -> Any:
    """Great-circle (haversine) distance between points, metres.

    Parameters
    ----------
    lon_a, lat_a, lon_b, lat_b
        The points, degrees: four numbers, or arrays that broadcast together
        (``lons[:, None], lats[:, None], lons[None, :], lats[None, :]`` for every pair).

    Returns
    -------
    float or numpy.ndarray
        Metres on a sphere of radius :data:`EARTH_RADIUS_M`: a float for four numbers,
        else an array of the broadcast shape.
    """
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon_a, lat_a, lon_b, lat_b)
    )
    h = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    metres = np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))
    return float(metres) if metres.ndim == 0 else metres


__all__ = [
    "DEPOT_LOCATION_ID",
    "EARTH_RADIUS_M",
    "UNREACHABLE_M",
    "UNREACHABLE_S",
    "TravelMatrix",
    "collection_point_location_id",
    "great_circle_m",
    "pupil_location_id",
    "school_location_id",
]
