"""The benchmark checker: a plan judged against a solver-ready problem's own data.

For problems built directly as a ``routing.problem.Problem`` (the public benchmarks). It
reads the problem's fields only and never runs problem.py code: the import of
``routing.problem`` is for typing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from routing.checks.route import Item, RouteTrace, Travel, simulate_route
from routing.checks.rules import coverage, fleet, incompatible_on_route, split_groups
from routing.checks.violations import Violation, ViolationKind
from routing.model import Plan, Route

if TYPE_CHECKING:  # typing only: the checker must never run problem.py code
    from routing.problem import Problem, Request, VehicleClass


def _request_item(problem: Problem, index: int) -> Item:
    r = problem.requests[index]
    return Item(
        item_id=r.request_id,
        pupil_ids=r.pupil_ids,
        seats=r.seats,
        wheelchairs=r.wheelchairs,
        pickup_service_s=r.pickup_service_s,
        dropoff_service_s=r.dropoff_service_s,
        pickup_locations=frozenset({problem.location_ids[r.pickup_loc]}),
        dropoff_locations=frozenset({problem.location_ids[r.dropoff_loc]}),
        pickup_window_s=r.pickup_window_s,
        dropoff_window_s=r.dropoff_window_s,
        max_ride_s=r.max_ride_s,
        travel_alone=r.travel_alone,
    )


def check_problem_plan(problem: Problem, plan: Plan) -> list[Violation]:
    """Every rule a plan of a solver-ready problem breaks (for benchmark problems).

    Recomputes from the problem's own requests and matrices: every request served once or
    unassigned, pickup before drop-off at the request's locations, times, windows, ride
    limits, seats and wheelchair places of the route's vehicle class, route duration
    (depot to depot when the class has depots), the horizon, ``max_vehicles`` and each
    vehicle type's availability, assistants, travel-alone, incompatible and same-vehicle
    requests, allowed vehicle types, mixed schools, and route distances.

    Parameters
    ----------
    problem
        The ``routing.problem.Problem`` the plan answers (one run).
    plan
        The plan (stops use the problem's location ids and the requests' pupil ids).

    Returns
    -------
    list[Violation]
        Empty when the plan is feasible; ``pupil_id`` names the request's pupils.

    Notes
    -----
    Costs are not judged: a benchmark's objective units are not pence.
    """
    run = problem.run
    items: dict[str, Item] = {}
    request_of: dict[str, Request] = {}
    for i, r in enumerate(problem.requests):
        item = _request_item(problem, i)
        for pid in r.pupil_ids:
            items[pid] = item
            request_of[pid] = r
    travel = Travel(
        problem.location_ids, problem.duration_s, problem.distance_m, problem.lons, problem.lats
    )
    violations: list[Violation] = []
    routed: dict[str, list[str]] = {}
    route_of_request: dict[str, str] = {}
    for route in plan.routes:
        trace, route_violations = _check_route(problem, route, items, travel)
        violations.extend(route_violations)
        for pid in trace.pupil_ids:
            routed.setdefault(pid, []).append(route.route_id)
        on_route = _requests_on(request_of, trace.pupil_ids)
        for r in on_route:
            route_of_request.setdefault(r.request_id, route.route_id)
        violations.extend(_request_rules(problem, route, on_route))
    own_routes = [r for r in plan.routes if r.run is run]
    violations.extend(_fleet_rules(problem, own_routes))
    violations.extend(
        split_groups(
            run,
            problem.same_vehicle,
            route_of_request,
            "Request",
            {r.request_id: ",".join(r.pupil_ids) for r in problem.requests},
        )
    )
    unassigned = [u.pupil_id for u in plan.unassigned if u.run is run]
    violations.extend(coverage(run, list(items), routed, unassigned, set(items)))
    return violations


def _vehicle_class(problem: Problem, route: Route) -> VehicleClass | None:
    """The problem's vehicle class of the route's type, layout and assistant."""
    return next(
        (
            c
            for c in problem.vehicle_classes
            if (c.vehicle_type, c.seats, c.wheelchair_places, c.has_assistant)
            == (route.vehicle_type, route.seats, route.wheelchair_places, route.has_assistant)
        ),
        None,
    )


def _check_route(
    problem: Problem, route: Route, items: Mapping[str, Item], travel: Travel
) -> tuple[RouteTrace, list[Violation]]:
    """One route: its run, its vehicle class, the simulation and the horizon."""
    out: list[Violation] = []
    if route.run is not problem.run:
        out.append(
            Violation(
                ViolationKind.WRONG_RUN,
                route.run,
                route.route_id,
                "",
                f"Route '{route.route_id}' is a {route.run.value} route in a "
                f"{problem.run.value} problem.",
            )
        )
    vclass = _vehicle_class(problem, route)
    if vclass is None:
        out.append(
            Violation(
                ViolationKind.LOAD,
                route.run,
                route.route_id,
                "",
                f"Route '{route.route_id}' ('{route.vehicle_type}', {route.seats} seats, "
                f"{route.wheelchair_places} wheelchair places, assistant "
                f"{route.has_assistant}) matches no vehicle class of the problem.",
            )
        )
    # Depots and shift from the route's class; with no such class, from a class of
    # the same vehicle type, so one wrong layout does not also misplace the depots.
    shape = vclass or next(
        (c for c in problem.vehicle_classes if c.vehicle_type == route.vehicle_type), None
    )
    loc_id = problem.location_ids
    trace = simulate_route(
        route,
        items,
        travel,
        start_loc=loc_id[shape.start_loc]
        if shape is not None and shape.start_loc is not None
        else None,
        end_loc=loc_id[shape.end_loc] if shape is not None and shape.end_loc is not None else None,
        max_duration_s=shape.max_duration_s if shape is not None else None,
    )
    out.extend(trace.violations)
    if trace.start_s is not None and trace.end_s is not None:
        h0, h1 = problem.horizon_s
        if trace.start_s < h0 or trace.end_s > h1:
            out.append(
                Violation(
                    ViolationKind.WINDOW,
                    route.run,
                    route.route_id,
                    "",
                    f"Route '{route.route_id}' runs {trace.start_s}-{trace.end_s} s, "
                    f"outside the horizon {h0}-{h1} s.",
                )
            )
    return trace, out


def _requests_on(request_of: Mapping[str, Request], pupil_ids: Sequence[str]) -> list[Request]:
    """The requests whose pupils ride the route, once each, in order of first pupil."""
    on_route = [request_of[pid] for pid in pupil_ids]
    return list({r.request_id: r for r in on_route}.values())


def _request_rules(problem: Problem, route: Route, on_route: Sequence[Request]) -> list[Violation]:
    """Who may ride the route: assistants, allowed types, incompatible pairs, schools."""
    out: list[Violation] = []
    for r in on_route:
        label = ",".join(r.pupil_ids)
        if r.needs_assistant and not route.has_assistant:
            out.append(
                Violation(
                    ViolationKind.ASSISTANT,
                    route.run,
                    route.route_id,
                    label,
                    f"Request '{r.request_id}' needs a passenger assistant but route "
                    f"'{route.route_id}' has none.",
                )
            )
        allowed = r.allowed_vehicle_types
        if allowed is not None and route.vehicle_type not in allowed:
            out.append(
                Violation(
                    ViolationKind.VEHICLE_REQUIREMENT,
                    route.run,
                    route.route_id,
                    label,
                    f"Request '{r.request_id}' may ride only {', '.join(sorted(allowed))} "
                    f"but route '{route.route_id}' uses '{route.vehicle_type}'.",
                )
            )
    members = {r.request_id for r in on_route}
    out.extend(incompatible_on_route(route, problem.incompatible, members, "Requests"))
    school_ids = sorted({r.school_id for r in on_route if r.school_id})
    if len(school_ids) > 1 and not problem.allow_mixed_schools:
        out.append(
            Violation(
                ViolationKind.MIXED_SCHOOL,
                route.run,
                route.route_id,
                "",
                f"Route '{route.route_id}' carries requests of {len(school_ids)} schools "
                f"({', '.join(school_ids)}) but the problem forbids mixed-school routes.",
            )
        )
    return out


def _fleet_rules(problem: Problem, own_routes: Sequence[Route]) -> list[Violation]:
    """Each vehicle type's availability and the problem's ``max_vehicles``."""
    caps: dict[str, int | None] = {}
    for c in problem.vehicle_classes:
        prev = caps.get(c.vehicle_type, 0)
        caps[c.vehicle_type] = (
            None if c.num_available is None or prev is None else max(prev, c.num_available)
        )
    out = fleet(problem.run, own_routes, caps)
    if problem.max_vehicles is not None and len(own_routes) > problem.max_vehicles:
        out.append(
            Violation(
                ViolationKind.FLEET,
                problem.run,
                "",
                "",
                f"The plan uses {len(own_routes)} vehicles but the problem allows "
                f"{problem.max_vehicles}.",
            )
        )
    return out
