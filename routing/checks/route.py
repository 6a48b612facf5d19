"""One route, stop by stop: membership, places, times, windows, rides, loads, distance.

The simulation both checkers share (:func:`simulate_route`): the scenario checker feeds it
one :class:`Item` per pupil, the benchmark checker one per request, and both measure legs
on a :class:`Travel` (a travel matrix or a problem's own arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from routing.checks.violations import (
    COORD_TOLERANCE_DEG,
    DISTANCE_TOLERANCE_M,
    TIME_TOLERANCE_S,
    Violation,
    ViolationKind,
)
from routing.model import Route, Stop, StopKind


@dataclass(frozen=True, slots=True)
class Item:
    """What the simulation carries: one pupil (scenario) or one request (problem)."""

    item_id: str
    pupil_ids: tuple[str, ...]
    seats: int
    wheelchairs: int
    pickup_service_s: int
    dropoff_service_s: int
    pickup_locations: frozenset[str]
    dropoff_locations: frozenset[str]
    pickup_window_s: tuple[int, int] | None
    dropoff_window_s: tuple[int, int] | None
    max_ride_s: int | None
    travel_alone: bool

    @property
    def label(self) -> str:
        return ",".join(self.pupil_ids)


class Travel:
    """Durations and distances between location ids (a matrix or a problem's arrays)."""

    def __init__(
        self,
        location_ids: Sequence[str],
        duration_s: npt.NDArray[np.int64],
        distance_m: npt.NDArray[np.int64],
        lons: Sequence[float] | npt.NDArray[np.float64] = (),
        lats: Sequence[float] | npt.NDArray[np.float64] = (),
    ) -> None:
        self._row = {loc: i for i, loc in enumerate(location_ids)}
        self._duration = duration_s
        self._distance = distance_m
        n = len(location_ids)
        self._has_coords = len(lons) == n and len(lats) == n and n > 0
        self._lons = lons
        self._lats = lats

    def row(self, location_id: str) -> int | None:
        return self._row.get(location_id)

    def leg(self, a: int, b: int) -> tuple[int, int]:
        """(duration_s, distance_m) from row a to row b."""
        return int(self._duration[a, b]), int(self._distance[a, b])

    def coords_differ(self, row: int, lon: float, lat: float) -> bool:
        if not self._has_coords:
            return False
        return (
            abs(float(self._lons[row]) - lon) > COORD_TOLERANCE_DEG
            or abs(float(self._lats[row]) - lat) > COORD_TOLERANCE_DEG
        )


@dataclass(slots=True)
class RouteTrace:
    """What one route's simulation found."""

    violations: list[Violation] = field(default_factory=list)
    pupil_ids: list[str] = field(default_factory=list)  # known pupils, first appearance order
    item_ids: list[str] = field(default_factory=list)  # items picked up on the route
    ride_s: dict[str, int] = field(default_factory=dict)  # item_id -> ride seconds
    distance_m: int | None = None  # None when a leg could not be measured
    duration_s: int | None = None
    start_s: int | None = None
    end_s: int | None = None


def simulate_route(
    route: Route,
    items: Mapping[str, Item],
    travel: Travel,
    *,
    start_loc: str | None,
    end_loc: str | None,
    max_duration_s: int | None,
) -> RouteTrace:
    """Walk one route stop by stop: membership, places, times, windows, rides, loads.

    ``items`` maps every pupil id the route may carry to its item. ``start_loc`` /
    ``end_loc`` are where the route's distance and duration are counted from / to (None:
    from the first stop / to the last stop).
    """
    walk = _Walk(route, travel)
    walk.membership(items)
    walk.precedence()
    walk.places()
    distance_m, num_legs = walk.stop_times()
    walk.windows_and_rides()
    walk.loads()
    walk.distance_and_duration(distance_m, num_legs, start_loc, end_loc, max_duration_s)
    return walk.trace


class _Walk:
    """The state of one route's simulation, filled in phase by phase (in this order)."""

    def __init__(self, route: Route, travel: Travel) -> None:
        self.route = route
        self.stops: tuple[Stop, ...] = route.stops
        self.travel = travel
        self.trace = RouteTrace()
        self.where = f"route '{route.route_id}'"
        self.pick: dict[str, int] = {}  # item_id -> index of the stop that picks it up
        self.drop: dict[str, int] = {}  # item_id -> index of the stop that drops it off
        self.served_here: list[list[Item]] = [[] for _ in self.stops]
        self.by_id: dict[str, Item] = {}
        self.rows: list[int | None] = []

    def add(self, kind: ViolationKind, pupil_id: str, message: str) -> None:
        route = self.route
        self.trace.violations.append(Violation(kind, route.run, route.route_id, pupil_id, message))

    def membership(self, items: Mapping[str, Item]) -> None:
        """Which stop picks up / drops off each item; unknown, twice-served, misplaced."""
        where = self.where
        seen: set[tuple[StopKind, str]] = set()
        known_pupils: dict[str, None] = {}
        for i, stop in enumerate(self.stops):
            is_pickup = stop.kind is StopKind.PICKUP
            verb = "picked up" if is_pickup else "dropped off"
            for pid in stop.pupil_ids:
                item = items.get(pid)
                if item is None:
                    self.add(
                        ViolationKind.UNKNOWN,
                        pid,
                        f"Pupil '{pid}' on {where} stop {i + 1} is not a pupil of this run's data.",
                    )
                    continue
                known_pupils.setdefault(pid, None)
                if (stop.kind, pid) in seen:
                    self.add(
                        ViolationKind.DUPLICATE, pid, f"Pupil '{pid}' is {verb} twice on {where}."
                    )
                    continue
                seen.add((stop.kind, pid))
                self._serve(i, stop, item, pid, verb)
        self.trace.pupil_ids = list(known_pupils)
        self.trace.item_ids = list(self.pick)
        self.by_id = {item.item_id: item for here in self.served_here for item in here}

    def _serve(self, i: int, stop: Stop, item: Item, pid: str, verb: str) -> None:
        is_pickup = stop.kind is StopKind.PICKUP
        target = self.pick if is_pickup else self.drop
        first = target.get(item.item_id)
        if first is None:
            target[item.item_id] = i
            self.served_here[i].append(item)
            expected = item.pickup_locations if is_pickup else item.dropoff_locations
            if stop.location_id not in expected:
                self.add(
                    ViolationKind.WRONG_LOCATION,
                    item.label,
                    f"Pupil '{item.label}' is {verb} at '{stop.location_id}' on {self.where}, "
                    f"expected {' or '.join(sorted(expected))}.",
                )
        elif first != i:
            self.add(
                ViolationKind.SIBLINGS,
                pid,
                f"Pupil '{pid}' of request '{item.item_id}' is {verb} at stop {i + 1} of "
                f"{self.where}, apart from the rest of the request (stop {first + 1}).",
            )

    def precedence(self) -> None:
        """Every item served here is picked up, then dropped off."""
        where = self.where
        for item_id, item in self.by_id.items():
            p, d = self.pick.get(item_id), self.drop.get(item_id)
            if p is None:
                message = f"Pupil '{item.label}' is dropped off on {where} but never picked up."
            elif d is None:
                message = f"Pupil '{item.label}' is picked up on {where} but never dropped off."
            elif d < p:
                message = (
                    f"Pupil '{item.label}' is dropped off (stop {d + 1}) before being picked "
                    f"up (stop {p + 1}) on {where}."
                )
            else:
                continue
            self.add(ViolationKind.PRECEDENCE, item.label, message)

    def places(self) -> None:
        """Each stop's location is in the matrix, and its lon/lat are that location's."""
        for i, stop in enumerate(self.stops):
            row = self.travel.row(stop.location_id)
            self.rows.append(row)
            who = stop.pupil_ids[0] if stop.pupil_ids else ""
            if row is None:
                self.add(
                    ViolationKind.WRONG_LOCATION,
                    who,
                    f"Stop {i + 1} of {self.where} is at '{stop.location_id}', which is not in "
                    "the travel matrix.",
                )
            elif self.travel.coords_differ(row, stop.lon, stop.lat):
                self.add(
                    ViolationKind.WRONG_LOCATION,
                    who,
                    f"Stop {i + 1} of {self.where} is placed at ({stop.lon}, {stop.lat}), away "
                    f"from its location '{stop.location_id}'.",
                )

    def stop_times(self) -> tuple[int, int]:
        """Arrival after the leg, service after arrival, departure after service.

        Returns the metres and the number of legs measured between the stops.
        """
        where, stops, rows = self.where, self.stops, self.rows
        distance_m = 0
        num_legs = 0
        for i, stop in enumerate(stops):
            who = stop.pupil_ids[0] if stop.pupil_ids else ""
            service = sum(
                it.pickup_service_s if stop.kind is StopKind.PICKUP else it.dropoff_service_s
                for it in self.served_here[i]
            )
            a, b = (rows[i - 1], rows[i]) if i > 0 else (None, None)
            if a is not None and b is not None:
                prev = stops[i - 1]
                leg_s, leg_m = self.travel.leg(a, b)
                distance_m += leg_m
                num_legs += 1
                if stop.arrival_s < prev.departure_s + leg_s - TIME_TOLERANCE_S:
                    self.add(
                        ViolationKind.TIME,
                        who,
                        f"Stop {i + 1} of {where} is reached at {stop.arrival_s} s but the "
                        f"vehicle leaves stop {i} at {prev.departure_s} s and the leg takes "
                        f"{leg_s} s.",
                    )
            if stop.service_start_s < stop.arrival_s - TIME_TOLERANCE_S:
                self.add(
                    ViolationKind.TIME,
                    who,
                    f"Stop {i + 1} of {where} starts service at {stop.service_start_s} s, "
                    f"before the vehicle arrives at {stop.arrival_s} s.",
                )
            if abs(stop.departure_s - (stop.service_start_s + service)) > TIME_TOLERANCE_S:
                self.add(
                    ViolationKind.TIME,
                    who,
                    f"Stop {i + 1} of {where} departs at {stop.departure_s} s; service from "
                    f"{stop.service_start_s} s takes {service} s.",
                )
        return distance_m, num_legs

    def windows_and_rides(self) -> None:
        """Each item's pickup and drop-off inside its windows, its ride inside its limit."""
        stops, where = self.stops, self.where
        for item_id, item in self.by_id.items():
            p, d = self.pick.get(item_id), self.drop.get(item_id)
            for idx, window, what in (
                (p, item.pickup_window_s, "pickup"),
                (d, item.dropoff_window_s, "drop-off"),
            ):
                if idx is None or window is None:
                    continue
                start = stops[idx].service_start_s
                if not window[0] <= start <= window[1]:
                    self.add(
                        ViolationKind.WINDOW,
                        item.label,
                        f"Pupil '{item.label}' {what} on {where} starts at {start} s, outside "
                        f"the window {window[0]}-{window[1]} s.",
                    )
            if p is not None and d is not None and d > p:
                ride = stops[d].service_start_s - stops[p].departure_s
                self.trace.ride_s[item_id] = ride
                if item.max_ride_s is not None and ride > item.max_ride_s:
                    self.add(
                        ViolationKind.MAX_RIDE_TIME,
                        item.label,
                        f"Pupil '{item.label}' rides {ride} s on {where}, over the limit of "
                        f"{item.max_ride_s} s.",
                    )

    def loads(self) -> None:
        """Drop-offs leave, pickups board; seats, wheelchairs and travel-alone after each."""
        on_board: dict[str, Item] = {}
        alone_reported: set[str] = set()
        for i, stop in enumerate(self.stops):
            boarded: list[Item] = []
            for item in self.served_here[i]:
                if stop.kind is StopKind.DROPOFF:
                    on_board.pop(item.item_id, None)
                elif item.item_id in self.pick and self.drop.get(item.item_id, len(self.stops)) > i:
                    on_board[item.item_id] = item
                    boarded.append(item)
            if boarded:
                self._places_after_boarding(i, boarded, on_board)
                self._travel_alone(i, on_board, alone_reported)

    def _places_after_boarding(
        self, i: int, boarded: list[Item], on_board: Mapping[str, Item]
    ) -> None:
        route, where = self.route, self.where
        seats = sum(it.seats for it in on_board.values())
        chairs = sum(it.wheelchairs for it in on_board.values())
        for kind, over, who, what in (
            (
                ViolationKind.LOAD,
                seats > route.seats,
                [it for it in boarded if it.seats],
                f"{seats} pupils need a seat but the vehicle has {route.seats} for pupils.",
            ),
            (
                ViolationKind.WHEELCHAIR,
                chairs > route.wheelchair_places,
                [it for it in boarded if it.wheelchairs],
                f"{chairs} wheelchair users are on board but the vehicle has "
                f"{route.wheelchair_places} wheelchair places.",
            ),
        ):
            for item in who if over else ():
                self.add(
                    kind,
                    item.label,
                    f"After pupil '{item.label}' boards at stop {i + 1} of {where}, {what}",
                )

    def _travel_alone(self, i: int, on_board: Mapping[str, Item], reported: set[str]) -> None:
        if len(on_board) <= 1:
            return
        for item in on_board.values():
            if item.travel_alone and item.item_id not in reported:
                reported.add(item.item_id)
                others = sorted(o.label for o in on_board.values() if o is not item)
                self.add(
                    ViolationKind.TRAVEL_ALONE,
                    item.label,
                    f"Pupil '{item.label}' must travel alone but shares {self.where} with "
                    f"{', '.join(others)} after stop {i + 1}.",
                )

    def distance_and_duration(
        self,
        distance_m: int,
        num_legs: int,
        start_loc: str | None,
        end_loc: str | None,
        max_duration_s: int | None,
    ) -> None:
        """Distance and duration, with the empty running to/from the depot if counted."""
        stops, rows, trace = self.stops, self.rows, self.trace
        if not stops:
            trace.distance_m, trace.duration_s = 0, 0
            return
        if not all(r is not None for r in rows):
            return
        start_s = stops[0].arrival_s
        end_s = stops[-1].departure_s
        for loc, first_row, is_start in ((start_loc, rows[0], True), (end_loc, rows[-1], False)):
            if loc is None or first_row is None:
                continue
            depot_row = self.travel.row(loc)
            if depot_row is None:
                self.add(
                    ViolationKind.WRONG_LOCATION,
                    "",
                    f"{self.where} starts or ends at '{loc}', which is not in the travel matrix.",
                )
                return
            leg_s, leg_m = (
                self.travel.leg(depot_row, first_row)
                if is_start
                else self.travel.leg(first_row, depot_row)
            )
            distance_m += leg_m
            num_legs += 1
            if is_start:
                start_s -= leg_s
            else:
                end_s += leg_s
        trace.distance_m = distance_m
        trace.duration_s = end_s - start_s
        trace.start_s, trace.end_s = start_s, end_s
        self._stated_distance_and_duration(distance_m, num_legs, end_s - start_s, max_duration_s)

    def _stated_distance_and_duration(
        self, distance_m: int, num_legs: int, duration_s: int, max_duration_s: int | None
    ) -> None:
        route, where = self.route, self.where
        if abs(route.distance_m - distance_m) > DISTANCE_TOLERANCE_M * num_legs:
            self.add(
                ViolationKind.DISTANCE,
                "",
                f"{where} states distance_m {route.distance_m} but its {num_legs} legs measure "
                f"{distance_m} m on the matrix.",
            )
        if abs(route.duration_s - duration_s) > TIME_TOLERANCE_S:
            self.add(
                ViolationKind.TIME,
                "",
                f"{where} states duration_s {route.duration_s} but its stops take {duration_s} s.",
            )
        if max_duration_s is not None and duration_s > max_duration_s:
            self.add(
                ViolationKind.SHIFT,
                "",
                f"{where} takes {duration_s} s, over the shift of {max_duration_s} s.",
            )
