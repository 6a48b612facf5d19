"""Road graphs, snapping points to them, and travel matrices.

(Being built: see issue 2, section 4. ``TravelMatrix`` is the interface the rest of the
package relies on.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.errors import InvalidScenarioError


@dataclass(frozen=True)
class TravelMatrix:
    """Drive times and distances between every pair of a scenario's locations.

    Row/column ``i`` is ``location_ids[i]`` (``pupil:P0001``, ``school:102362``,
    ``depot``) at ``lons[i]``, ``lats[i]``. ``duration_s[i, j]`` and ``distance_m[i, j]``
    are integers. ``model`` says which travel model produced them, in words a user will
    notice; ``is_approximate`` is True when no road network was used.
    ``snap_distance_m[i]`` is how far the point is from its graph node (0 if approximate).
    """

    location_ids: tuple[str, ...]
    lons: npt.NDArray[np.float64]
    lats: npt.NDArray[np.float64]
    duration_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64]
    model: str
    is_approximate: bool
    snap_distance_m: npt.NDArray[np.float64]

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
        object.__setattr__(
            self, "_index", {loc: i for i, loc in enumerate(self.location_ids)}
        )

    def index(self, location_id: str) -> int:
        """Row of ``location_id``; raises if the matrix does not hold it."""
        try:
            return self._index[location_id]  # type: ignore[attr-defined, no-any-return]
        except KeyError as err:
            msg = f"Location '{location_id}' is not in the travel matrix."
            raise InvalidScenarioError(msg) from err

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._index  # type: ignore[attr-defined]


def pupil_location_id(pupil_id: str) -> str:
    return f"pupil:{pupil_id}"


def school_location_id(school_id: str) -> str:
    return f"school:{school_id}"


DEPOT_LOCATION_ID = "depot"
