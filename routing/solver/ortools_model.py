"""OR-Tools model of one run in the index space: the only module that imports ortools.

Model
-----
- nodes and vehicles are the index space's (``routing.solver.space``): one node per
  request end, a zero-cost dummy that starts and ends open routes, depot nodes otherwise;
  a few vehicles per class (type x layout x assistant); a vehicle type's
  ``num_available`` is shared by all its classes (a constraint on active vehicles);
- dimensions: seats, wheelchair places, "alone" (a pupil who travels alone has a demand
  equal to the capacity), time (service + travel, waiting allowed);
- ride limits are time-dimension node precedences,
  ``AddNodePrecedence(drop, pick, -(L + pickup_service))``, which OR-Tools' filters check
  incrementally (the issue measured generic ``solver.Add`` forms 10-25x slower);
- route duration: span upper bound per vehicle; fixed cost per vehicle; arc cost per
  class (metres x cost per metre); a small span cost as the ride-time tie-breaker, or,
  when the policy values a pupil's minute (``Request.ride_cost_per_s``), each ride in the
  objective exactly (soft cumul bounds, see ``_add_ride_cost``);
- every request is a disjunction with a large penalty, so a request no vehicle can take
  is dropped (and reported unassigned) instead of the solve failing;
- incompatible pairs: ``AllDifferentExcept(vehicle vars, -1)`` (unperformed allowed);
  siblings at different schools: a soft same-vehicle constraint priced like a dropped
  request (hard equal vehicle variables stalled the insertion heuristics), groups still
  split afterwards are repaired or unassigned; no mixed-school routes: one visit type
  per school and hard type incompatibilities between schools.

An initial plan (routes of the space: the warm start, a previous plan, a decomposition's
parts) is read with ``ReadAssignmentFromRoutes`` and guided local search improves from
there. Without one, the first solution is "auto": parallel cheapest insertion up to
``AUTO_PARALLEL_MAX_REQUESTS`` requests (cheaper plans), local cheapest insertion above
(parallel is too slow to give a first plan at 500 requests).

Determinism: OR-Tools' routing search (first solution + guided local search) uses no
random numbers; a *time* limit cuts it at a wall-clock moment, so pass ``solution_limit``
for a run that is fully reproducible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.errors import NoSolutionError
from routing.model import SolveParams, SolveProgress
from routing.problem import ObjectiveKind
from routing.solver.space import IndexSpace, SpaceRoute

logger = logging.getLogger(__name__)

RIDE_TIE_BREAK_PER_S = 2
"""Objective units per second of route duration (cost problems): a tie-breaker only.

With 1000 units per penny this values an hour of driving at 7.2p, far below any real
cost difference, so it separates plans of equal cost by shorter routes (shorter rides).
"""

_FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
AUTO_FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
AUTO_PARALLEL_MAX_REQUESTS = 200
"""With "auto": parallel cheapest insertion up to this many requests, local cheapest above.

Measured (AM, 60 s, loaded 2-core machine): synthetic 200 requests, parallel 315.9k
pence vs local 330.9k, first plans at about 2 s each; synthetic 476 requests, parallel
had placed 12 requests when 60 s ran out, local found its first plan at 25.6 s.
"""
AUTO_PARALLEL_S_PER_REQUEST = 0.15
"""With "auto", parallel insertion also needs this many seconds per request of time limit.

