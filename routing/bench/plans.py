"""Plans of benchmark problems read back in file units.

Solvers outside the product (the plain OR-Tools reference, PyVRP) return visit sequences;
``routing.solver.plan_from_visits`` (the solver's one visit-to-Plan builder) turns them
into the product's :class:`routing.model.Plan` so the same checker judges every solver.
:func:`route_node_ids` and :func:`plan_distance` give a plan back in the literature's
terms (node ids as in the file, double-precision distance), and
:func:`verify_in_file_units` re-checks a plan's times against the file itself in double
precision, independent of the integer Problem.
"""

from __future__ import annotations

from routing.bench.instance import BenchInstance, problem_scale
from routing.model import Plan, Route, StopKind
from routing.problem import Problem

_TOL = 1e-6


def route_node_ids(instance: BenchInstance, route: Route) -> list[int]:
    """A route as node ids as in the file: start depot, stops, end depot.

    Consecutive visits of one node collapse (a VRPTW route's loading at the depot).
    """
    seq = [instance.node_ids[instance.start_idx]]
    seq += [int(s.location_id) for s in route.stops]
    seq.append(instance.node_ids[instance.end_idx])
    out = [seq[0]]
    for nid in seq[1:]:
        if nid != out[-1]:
            out.append(nid)
    if len(out) == 1:
        out.append(out[0])
    return out


def plan_distance(instance: BenchInstance, plan: Plan, *, truncate1: bool = False) -> float:
    """Total distance of a plan in the file's units, double precision."""
    return sum(
        instance.route_distance(route_node_ids(instance, r), truncate1=truncate1)
        for r in plan.routes
    )


def verify_in_file_units(instance: BenchInstance, problem: Problem, plan: Plan) -> list[str]:
    """Re-check a plan against the file in double precision; one message per breach.

    Uses the plan's service-start times (divided by the Problem's scale) and checks every
    request served once, pickup before drop-off on one route, capacity, time windows,
    travel times between consecutive stops, ride time (end of pickup service to start of
    drop-off service), route duration (leaving the depot as late as possible) and fleet.
    """
    scale = problem_scale(problem)
    d = instance.distances()
    pos = {nid: i for i, nid in enumerate(instance.node_ids)}
    issues: list[str] = []
    vrptw = instance.family == "vrptw"
    req_of_pickup = {instance.node_ids[r.pickup_idx]: r for r in instance.requests}
    req_of_drop = {instance.node_ids[r.dropoff_idx]: r for r in instance.requests}
    seen_drop: dict[int, int] = {}
    if len(plan.routes) > instance.num_vehicles:
        issues.append(f"{len(plan.routes)} routes > fleet {instance.num_vehicles}")
    if plan.unassigned:
        issues.append(f"{len(plan.unassigned)} requests unassigned")
    for route in plan.routes:
        load = 0
        picked_at: dict[int, float] = {}
        prev = instance.start_idx
        prev_dep: float | None = None
        first_start: float | None = None
        first_idx = instance.start_idx
        for stop in route.stops:
            nid = int(stop.location_id)
            i = pos[nid]
            t = stop.service_start_s / scale
            if stop.kind is StopKind.PICKUP and vrptw:
                continue  # loading at the depot before the route starts
            if first_start is None:
                first_start, first_idx = t, i
            if prev_dep is not None and t + _TOL < prev_dep + d[prev, i]:
                issues.append(f"{route.route_id}: node {nid} starts before it can be reached")
            if t + _TOL < instance.early[i] or t - _TOL > instance.late[i]:
                issues.append(f"{route.route_id}: node {nid} served at {t:.3f} outside window")
            if stop.kind is StopKind.PICKUP:
                req = req_of_pickup[nid]
                load += req.load
                picked_at[req.dropoff_idx] = t + instance.service[i]
            else:
                req = req_of_drop[nid]
                seen_drop[nid] = seen_drop.get(nid, 0) + 1
                if vrptw:
                    load += req.load
                else:
                    load -= req.load
                    if req.dropoff_idx not in picked_at:
                        issues.append(f"{route.route_id}: node {nid} dropped before pickup")
                    elif instance.max_ride is not None:
                        ride = t - picked_at[req.dropoff_idx]
                        if ride - _TOL > instance.max_ride:
                            issues.append(f"{route.route_id}: ride to {nid} is {ride:.3f}")
            if load > instance.capacity:
                issues.append(f"{route.route_id}: load {load} at node {nid}")
            prev, prev_dep = i, t + instance.service[i]
        if first_start is not None and prev_dep is not None:
            leave = first_start - d[instance.start_idx, first_idx]
            back = prev_dep + d[prev, instance.end_idx]
            if leave + _TOL < instance.early[instance.start_idx]:
                issues.append(f"{route.route_id}: leaves the depot at {leave:.3f}")
            if back - _TOL > instance.late[instance.end_idx]:
                issues.append(f"{route.route_id}: back at the depot at {back:.3f}")
            if back - leave - _TOL > instance.max_route_duration:
                issues.append(f"{route.route_id}: duration {back - leave:.3f}")
    for req in instance.requests:
        nid = instance.node_ids[req.dropoff_idx]
        if seen_drop.get(nid, 0) != 1 and not plan.unassigned:
            issues.append(f"request to node {nid} served {seen_drop.get(nid, 0)} times")
    return issues
