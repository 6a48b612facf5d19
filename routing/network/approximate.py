"""The approximate travel model, where there is no road network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from routing.matrix import great_circle_m
from routing.model import Policy
from routing.network.graph import KPH_TO_MPS

# Approximate model (no road network): speeds by distance band, applied to each band of a
# trip's estimated road distance in turn (the first 2 km at 20 km/h, the next 8 km at
# 30 km/h, the rest at 45 km/h). Marginal bands keep time increasing with distance: a
# whole-trip band would make a 2.1 km trip faster than a 1.9 km one. The values are
# door-to-door averages typical of outer-London school-run traffic (TfL reports average
# weekday speeds of about 20-30 km/h on outer-London roads, faster on the A12/A127/M25).
APPROX_SPEED_BANDS: tuple[tuple[float, float], ...] = (
    (2_000.0, 20.0),
    (10_000.0, 30.0),
    (math.inf, 45.0),
)


def approximate_duration_s(road_distance_m: Any, peak_travel_factor: float = 1.0) -> Any:
    """Drive time of an estimated road distance under :data:`APPROX_SPEED_BANDS`.

    Each band of the distance is driven at its band's speed in turn, so time rises with
    distance; the result is multiplied by ``peak_travel_factor``.

    Parameters
    ----------
    road_distance_m
        Estimated road distance(s), metres (a number or an array).
    peak_travel_factor
        Multiplies the time.

    Returns
    -------
    numpy.ndarray
        Seconds (float), the shape of ``road_distance_m``.
    """
    remaining = np.asarray(road_distance_m, dtype=np.float64)
    total_s = np.zeros_like(remaining)
    lower_m = 0.0
    for upper_m, speed_kph in APPROX_SPEED_BANDS:
        in_band = np.clip(remaining - lower_m, 0.0, upper_m - lower_m)
        total_s = total_s + in_band / (speed_kph * KPH_TO_MPS)
        lower_m = upper_m
    return total_s * peak_travel_factor


def approximate_model_words(policy: Policy) -> str:
    """The sentence that labels an approximate matrix.

    Parameters
    ----------
    policy
        Gives the circuity and peak factors quoted.

    Returns
    -------
    str
        Starts "APPROXIMATE travel times:", so no reader mistakes it for road times.
    """
    bands = ", ".join(
        (
            f"{speed:g} km/h beyond {lower / 1000:g} km"
            if math.isinf(upper)
            else f"{speed:g} km/h up to {upper / 1000:g} km"
        )
        for (upper, speed), lower in zip(
            APPROX_SPEED_BANDS, (0.0, *(b[0] for b in APPROX_SPEED_BANDS[:-1])), strict=True
        )
    )
    peak = (
        f", peak factor x {policy.peak_travel_factor:g}" if policy.peak_travel_factor != 1.0 else ""
    )
    return (
        "APPROXIMATE travel times: straight-line distance x "
        f"{policy.approx_circuity_factor:g}, banded speeds ({bands}){peak} "
        "(no road network in this scenario)"
    )


def approximate_matrix(
    lons: Sequence[float] | npt.NDArray[np.float64],
    lats: Sequence[float] | npt.NDArray[np.float64],
    policy: Policy,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Estimated drive times and distances where there is no road network.

    Distance = great-circle distance x ``policy.approx_circuity_factor``; time from
    :func:`approximate_duration_s` x ``policy.peak_travel_factor``.

    Returns
    -------
    tuple of (duration_s, distance_m)
        Integer n x n arrays, symmetric, zero diagonal.
    """
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    straight = great_circle_m(
        lon_arr[:, None], lat_arr[:, None], lon_arr[None, :], lat_arr[None, :]
    )
    road_m = straight * policy.approx_circuity_factor
    duration = approximate_duration_s(road_m, policy.peak_travel_factor)
    return np.rint(duration).astype(np.int64), np.rint(road_m).astype(np.int64)