Under load its first plan of a 120-request Havering part can take most of an 8 s share
(27 of 802 pupils left out at 30 s per run); local insertion finds one in about 0.5 s.
"""

ProgressFn = Callable[[SolveProgress], None]


def first_solution_strategy(name: str, num_requests: int, time_limit_s: float) -> int:
    """The OR-Tools first-solution strategy for ``SolveParams.first_solution``."""
    if name.lower() == "auto":
        parallel = (
            num_requests <= AUTO_PARALLEL_MAX_REQUESTS
            and time_limit_s >= AUTO_PARALLEL_S_PER_REQUEST * num_requests
        )
        key = AUTO_FIRST_SOLUTION if parallel else "LOCAL_CHEAPEST_INSERTION"
    else:
        key = name.upper()
    try:
        return int(getattr(_FIRST_SOLUTION, key))
    except AttributeError as err:
        msg = f"SolveParams first_solution '{name}' is not an OR-Tools first-solution strategy."
        raise ValueError(msg) from err


def _penalty(space: IndexSpace) -> int:
    """Cost of leaving a request unserved: far above serving it with its own vehicle."""
    problem = space.problem
    max_dist = int(space.distance_m.max()) if space.distance_m.size else 0
    if problem.objective is ObjectiveKind.DISTANCE:
        return 1000 * (4 * max_dist + 1) + 10**7
    worst = max(c.fixed_cost + c.cost_per_m * 4 * max_dist for c in problem.vehicle_classes)
    return 100 * (worst + 1)


class _OrModel:
    """The routing model over the space's nodes and vehicles."""

    def __init__(self, space: IndexSpace) -> None:
        self.space = space
        self.manager = pywrapcp.RoutingIndexManager(
            len(space.nodes),
            len(space.vehicles),
            [v.start_node for v in space.vehicles],
            [v.end_node for v in space.vehicles],
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()
        self.index = [self.manager.NodeToIndex(n) for n in range(len(space.nodes))]
        self._add_costs()
        self._add_time()
        self._add_loads()
        self._close_unused_terminals()
        self._add_requests()
        self._add_pairs_and_schools()
        self._cap_shared_availability()

    def _add_costs(self) -> None:
        space, routing = self.space, self.routing
        problem = space.problem
        cost_cbs: dict[int, int] = {}
        for vi, v in enumerate(space.vehicles):
            c = problem.vehicle_classes[v.cls_idx]
            per_m = 1 if problem.objective is ObjectiveKind.DISTANCE else c.cost_per_m
            if per_m not in cost_cbs:
                cost_cbs[per_m] = routing.RegisterTransitMatrix((space.distance_m * per_m).tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_cbs[per_m], vi)
            if problem.objective is ObjectiveKind.COST:
                routing.SetFixedCostOfVehicle(c.fixed_cost, vi)
        if problem.max_vehicles is not None:
            routing.SetMaximumNumberOfActiveVehicles(problem.max_vehicles)

    def _add_time(self) -> None:
        """Service at the node left + travel; waiting allowed (slack)."""
        space, routing = self.space, self.routing
        problem = space.problem
        h0, h1 = problem.horizon_s
        transit = space.travel_s + space.service_s[:, None]
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(time_cb, h1, h1, False, "time")
        self.time_dim = routing.GetDimensionOrDie("time")
        # The council's value of a pupil's minute replaces the span tie-breaker: it prices
        # the rides themselves (measured: see docs/benchmarks-policy.md).
        has_ride_cost = any(r.ride_cost_per_s for r in space.requests)
        for n, node in enumerate(space.nodes):
            if node.request_idx >= 0:
                self.time_dim.CumulVar(self.index[n]).SetRange(*node.window_s)
        for vi, v in enumerate(space.vehicles):
            c = problem.vehicle_classes[v.cls_idx]
            self.time_dim.CumulVar(routing.Start(vi)).SetRange(h0, h1)
            self.time_dim.CumulVar(routing.End(vi)).SetRange(h0, h1)
            self.time_dim.SetSpanUpperBoundForVehicle(c.max_duration_s, vi)
            if problem.objective is ObjectiveKind.COST and not has_ride_cost:
                self.time_dim.SetSpanCostCoefficientForVehicle(RIDE_TIE_BREAK_PER_S, vi)
        if has_ride_cost:
            self._add_ride_cost()

    def _add_ride_cost(self) -> None:
        """Each request's ride in the objective, exactly: ``ride_cost_per_s`` x (drop - pick).

        A soft lower bound at the pickup window's end L (no feasible pickup is later) costs
        c x (L - T_pick); a soft upper bound at the drop-off window's start U (no feasible
        drop-off is earlier) costs c x (T_drop - U): together c x (T_drop - T_pick) plus a
        constant, which OR-Tools' cumul optimiser minimises as it schedules each route.
        """
        space, index = self.space, self.index
        for i, r in enumerate(space.requests):
            if r.ride_cost_per_s:
                pick, drop = index[space.pickup_node(i)], index[space.dropoff_node(i)]
                self.time_dim.SetCumulVarSoftLowerBound(
                    pick, r.pickup_window_s[1], r.ride_cost_per_s
                )
                self.time_dim.SetCumulVarSoftUpperBound(
                    drop, r.dropoff_window_s[0], r.ride_cost_per_s
                )

    def _add_load(self, name: str, demand: list[int], capacity: list[int]) -> None:
        cb = self.routing.RegisterUnaryTransitVector(demand)
        self.routing.AddDimensionWithVehicleCapacity(cb, 0, capacity, True, name)

    def _add_loads(self) -> None:
        space = self.space
        classes = space.problem.vehicle_classes
        seat_demand = [0] * len(space.nodes)
        chair_demand = [0] * len(space.nodes)
        alone_demand = [0] * len(space.nodes)
        alone_cap = len(space.requests) + 1
        for i, r in enumerate(space.requests):
            p, d = space.pickup_node(i), space.dropoff_node(i)
            seat_demand[p], seat_demand[d] = r.seats, -r.seats
            chair_demand[p], chair_demand[d] = r.wheelchairs, -r.wheelchairs
            a = alone_cap if r.travel_alone else 1
            alone_demand[p], alone_demand[d] = a, -a
        self._add_load("seats", seat_demand, [classes[v.cls_idx].seats for v in space.vehicles])
        if any(chair_demand):
            places = [classes[v.cls_idx].wheelchair_places for v in space.vehicles]
            self._add_load("wheelchairs", chair_demand, places)
        if any(r.travel_alone for r in space.requests):
            self._add_load("alone", alone_demand, [alone_cap] * len(space.vehicles))

    def _close_unused_terminals(self) -> None:
        """Nodes no vehicle starts or ends at are never visited.

        The dummy when every route has a depot, the depot of a class with no vehicles:
        the dummy's zero travel times would otherwise let a route jump anywhere for free.
        """
        space = self.space
        terminals = {v.start_node for v in space.vehicles} | {v.end_node for v in space.vehicles}
        for n in range(space.first_request_node):
            if n not in terminals:
                self.routing.AddDisjunction([self.index[n]], 0)
                self.routing.ActiveVar(self.index[n]).SetValue(0)

    def _add_requests(self) -> None:
        """Pairs, ride limits, allowed vehicles, drop penalties."""
        space, routing, index = self.space, self.routing, self.index
        classes = space.problem.vehicle_classes
        self.penalty = _penalty(space)
        vehicles_of_class: dict[int, list[int]] = {}
        for vi, v in enumerate(space.vehicles):
            vehicles_of_class.setdefault(v.cls_idx, []).append(vi)
        for i, r in enumerate(space.requests):
            p, d = index[space.pickup_node(i)], index[space.dropoff_node(i)]
            routing.AddPickupAndDelivery(p, d)
            self.solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            if r.max_ride_s is not None:
                self.time_dim.AddNodePrecedence(d, p, -(r.max_ride_s + r.pickup_service_s))
            else:
                self.time_dim.AddNodePrecedence(p, d, r.pickup_service_s)
            allowed = [
                vi
                for ci, c in enumerate(classes)
                if space.compatible(r, c)
                for vi in vehicles_of_class.get(ci, ())
            ]
            if len(allowed) < len(space.vehicles):
                # SetAllowedVehiclesForIndex's Python binding rejects every list in 9.15
                # (absl::Span typemap), so restrict the vehicle variables' domains instead.
                routing.VehicleVar(p).SetValues([-1, *allowed])
                routing.VehicleVar(d).SetValues([-1, *allowed])
            routing.AddDisjunction([p], self.penalty)
            routing.AddDisjunction([d], self.penalty)

    def _add_pairs_and_schools(self) -> None:
        """Incompatible pairs, siblings (soft same vehicle), one school per route."""
        space, routing, solver, index = self.space, self.routing, self.solver, self.index
        problem = space.problem
        position = space.position
        for a_id, b_id in problem.incompatible:
            if a_id in position and b_id in position:
                va = routing.VehicleVar(index[space.pickup_node(position[a_id])])
                vb = routing.VehicleVar(index[space.pickup_node(position[b_id])])
                solver.Add(solver.AllDifferentExcept([va, vb], -1))
        # Same vehicle as a soft constraint priced like a dropped request: OR-Tools'
        # filters see it, whereas equal vehicle variables stall the insertion heuristics
        # (measured: no first solution in 8 s on a Havering part, 0.5 s without). A group
        # the search still splits is unassigned afterwards (repair.split_groups).
        for group in problem.same_vehicle:
            members = [position[g] for g in group if g in position]
            if len(members) > 1:
                routing.AddSoftSameVehicleConstraint(
                    [index[space.pickup_node(i)] for i in members], self.penalty
                )
        if problem.allow_mixed_schools:
            return
        school_type = {s: t for t, s in enumerate(sorted({r.school_id for r in space.requests}))}
        for i, r in enumerate(space.requests):
            for n in (space.pickup_node(i), space.dropoff_node(i)):
                routing.SetVisitType(
                    index[n], school_type[r.school_id], routing.TYPE_ADDED_TO_VEHICLE
                )
        for t1 in range(len(school_type)):
            for t2 in range(t1 + 1, len(school_type)):
                routing.AddHardTypeIncompatibility(t1, t2)

    def _cap_shared_availability(self) -> None:
        """A type's ``num_available`` bounds its active vehicles over all its classes."""
        space = self.space
        by_type: dict[str, list[int]] = {}
        cap: dict[str, int] = {}
        for vi, v in enumerate(space.vehicles):
            c = space.problem.vehicle_classes[v.cls_idx]
            if c.num_available is not None:
                by_type.setdefault(c.vehicle_type, []).append(vi)
                cap[c.vehicle_type] = c.num_available
        for name, vis in by_type.items():
            if len(vis) > cap[name]:
                active = [self.routing.ActiveVehicleVar(vi) for vi in vis]
                self.solver.Add(self.solver.Sum(active) <= cap[name])

    def routes(self, solution: pywrapcp.Assignment) -> list[SpaceRoute]:
        """The solution's routes in the space, with OR-Tools' service starts."""
        space, routing, manager = self.space, self.routing, self.manager
        out: list[SpaceRoute] = []
        for vi in range(len(space.vehicles)):
            seq: list[int] = []
            idx = solution.Value(routing.NextVar(routing.Start(vi)))
            while not routing.IsEnd(idx):
                if manager.IndexToNode(idx) >= space.first_request_node:
                    seq.append(manager.IndexToNode(idx))
                idx = solution.Value(routing.NextVar(idx))
            if seq:
                cumuls = [solution.Min(self.time_dim.CumulVar(self.index[n])) for n in seq]
                out.append((vi, seq, cumuls))
        return out


def _progress_callback(
    model: _OrModel, progress: ProgressFn | None, started: float
) -> Callable[[], None]:
    """Reports each improving solution (at most twice a second)."""
    problem = model.space.problem
    units = problem.cost_units_per_pence if problem.objective is ObjectiveKind.COST else 1
    best: list[int | None] = [None]
    last_report = [0.0]

    def on_solution() -> None:
        cost = int(model.routing.CostVar().Value())
        if best[0] is None or cost < best[0]:
            best[0] = cost
            now = time.monotonic()
            if progress is not None and now - last_report[0] >= 0.5:
                last_report[0] = now
                progress(
                    SolveProgress(
                        run=problem.run,
                        parts_done=0,
                        parts_total=1,
                        elapsed_s=now - started,
                        best_cost_pence=cost // units,
                        message=f"{problem.name}: improving",
                    )
                )

    return on_solution


def _start_from(model: _OrModel, initial: Sequence[tuple[int, list[int]]]) -> list[list[int]]:
    """Initial (class, node sequence) routes as OR-Tools indices per vehicle."""
    free: dict[int, list[int]] = {}
    for vi, v in enumerate(model.space.vehicles):
        free.setdefault(v.cls_idx, []).append(vi)
    per_vehicle: list[list[int]] = [[] for _ in model.space.vehicles]
    for ci, seq in initial:
        if free.get(ci):
            per_vehicle[free[ci].pop(0)] = [model.index[n] for n in seq]
    return per_vehicle


def search_ortools(
    space: IndexSpace,
    params: SolveParams,
    search_s: float,
    initial: Sequence[tuple[int, list[int]]] = (),
    progress: ProgressFn | None = None,
    solution_limit: int | None = None,
) -> tuple[list[SpaceRoute], int]:
    """Routes of the space from OR-Tools' guided local search, and its objective.

    Parameters
    ----------
    space
        The index space; its vehicles must already include those ``initial`` needs.
    params
        ``first_solution`` and ``time_limit_s`` (for "auto").
    search_s
        Wall-clock seconds for the search.
    initial
        (class index, node sequence) routes to start from; empty: a first solution.
    progress
        Called on improving solutions.
    solution_limit
        Stop after this many solutions.

    Raises
    ------
    NoSolutionError
        If OR-Tools returns no solution at all (not even one dropping every request).
    """
    started = time.monotonic()
    model = _OrModel(space)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = first_solution_strategy(
        params.first_solution, len(space.requests), params.time_limit_s
    )
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    left_s = max(0.1, search_s - (time.monotonic() - started))
    search.time_limit.FromMilliseconds(int(left_s * 1000))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    search.log_search = False
    model.routing.AddAtSolutionCallback(_progress_callback(model, progress, started))
    solution = None
    if initial:
        model.routing.CloseModelWithParameters(search)
        assignment = model.routing.ReadAssignmentFromRoutes(_start_from(model, initial), True)
        if assignment is None:
            logger.warning("%s: OR-Tools rejected the initial plan", space.problem.name)
        else:
            solution = model.routing.SolveFromAssignmentWithParameters(assignment, search)
    if solution is None:
        solution = model.routing.SolveWithParameters(search)
    if solution is None:
        msg = (
            f"OR-Tools found no solution for '{space.problem.name}' within "
            f"{params.time_limit_s} s (status {model.routing.status()})."
        )
        raise NoSolutionError(msg)
    return model.routes(solution), int(solution.ObjectiveValue())


__all__ = ["first_solution_strategy", "search_ortools"]
