"""Routes of the index space to a domain Plan and back: the one visit-to-Plan builder.

:func:`plan_from_routes` builds the Plan of routes in the index space (vehicle, node
sequence, service starts) with times recomputed from the problem's matrices: AM as late
as feasible, PM as early; :func:`plan_from_visits` does the same for visit sequences
(what PyVRP, the ALNS or a reference solver return) on the first vehicle class, so every
solver's plan is built by the same code and judged by the same checker.
:func:`routes_from_plan` maps a Plan (a previous plan, a warm start, the parts of a
decomposition) back into the space, to start a search from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from routing.costing import units_run_cost_pence
from routing.model import Plan, Route, Stop, StopKind, Unassigned, UnassignedCode
from routing.problem import Problem
from routing.solver.schedule import Timed, final_times, route_distance_m, route_legs_s, route_ok
from routing.solver.space import IndexSpace, SpaceRoute, Visit

logger = logging.getLogger(__name__)

NOT_PLACED_REASON = "no feasible vehicle found within the time limit"
SIBLINGS_APART_REASON = (
    "travels with a sibling at another school, and no vehicle found within the time limit "
    "could carry them together inside the school windows and ride limits"
)


def _stop(space: IndexSpace, t: Timed) -> Stop:
    problem = space.problem
    node = space.nodes[t.node]
    r = space.requests[node.request_idx]
    return Stop(
        kind=StopKind.PICKUP if node.is_pickup else StopKind.DROPOFF,
        pupil_ids=r.pupil_ids,
        location_id=problem.location_ids[node.loc],
        lon=problem.lons[node.loc] if problem.lons else 0.0,
        lat=problem.lats[node.loc] if problem.lats else 0.0,
        arrival_s=t.arrival_s,
        service_start_s=t.start_s,
        departure_s=t.departure_s,
        school_id=r.school_id,
    )


def _stops(space: IndexSpace, timed: list[Timed]) -> tuple[Stop, ...]:
    """One stop per request end, merged with the previous when at the same place, back to back."""
    stops: list[Stop] = []
    prev_t: Timed | None = None
    for t in timed:
        new = _stop(space, t)
        if (
            stops
            and prev_t is not None
            and stops[-1].kind is new.kind
            and stops[-1].location_id == new.location_id
            and stops[-1].school_id == new.school_id
            and t.arrival_s == prev_t.departure_s
            and t.start_s == t.arrival_s
        ):
            last = stops[-1]
            stops[-1] = Stop(
                kind=new.kind,
                pupil_ids=last.pupil_ids + new.pupil_ids,
                location_id=new.location_id,
                lon=last.lon,
                lat=last.lat,
                arrival_s=last.arrival_s,
                service_start_s=last.service_start_s,
                departure_s=t.departure_s,
                school_id=new.school_id,
            )
        else:
            stops.append(new)
        prev_t = t
    return tuple(stops)


def _route(space: IndexSpace, number: int, vi: int, seq: list[int], cumuls: list[int]) -> Route:
    problem = space.problem
    veh = space.vehicles[vi]
    cls = problem.vehicle_classes[veh.cls_idx]
    timed = final_times(space, veh, seq, cumuls)
    distance = route_distance_m(space, veh, seq)
    lead, tail = route_legs_s(space, veh, seq)
    return Route(
        route_id=f"{problem.run.value}-{number:03d}",
        run=problem.run,
        vehicle_type=cls.vehicle_type,
        seats=cls.seats,
        wheelchair_places=cls.wheelchair_places,
        has_assistant=cls.has_assistant,
        stops=_stops(space, timed),
        distance_m=distance,
        duration_s=timed[-1].departure_s + tail - (timed[0].arrival_s - lead),
        cost_pence=units_run_cost_pence(
            cls.fixed_cost,
            cls.cost_per_m,
            distance,
            problem.cost_units_per_pence,
            cls.cost_per_mile_pence,
        ),
    )


def plan_from_routes(
    space: IndexSpace, routes: Sequence[SpaceRoute], started: float, objective: int
) -> Plan:
    """The Plan of routes in the space; requests on no route are unassigned.

    Parameters
    ----------
    space
        The index space the routes are in.
    routes
        (vehicle index, node sequence, service starts) per route; the starts are the
        fallback when neither the latest nor the earliest schedule is feasible.
    started
        ``time.monotonic()`` when the solve started (for ``solve_seconds``).
    objective
        The search's objective value, recorded on the plan.
    """
    problem = space.problem
    out = [_route(space, k + 1, vi, seq, cumuls) for k, (vi, seq, cumuls) in enumerate(routes)]
    served = {space.nodes[n].request_idx for _, seq, _ in routes for n in seq}
    with_siblings = {rid for group in problem.same_vehicle for rid in group}
    unassigned = tuple(
        Unassigned(pid, problem.run, SIBLINGS_APART_REASON, code=UnassignedCode.SIBLINGS_APART)
        if r.request_id in with_siblings
        else Unassigned(pid, problem.run, NOT_PLACED_REASON, code=UnassignedCode.NOT_PLACED)
        for i, r in enumerate(space.requests)
        if i not in served
        for pid in r.pupil_ids
    )
    return Plan(
        scenario_name=problem.name,
        routes=tuple(out),
        unassigned=unassigned,
        travel_model=problem.travel_model,
        solve_seconds=round(time.monotonic() - started, 3),
        objective=objective,
        notes=problem.notes,
    )


def space_routes_of_visits(
    space: IndexSpace, routes: Sequence[tuple[int, Sequence[Visit]]]
) -> list[SpaceRoute]:
    """(class, visits) routes as routes of the space, each on a new vehicle of its class."""
    out: list[SpaceRoute] = []
    for cls_idx, visits in routes:
        if not visits:
            continue
        space.vehicles.append(space.vehicle_of_class(cls_idx))
        seq = [space.visit_node(v) for v in visits]
        out.append((len(space.vehicles) - 1, seq, [v.service_start_s for v in visits]))
    return out


def plan_from_visits(
    problem: Problem,
    routes: Sequence[Sequence[Visit]],
    *,
    solve_seconds: float = 0.0,
    objective: int | None = None,
    travel_model: str = "euclidean (benchmark)",
) -> Plan:
    """The Plan of visit sequences (request indices in the problem's order) on class 0.

    Requests in no route are unassigned; ``objective`` defaults to the metres driven.
    """
    space = IndexSpace(problem)
    space_routes = space_routes_of_visits(space, [(0, visits) for visits in routes])
    plan = plan_from_routes(space, space_routes, time.monotonic(), 0)
    value = sum(r.distance_m for r in plan.routes) if objective is None else objective
    return replace(plan, travel_model=travel_model, solve_seconds=solve_seconds, objective=value)


def empty_plan(problem: Problem, started: float) -> Plan:
    """The plan of a problem with no requests."""
    return Plan(
        scenario_name=problem.name,
        routes=(),
        unassigned=(),
        travel_model=problem.travel_model,
        solve_seconds=round(time.monotonic() - started, 3),
        notes=problem.notes,
    )


def _route_class(space: IndexSpace, route: Route, seq: list[int]) -> int | None:
    """The class of a plan's route (same type, layout, assistant) if it runs ``seq``."""
    for ci, c in enumerate(space.problem.vehicle_classes):
        if (c.vehicle_type, c.seats, c.wheelchair_places, c.has_assistant) == (
            route.vehicle_type,
            route.seats,
            route.wheelchair_places,
            route.has_assistant,
        ) and route_ok(space, space.vehicle_of_class(ci), seq, exact=True) is not None:
            return ci
    return None


def initial_from_plan(space: IndexSpace, plan: Plan) -> list[tuple[int, list[int]]]:
    """A plan's routes as (class index, node sequence) in the space, to start a search.

    Pupils the problem does not have are skipped; a route whose class is not the
    problem's (or can no longer run it) gets the roomiest class whose loads allow it, or
    is left out (its requests are then left for the search to insert).
    """
    by_pupil = {pid: i for i, r in enumerate(space.requests) for pid in r.pupil_ids}
    out: list[tuple[int, list[int]]] = []
    for route in plan.routes:
        seq: list[int] = []
        seen: set[tuple[int, bool]] = set()
        for stop in route.stops:
            is_pickup = stop.kind is StopKind.PICKUP
            for pid in stop.pupil_ids:
                i = by_pupil.get(pid)
                if i is None or (i, is_pickup) in seen:
                    continue
                seen.add((i, is_pickup))
                seq.append(space.pickup_node(i) if is_pickup else space.dropoff_node(i))
        if not seq:
            continue
        ci = _route_class(space, route, seq)
        if ci is None:
            ci = next(
                (
                    c
                    for c in space.classes_by_room
                    if route_ok(space, space.vehicle_of_class(c), seq, exact=True) is not None
                ),
                None,
            )
        if ci is not None:
            out.append((ci, seq))
    return out


__all__ = [
    "NOT_PLACED_REASON",
    "SIBLINGS_APART_REASON",
    "empty_plan",
    "initial_from_plan",
    "plan_from_routes",
    "plan_from_visits",
    "space_routes_of_visits",
]
