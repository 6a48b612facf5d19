"""Synthetic scenarios and a great-circle travel matrix, for tests and measurements.

Seeded and reproducible. Nothing here is real data: the pupils, schools and prices are
made up with shapes like a London borough's SEND transport (special schools, a mix of
wheelchair users, passenger-assistant needs, siblings, incompatible pairs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from routing.matrix import (
    DEPOT_LOCATION_ID,
    TravelMatrix,
    great_circle_m,
    pupil_location_id,
    school_location_id,
)
from routing.model import (
    IncompatiblePair,
    Needs,
    Policy,
    Pupil,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)

# Havering-like box (lon, lat).
_BOX = (0.12, 51.50, 0.33, 51.63)


def default_vehicle_types() -> tuple[VehicleType, ...]:
    """Taxi, MPV, wheelchair-accessible vehicle and minibus at council-like prices."""
    return (
        VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000,
                    cost_per_mile_pence=150, max_shift_s=3 * 3600),
        VehicleType("mpv", VehicleCategory.MPV, 6, day_rate_pence=11000,
                    cost_per_mile_pence=170, max_shift_s=3 * 3600),
        VehicleType("wav", VehicleCategory.WAV, 6, max_wheelchair_places=2,
                    seats_per_wheelchair_place=2, day_rate_pence=14000,
                    cost_per_mile_pence=190, max_shift_s=3 * 3600),
        VehicleType("minibus", VehicleCategory.MINIBUS, 16, max_wheelchair_places=2,
                    seats_per_wheelchair_place=2, day_rate_pence=21000,
                    cost_per_mile_pence=230, max_shift_s=4 * 3600),
    )  # fmt: skip


def synthetic_scenario(
    num_pupils: int,
    num_schools: int,
    *,
    seed: int = 0,
    policy: Policy | None = None,
    vehicle_types: tuple[VehicleType, ...] | None = None,
    box: tuple[float, float, float, float] = _BOX,
) -> Scenario:
    """A random borough-like scenario (pupils near, not only at, their school's area).

    Parameters
    ----------
    num_pupils, num_schools
        How many of each.
    seed
        Random seed (same seed, same scenario).
    policy, vehicle_types
        Override the defaults.
    box
        (min lon, min lat, max lon, max lat) of the area.
    """
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = box
    schools = []
    for k in range(num_schools):
        am_start = int(rng.choice([8 * 3600 + 30 * 60, 8 * 3600 + 45 * 60, 9 * 3600]))
        schools.append(
            School(
                school_id=f"S{k + 1:03d}",
                name=f"School {k + 1}",
                lon=float(rng.uniform(lon0, lon1)),
                lat=float(rng.uniform(lat0, lat1)),
                kind=SchoolKind.SPECIAL if k % 3 == 0 else SchoolKind.RESOURCED,
                am_start_s=am_start,
                pm_end_s=am_start + 6 * 3600 + 30 * 60,
            )
        )
    weights = rng.uniform(0.3, 1.0, num_schools)
    weights /= weights.sum()
    pupils: list[Pupil] = []
    k = 0
    while len(pupils) < num_pupils:
        k += 1
        school = schools[int(rng.choice(num_schools, p=weights))]
        lon = float(np.clip(school.lon + rng.normal(0, 0.05), lon0 - 0.05, lon1 + 0.05))
        lat = float(np.clip(school.lat + rng.normal(0, 0.03), lat0 - 0.03, lat1 + 0.03))
        siblings = 1 if rng.random() > 0.05 else 2
        group = f"G{k:04d}" if siblings > 1 else ""
        for _ in range(min(siblings, num_pupils - len(pupils))):
            wheelchair = bool(rng.random() < 0.12)
            req = VehicleRequirement.NONE
            if wheelchair:
                req = VehicleRequirement.WHEELCHAIR_ACCESSIBLE
            elif rng.random() < 0.03:
                req = VehicleRequirement.SMALL_VEHICLE
            year = int(rng.integers(0, 15))
            needs = Needs(
                wheelchair=wheelchair,
                needs_assistant=bool(rng.random() < 0.2),
                travel_alone=bool(rng.random() < 0.03),
                vehicle_requirement=req,
                boarding_s=180 if wheelchair else 60,
                max_ride_s=30 * 60 if rng.random() < 0.05 else None,
            )
            pupils.append(
                Pupil(
                    pupil_id=f"P{len(pupils) + 1:04d}",
                    school_id=school.school_id,
                    lon=lon,
                    lat=lat,
                    year_group=year,
                    needs=needs,
                    sibling_group=group,
                )
            )
    pairs: list[IncompatiblePair] = []
    for _ in range(max(0, num_pupils // 40)):
        a, b = rng.choice(num_pupils, size=2, replace=False)
        pair = IncompatiblePair(pupils[int(a)].pupil_id, pupils[int(b)].pupil_id)
        if pair not in pairs:
            pairs.append(pair)
    return Scenario(
        name=f"synthetic-{num_pupils}-{seed}",
        schools=tuple(schools),
        pupils=tuple(pupils),
        vehicle_types=vehicle_types or default_vehicle_types(),
        policy=policy or Policy(),
        incompatible_pairs=tuple(pairs),
    )


def great_circle_matrix(
    scenario: Scenario, *, circuity: float = 1.35, speed_kph: float = 28.0
) -> TravelMatrix:
    """An approximate matrix: great-circle metres x circuity at one speed, plus 30 s."""
    ids = [school_location_id(s.school_id) for s in scenario.schools]
    lons = [s.lon for s in scenario.schools]
    lats = [s.lat for s in scenario.schools]
    ids += [pupil_location_id(p.pupil_id) for p in scenario.pupils]
    lons += [p.lon for p in scenario.pupils]
    lats += [p.lat for p in scenario.pupils]
    pol = scenario.policy
    if pol.depot_lon is not None and pol.depot_lat is not None:
        ids.append(DEPOT_LOCATION_ID)
        lons.append(pol.depot_lon)
        lats.append(pol.depot_lat)
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    metres = great_circle_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) * circuity
    distance = np.rint(metres).astype(np.int64)
    seconds = metres / (speed_kph / 3.6) + 30.0
    duration = np.rint(seconds).astype(np.int64)
    np.fill_diagonal(duration, 0)
    return TravelMatrix(
        location_ids=tuple(ids),
        lons=np.asarray(lons, dtype=np.float64),
        lats=np.asarray(lats, dtype=np.float64),
        duration_s=duration,
        distance_m=distance,
        model="approximate (great-circle distance x circuity, one speed; synthetic test data)",
        is_approximate=True,
        snap_distance_m=np.zeros(len(ids)),
    )


LINE_LAT = 51.5
LINE_S_PER_KM = 120  # 30 km/h
_KM_PER_DEG_LON = 111.32 * math.cos(math.radians(LINE_LAT))


def scenario_on_line(
    schools: dict[str, float],
    pupils: list[tuple[str, str, float, dict[str, object]]],
    *,
    vehicle_types: tuple[VehicleType, ...],
    policy: Policy | None = None,
    incompatible: tuple[tuple[str, str], ...] = (),
    depot_km: float | None = None,
    am_start_s: int = 9 * 3600,
) -> tuple[Scenario, TravelMatrix]:
    """A hand-checkable scenario on a straight road: 1 km = 1000 m = 120 s.

    Parameters
    ----------
    schools
        school_id -> position (km); every school rings at ``am_start_s`` and ends 6 h later.
    pupils
        (pupil_id, school_id, position km, extra Pupil fields such as ``needs``).
    vehicle_types, policy, incompatible
        As in :class:`Scenario`.
    depot_km
        Where the depot is (adds ``depot`` to the matrix and the policy).
    """
    sch = tuple(
        School(
            school_id=sid,
            name=sid,
            lon=x / _KM_PER_DEG_LON,
            lat=LINE_LAT,
            kind=SchoolKind.SPECIAL,
            am_start_s=am_start_s,
            pm_end_s=am_start_s + 6 * 3600,
        )
        for sid, x in schools.items()
    )
    pup = tuple(
        Pupil(
            pupil_id=pid,
            school_id=sid,
            lon=x / _KM_PER_DEG_LON,
            lat=LINE_LAT,
            year_group=int(extra.pop("year_group", 8)),  # type: ignore[call-overload]
            **extra,  # type: ignore[arg-type]
        )
        for pid, sid, x, extra in ((a, b, c, dict(d)) for a, b, c, d in pupils)
    )
    pol = policy or Policy()
    if depot_km is not None:
        from dataclasses import replace

        pol = replace(pol, depot_lon=depot_km / _KM_PER_DEG_LON, depot_lat=LINE_LAT)
    scenario = Scenario(
        name="line",
        schools=sch,
        pupils=pup,
        vehicle_types=vehicle_types,
        policy=pol,
        incompatible_pairs=tuple(IncompatiblePair(a, b) for a, b in incompatible),
    )
    ids = [school_location_id(s) for s in schools]
    xs = list(schools.values())
    ids += [pupil_location_id(p[0]) for p in pupils]
    xs += [p[2] for p in pupils]
    if depot_km is not None:
        ids.append(DEPOT_LOCATION_ID)
        xs.append(depot_km)
    km = np.abs(np.subtract.outer(np.asarray(xs), np.asarray(xs)))
    matrix = TravelMatrix(
        location_ids=tuple(ids),
        lons=np.asarray(xs) / _KM_PER_DEG_LON,
        lats=np.full(len(xs), LINE_LAT),
        duration_s=np.rint(km * LINE_S_PER_KM).astype(np.int64),
        distance_m=np.rint(km * 1000).astype(np.int64),
        model="straight road for tests (1 km = 120 s)",
        is_approximate=True,
        snap_distance_m=np.zeros(len(xs)),
    )
    return scenario, matrix


def line_matrix(
    positions_m: Mapping[str, int],
    *,
    lat: float = 51.5,
    west_lon: float = -0.2,
    speed_m_per_s: int = 10,
    model: str = "straight road (test)",
) -> TravelMatrix:
    """Travel on one straight road: each location at a position in metres along it.

    Distance is the gap in positions, drive time the distance / ``speed_m_per_s`` (whole
    seconds); lon grows 0.01 degree per km east of ``west_lon``, so maps stay sensible.
    Hand-checkable worlds for tests of the checker, costing and baseline.
    """
    ids = tuple(positions_m)
    x = np.array([positions_m[i] for i in ids], dtype=np.int64)
    distance = np.abs(x[:, None] - x[None, :]).astype(np.int64)
    return TravelMatrix(
        location_ids=ids,
        lons=west_lon + x / 100_000,
        lats=np.full(len(ids), lat),
        duration_s=distance // speed_m_per_s,
        distance_m=distance,
        model=model,
        is_approximate=True,
        snap_distance_m=np.zeros(len(ids)),
    )
