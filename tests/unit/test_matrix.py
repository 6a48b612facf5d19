"""The travel matrix, its one "no path" entry and the one great-circle distance."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from routing.matrix import (
    EARTH_RADIUS_M,
    UNREACHABLE_M,
    UNREACHABLE_S,
    TravelMatrix,
    great_circle_m,
)


def _matrix(duration_s: list[list[int]]) -> TravelMatrix:
    d = np.asarray(duration_s, dtype=np.int64)
    n = len(d)
    return TravelMatrix(
        location_ids=tuple(f"pupil:P{i}" for i in range(n)),
        lons=np.zeros(n),
        lats=np.zeros(n),
        duration_s=d,
        distance_m=np.where(d >= UNREACHABLE_S, UNREACHABLE_M, d * 10),
        model="test",
        is_approximate=True,
        snap_distance_m=np.zeros(n),
    )


def test_is_reachable_reads_the_one_sentinel_both_ways() -> None:
    m = _matrix([[0, 60, UNREACHABLE_S], [UNREACHABLE_S + 5, 0, -1], [UNREACHABLE_S - 1, 30, 0]])
    assert m.is_reachable(0, 1)
    assert m.is_reachable(0, 0)
    assert not m.is_reachable(0, 2)  # the sentinel itself
    assert not m.is_reachable(1, 0)  # above it
    assert not m.is_reachable(1, 2)  # negative: no path either
    assert m.is_reachable(2, 0)  # just below it is a (very long) path


def test_great_circle_of_one_degree_along_a_meridian() -> None:
    # Oakham's meridian, 52 to 53 degrees north: an arc of 1/360 of a great circle.
    assert great_circle_m(-0.73, 52.0, -0.73, 53.0) == pytest.approx(111_195.08, abs=0.01)
    assert great_circle_m(-0.73, 52.0, -0.73, 53.0) == pytest.approx(
        2 * math.pi * EARTH_RADIUS_M / 360, rel=1e-12
    )


def test_great_circle_of_a_quarter_of_the_equator_and_london_to_paris() -> None:
    assert great_circle_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(10_007_557, abs=1)
    # Charing Cross to Notre-Dame: about 343.8 km as the crow flies.
    assert great_circle_m(-0.1246, 51.5080, 2.3499, 48.8530) == pytest.approx(343_800, rel=1e-3)


def test_great_circle_broadcasts_to_every_pair() -> None:
    lons = np.array([0.0, 0.0, 1.0])
    lats = np.array([51.0, 52.0, 51.0])
    pairs = great_circle_m(lons[:, None], lats[:, None], lons[None, :], lats[None, :])
    assert pairs.shape == (3, 3)
    assert np.allclose(pairs, pairs.T)
    assert np.all(np.diag(pairs) == 0.0)
    assert pairs[0, 1] == pytest.approx(great_circle_m(0.0, 51.0, 0.0, 52.0), rel=1e-12)
    assert isinstance(great_circle_m(0.0, 51.0, 0.0, 52.0), float)


def test_importing_the_matrix_loads_no_road_network_library() -> None:
    code = (
        "import sys, routing.matrix; "
        "print(sorted(m for m in ('osmnx', 'geopandas', 'networkx', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
