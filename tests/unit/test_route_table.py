"""The officer's route table: occupancy, first pickup, arrival, longest ride, cost."""

from __future__ import annotations

from routing.model import Plan, Route, Run, Stop, StopKind
from routing.route_table import peak_on_board, route_table


def _stop(kind: StopKind, pids: tuple[str, ...], t: int, school_id: str = "") -> Stop:
    return Stop(kind, pids, f"loc:{t}", 0.2, 51.5, t - 30, t, t + 60, school_id)


def _route(route_id: str, run: Run, stops: tuple[Stop, ...], **kw: int) -> Route:
    return Route(
        route_id=route_id,
        run=run,
        vehicle_type="minibus",
        seats=kw.get("seats", 8),
        wheelchair_places=kw.get("chairs", 1),
        has_assistant=True,
        stops=stops,
        distance_m=9000,
        duration_s=3000,
        cost_pence=kw.get("cost", 7000),
    )


AM = 8 * 3600
PM = 15 * 3600
# Two schools on one AM route: S1's pupils leave before P3 and P4 board, so at most
# three pupils are ever on board although four ride.
MIXED = _route(
    "R1",
    Run.AM,
    (
        _stop(StopKind.PICKUP, ("P1",), AM),
        _stop(StopKind.PICKUP, ("P2",), AM + 300),
        _stop(StopKind.PICKUP, ("P3",), AM + 600),
        _stop(StopKind.DROPOFF, ("P1", "P2"), AM + 1500, "S1"),
        _stop(StopKind.PICKUP, ("P4",), AM + 1800),
        _stop(StopKind.DROPOFF, ("P3", "P4"), AM + 2400, "S2"),
    ),
)
HOME = _route(
    "R1",
    Run.PM,
    (
        _stop(StopKind.PICKUP, ("P1", "P2"), PM, "S1"),
        _stop(StopKind.DROPOFF, ("P2",), PM + 900),
        _stop(StopKind.DROPOFF, ("P1",), PM + 1500),
    ),
    seats=4,
    chairs=0,
    cost=6500,
)


def test_peak_on_board_lets_drop_offs_leave_before_the_next_pupil_boards() -> None:
    assert peak_on_board(MIXED) == 3
    assert peak_on_board(HOME) == 2


def test_route_table_rows_carry_first_pickup_arrival_longest_ride_and_cost() -> None:
    plan = Plan("t", (MIXED, HOME), (), "approximate")
    am, pm = route_table(plan)
    assert (am.route_id, am.run, pm.run) == ("R1", Run.AM, Run.PM)
    assert am.num_pupils == 4 and am.num_places == 9 and am.peak_on_board == 3
    assert am.occupancy == 3 / 9
    assert am.first_pickup_s == AM and am.arrival_s == AM + 2400  # at the last school
    # P3 boards at AM + 600 and leaves at AM + 2400 (departure after 60 s of boarding).
    assert am.longest_ride_s == 2400 - 660
    assert am.school_ids == ("S1", "S2") and am.cost_pence == 7000
    assert pm.first_pickup_s == PM and pm.arrival_s == PM + 1500  # the last pupil home
    assert pm.longest_ride_s == 1500 - 60 and pm.occupancy == 0.5


def test_a_layout_with_no_places_has_zero_occupancy_rather_than_dividing_by_zero() -> None:
    empty = _route("R0", Run.AM, (), seats=0, chairs=0)
    (row,) = route_table(Plan("t", (empty,), (), "approximate"))
    assert row.occupancy == 0.0 and row.longest_ride_s == 0 and row.first_pickup_s == 0
