"""The route table an officer reviews beside the map: one row per route of a plan.

Plain data over a ``Plan`` (no scenario needed): the vehicle and assistant, how many
pupils and how full the vehicle gets, the first pickup and the last arrival, the longest
ride on board and what the run costs. Ride times come from :mod:`routing.rides`, the one
place a ride is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.model import Plan, Route, Run, StopKind
from routing.rides import ride_times_s


@dataclass(frozen=True, slots=True)
class RouteTableRow:
    """One route as the officer's table shows it.

    ``peak_on_board`` is the most pupils on board at once and ``num_places`` the places
    the layout leaves for pupils (seats plus wheelchair places, an assistant's seat
    already taken), so ``peak_on_board / num_places`` is the occupancy. ``first_pickup_s``
    is the first pickup's service start (AM: the first home; PM: leaving school) and
    ``arrival_s`` the last drop-off's (AM: at school; PM: the last pupil home), in seconds
    after midnight. ``longest_ride_s`` is the longest pupil's ride (0 with no pupil).
    """

    route_id: str
    run: Run
    vehicle_type: str
    has_assistant: bool
    num_pupils: int
    peak_on_board: int
    num_places: int
    first_pickup_s: int
    arrival_s: int
    longest_ride_s: int
    cost_pence: int
    distance_m: int
    duration_s: int
    school_ids: tuple[str, ...]

    @property
    def occupancy(self) -> float:
        """Peak pupils on board over the places for pupils (0.0 for a layout of none)."""
        return self.peak_on_board / self.num_places if self.num_places else 0.0


def peak_on_board(route: Route) -> int:
    """The most pupils on board at once along the route (drop-offs leave first)."""
    on_board: set[str] = set()
    peak = 0
    for stop in route.stops:
        if stop.kind is StopKind.DROPOFF:
            on_board.difference_update(stop.pupil_ids)
        else:
            on_board.update(stop.pupil_ids)
            peak = max(peak, len(on_board))
    return peak


def route_table(plan: Plan) -> list[RouteTableRow]:
    """One row per route of ``plan``, in the plan's order.

    Parameters
    ----------
    plan
        The plan (either or both runs).

    Returns
    -------
    list of RouteTableRow
        Times in seconds after midnight, money in pence, distance in metres.
    """
    rides = ride_times_s(plan)
    rows: list[RouteTableRow] = []
    for route in plan.routes:
        pupil_ids = route.pupil_ids()
        pickups = [s.service_start_s for s in route.stops if s.kind is StopKind.PICKUP]
        dropoffs = [s.service_start_s for s in route.stops if s.kind is StopKind.DROPOFF]
        rows.append(
            RouteTableRow(
                route_id=route.route_id,
                run=route.run,
                vehicle_type=route.vehicle_type,
                has_assistant=route.has_assistant,
                num_pupils=len(pupil_ids),
                peak_on_board=peak_on_board(route),
                num_places=route.seats + route.wheelchair_places,
                first_pickup_s=min(pickups, default=0),
                arrival_s=max(dropoffs, default=0),
                longest_ride_s=max(
                    (rides.get((route.run, pid), 0) for pid in pupil_ids), default=0
                ),
                cost_pence=route.cost_pence,
                distance_m=route.distance_m,
                duration_s=route.duration_s,
                school_ids=tuple(sorted({s.school_id for s in route.stops if s.school_id})),
            )
        )
    return rows
