"""OR-Tools model of one run: pickup-and-delivery with windows, loads and ride limits.

Distance problems that ``routing.improve`` models completely (the literature's DARP and
VRPTW benchmarks: one vehicle class, seats only) go to its search instead: the numba ALNS
for ride-limited problems, PyVRP for VRPTW shapes, ``params.num_workers`` seeds in
parallel; the plan is mapped into this module's model and built by the same code as an
OR-Tools plan. Pupil problems (cost objective, several vehicle classes) use OR-Tools.

The only module that imports ortools. ``solve(problem, params)`` maps a
:class:`routing.problem.Problem` to OR-Tools' index space, searches, and maps the result
back to a domain :class:`routing.model.Plan` whose times are recomputed here from the
problem's matrices (not read from OR-Tools), so the checker recomputes the same numbers.

Model
-----
- one node per request end (pickup, drop-off); a zero-cost dummy node starts and ends
  open routes (``route_start = first_pickup``), real depot nodes otherwise;
- vehicles: a few copies of each vehicle class (type x layout x assistant), bounded by the
  requests that class could usefully carry; a vehicle type's ``num_available`` is shared
  by all its classes (a constraint on the number of active vehicles of that type);
- dimensions: seats, wheelchair places, "alone" (a pupil who travels alone has a demand
  equal to the capacity), time (service + travel, waiting allowed);
- ride limits are time-dimension node precedences,
  ``AddNodePrecedence(drop, pick, -(L + pickup_service))``, which OR-Tools' filters check
  incrementally (the issue measured generic ``solver.Add`` forms 10-25x slower);
- route duration: span upper bound per vehicle; fixed cost per vehicle; arc cost per
  class (metres x cost per metre); a small span cost as the ride-time tie-breaker;
- every request is a disjunction with a large penalty, so a request no vehicle can take
  is dropped (and reported unassigned) instead of the solve failing;
- incompatible pairs: ``AllDifferentExcept(vehicle vars, -1)`` (unperformed allowed);
  siblings at different schools: a soft same-vehicle constraint priced like a dropped
  request (hard equal vehicle variables stalled the insertion heuristics), groups still
  split afterwards are repaired or unassigned; no mixed-school routes: one visit type
  per school and hard type incompatibilities between schools;
- after the search, a repair pass inserts left-out requests (cheapest feasible position,
  checked here in Python) and the times are recomputed: AM as late as feasible (no early
  pickups, no waiting at school), PM as early as feasible (home soonest); then every
  route is right-sized to the cheapest vehicle class that runs the same sequence.

Warm start (cost problems, the default): ``routing.warmstart`` builds large single-school
routes (sequential insertion from the farthest home while a vehicle still carries the
route) and right-sizes each; OR-Tools reads them (``ReadAssignmentFromRoutes``) and guided
local search improves from there. Without it OR-Tools' insertion heuristics fill taxi
after taxi (for one pupil a taxi is cheaper than a minibus) and the search never forms a
minibus of a dozen pupils. Measured (this 2-core machine, medians): Havering 2-school
slice at 10 s per run, £11,122-11,526 a day -> about £7,900 (today £9,782); whole of
Havering at 120 s per run, £25,306 (30% saving) -> about £20,600-21,100 (42-43%), with
longer rides (mean 20 -> 27.5 min, rides over 45 min 70 -> about 280).

First solution "auto" (without a warm start, or when OR-Tools rejects one): parallel
cheapest insertion up to ``AUTO_PARALLEL_MAX_REQUESTS`` requests (cheaper plans), local
cheapest insertion above (parallel is too slow to give a
first plan at 500 requests); then guided local search until the time limit.

Determinism
-----------
OR-Tools' routing search (first solution + guided local search) uses no random numbers:
the same model and parameters give the same sequence of solutions. ``SolveParams.seed``
permutes the order requests are given to OR-Tools (seed 0 keeps the
problem's order), which changes the search path. A *time* limit cuts the search at a
wall-clock moment, so two runs on a loaded machine can stop at different solutions; pass
``solution_limit`` (as the property tests do) for a run that is fully reproducible.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.costing import units_run_cost_pence
from routing.errors import NoSolutionError
from routing.model import (
    Plan,
    Route,
    SolveParams,
    SolveProgress,
    Stop,
    StopKind,
    Unassigned,
    UnassignedCode,
)
from routing.problem import ObjectiveKind, Problem, Request, VehicleClass

logger = logging.getLogger(__name__)

NOT_PLACED_REASON = "no feasible vehicle found within the time limit"
SIBLINGS_APART_REASON = (
    "travels with a sibling at another school, and no vehicle found within the time limit "
    "could carry them together inside the school windows and ride limits"
)
RIDE_TIE_BREAK_PER_S = 2
"""Objective units per second of route duration (cost problems): a tie-breaker only.

With 1000 units per penny this values an hour of driving at 7.2p, far below any real
cost difference, so it separates plans of equal cost by shorter routes (shorter rides).
"""

COPIES_SHARE_DIVISOR = 2
"""Vehicles offered per class: the requests it is cheapest for, + requests / (places / 2)."""

_FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
AUTO_FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
AUTO_PARALLEL_MAX_REQUESTS = 200
AUTO_PARALLEL_S_PER_REQUEST = 0.15
"""With "auto", parallel insertion also needs this many seconds per request of time limit.

Under load its first plan of a 120-request Havering part can take most of an 8 s share
(27 of 802 pupils left out at 30 s per run); local insertion finds one in about 0.5 s.
"""
"""With "auto": parallel cheapest insertion up to this many requests, local cheapest above.

Measured (AM, 60 s, loaded 2-core machine): synthetic 200 requests, parallel 315.9k
pence vs local 330.9k, first plans at about 2 s each; synthetic 476 requests, parallel
had placed 12 requests when 60 s ran out, local found its first plan at 25.6 s.
"""

WARM_START_SHARE = 0.15
"""At most this share of a solve's time limit goes to building the warm start."""

ProgressFn = Callable[[SolveProgress], None]


@dataclass(frozen=True, slots=True)
class _Node:
    """One OR-Tools node: a request end, a depot, or the dummy start/end of open routes."""

    loc: int  # problem location, -1 for the dummy
    service_s: int
    window_s: tuple[int, int]
    request_idx: int = -1  # position in _Model.requests; -1 for depots
    is_pickup: bool = False


@dataclass(frozen=True, slots=True)
class _Vehicle:
    cls_idx: int
    start_node: int
    end_node: int


class _Model:
    """The index space: nodes, vehicles and the matrices over nodes."""

    def __init__(self, problem: Problem, seed: int) -> None:
        self.problem = problem
        requests = list(problem.requests)
        if seed:
            order = np.random.default_rng(seed).permutation(len(requests))
            requests = [requests[i] for i in order]
        self.requests: list[Request] = requests
        h0, h1 = problem.horizon_s
        nodes: list[_Node] = [_Node(-1, 0, (h0, h1))]  # dummy
        depot_node: dict[int, int] = {}
        for cls in problem.vehicle_classes:
            for loc in (cls.start_loc, cls.end_loc):
                if loc is not None and loc not in depot_node:
                    depot_node[loc] = len(nodes)
                    nodes.append(_Node(loc, 0, (h0, h1)))
        self.first_request_node = len(nodes)
        for i, r in enumerate(requests):
            nodes.append(_Node(r.pickup_loc, r.pickup_service_s, r.pickup_window_s, i, True))
            nodes.append(_Node(r.dropoff_loc, r.dropoff_service_s, r.dropoff_window_s, i))
        self.nodes = nodes
        locs = np.asarray([n.loc for n in nodes], dtype=np.int64)
        real = locs >= 0
        safe = np.where(real, locs, 0)
        mask = np.outer(real, real)
        self.travel_s = np.where(mask, problem.duration_s[np.ix_(safe, safe)], 0).astype(np.int64)
        self.distance_m = np.where(mask, problem.distance_m[np.ix_(safe, safe)], 0).astype(np.int64)
        self.service_s = np.asarray([n.service_s for n in nodes], dtype=np.int64)
        self.depot_node = depot_node
        self.vehicles = self._make_vehicles(depot_node)
        classes = problem.vehicle_classes
        self.classes_by_room = sorted(
            range(len(classes)),
            key=lambda ci: (-classes[ci].seats - classes[ci].wheelchair_places, ci),
        )

    def class_terminals(self, cls_idx: int) -> tuple[int, int]:
        """Start and end nodes of a vehicle of this class (0 = the dummy of open routes)."""
        c = self.problem.vehicle_classes[cls_idx]
        start = 0 if c.start_loc is None else self.depot_node[c.start_loc]
        end = 0 if c.end_loc is None else self.depot_node[c.end_loc]
        return start, end

    def add_vehicles(self, wanted: dict[int, int]) -> None:
        """At least ``wanted[cls_idx]`` vehicles of each class (a warm start may need more)."""
        have: dict[int, int] = {}
        for v in self.vehicles:
            have[v.cls_idx] = have.get(v.cls_idx, 0) + 1
        for ci, n in sorted(wanted.items()):
            c = self.problem.vehicle_classes[ci]
            extra = n - have.get(ci, 0)
            if c.num_available is not None:
                extra = min(extra, c.num_available - have.get(ci, 0))
            self.vehicles += [_Vehicle(ci, *self.class_terminals(ci)) for _ in range(extra)]

    def pickup_node(self, request_idx: int) -> int:
        return self.first_request_node + 2 * request_idx

    def dropoff_node(self, request_idx: int) -> int:
        return self.first_request_node + 2 * request_idx + 1

    def compatible(self, r: Request, c: VehicleClass) -> bool:
        if r.allowed_vehicle_types is not None and c.vehicle_type not in r.allowed_vehicle_types:
            return False
        if r.needs_assistant and not c.has_assistant:
            return False
        return c.seats >= r.seats and c.wheelchair_places >= r.wheelchairs

    def _make_vehicles(self, depot_node: dict[int, int]) -> list[_Vehicle]:
        """A bounded number of copies per class: never more than it could usefully carry."""
        problem = self.problem
        classes = problem.vehicle_classes
        is_cost = problem.objective is ObjectiveKind.COST
        # The class that would carry each request alone most cheaply.
        cheapest: dict[int, int] = {}
        for r in self.requests:
            options = [ci for ci, c in enumerate(classes) if self.compatible(r, c)]
            if options:
                best = min(options, key=lambda ci: (*_layout_rank(classes[ci]), ci))
                cheapest[best] = cheapest.get(best, 0) + 1
        vehicles: list[_Vehicle] = []
        # Equal-cost layouts: the one with more wheelchair places first, so insertion
        # heuristics (which keep the first vehicle of equal cost) leave room to add more.
        for ci in sorted(range(len(classes)), key=lambda ci: (*_layout_rank(classes[ci]), ci)):
            c = classes[ci]
            fits = [r for r in self.requests if self.compatible(r, c)]
            # A layout with wheelchair places, or an assistant, costs more or seats fewer:
            # a vehicle of it is only worth using for a request that needs it.
            if c.has_assistant:
                fits = [r for r in fits if r.needs_assistant]
            if c.wheelchair_places > 0 and is_cost:
                fits = [r for r in fits if r.wheelchairs > 0]
            copies = len(fits)
            if is_cost and COPIES_SHARE_DIVISOR:
                # Beyond the requests it is cheapest for alone, a class is only worth a
                # vehicle when it carries several: at least half its places filled.
                places = max(1, (c.seats + c.wheelchair_places) // COPIES_SHARE_DIVISOR)
                copies = min(copies, cheapest.get(ci, 0) + -(-len(fits) // places))
            if c.num_available is not None:
                copies = min(copies, c.num_available)
            if problem.max_vehicles is not None:
                copies = min(copies, problem.max_vehicles)
            start = 0 if c.start_loc is None else depot_node[c.start_loc]
            end = 0 if c.end_loc is None else depot_node[c.end_loc]
            vehicles += [_Vehicle(ci, start, end) for _ in range(copies)]
        return vehicles


def _layout_rank(c: VehicleClass) -> tuple[int, int, int]:
    return (c.fixed_cost, -c.wheelchair_places, -c.seats)


def _first_solution_strategy(name: str, num_requests: int, time_limit_s: float) -> int:
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


def _penalty(problem: Problem, model: _Model) -> int:
    """Cost of leaving a request unserved: far above serving it with its own vehicle."""
    max_dist = int(model.distance_m.max()) if model.distance_m.size else 0
    if problem.objective is ObjectiveKind.DISTANCE:
        return 1000 * (4 * max_dist + 1) + 10**7
    worst = max(c.fixed_cost + c.cost_per_m * 4 * max_dist for c in problem.vehicle_classes)
    return 100 * (worst + 1)


def solve(
    problem: Problem,
    params: SolveParams,
    progress: ProgressFn | None = None,
    *,
    solution_limit: int | None = None,
    warm_start: bool = True,
    use_alns: bool = True,
) -> Plan:
    """Plan one run (or one part of a run) with OR-Tools, or the ALNS where it applies.

    Parameters
    ----------
    problem
        The requests, vehicle classes and matrices (from ``build_problem`` or a benchmark).
    params
        ``time_limit_s`` (wall clock, seconds), ``first_solution`` (an OR-Tools
        first-solution strategy name, or "auto": parallel cheapest insertion up to
        ``AUTO_PARALLEL_MAX_REQUESTS`` requests given enough time, else local cheapest
        insertion), ``seed``.
    progress
        Called with a :class:`SolveProgress` on each improving solution (at most twice
        a second) and once at the end; ``best_cost_pence`` is the best cost so far.
    solution_limit
        Stop after this many solutions (with a generous time limit, a reproducible run).
    warm_start
        Start the search from large single-school routes (``routing.warmstart``) instead
        of OR-Tools' first-solution heuristic (cost problems only).
    use_alns
        Distance problems (the literature's benchmarks) that ``routing.improve`` models
        completely go to its search (ALNS for ride-limited problems, PyVRP for VRPTW
        shapes) with ``params.num_workers`` seeds in parallel, instead of OR-Tools
        (not with ``solution_limit``, which counts OR-Tools' solutions).

    Returns
    -------
    Plan
        Routes numbered ``AM-001``... in the problem's location ids; requests no vehicle
        took are unassigned with reason "no feasible vehicle found within the time limit".

    Raises
    ------
    NoSolutionError
        If OR-Tools returns no solution at all (not even one dropping every request).
    """
    started = time.monotonic()
    run = problem.run
    if not problem.requests:
        return _empty_plan(problem, started)
    model = _Model(problem, params.seed)
    if use_alns and problem.objective is ObjectiveKind.DISTANCE and solution_limit is None:
        plan = _solve_alns(problem, model, params, started)
        if plan is not None:
            _report_done(progress, problem, plan, started)
            return plan
    warm: list[tuple[int, list[int]]] = []
    if warm_start and problem.objective is ObjectiveKind.COST:
        from routing.warmstart import initial_routes

        warm = initial_routes(model, WARM_START_SHARE * params.time_limit_s)
        wanted: dict[int, int] = {}
        for ci, _ in warm:
            wanted[ci] = wanted.get(ci, 0) + 1
        model.add_vehicles(wanted)
    if not model.vehicles:
        return _plan_from_routes(problem, model, [], started, 0)
    nodes = model.nodes
    manager = pywrapcp.RoutingIndexManager(
        len(nodes),
        len(model.vehicles),
        [v.start_node for v in model.vehicles],
        [v.end_node for v in model.vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    index = [manager.NodeToIndex(n) for n in range(len(nodes))]

    # Costs.
    classes = problem.vehicle_classes
    cost_cbs: dict[int, int] = {}
    for vi, v in enumerate(model.vehicles):
        c = classes[v.cls_idx]
        per_m = 1 if problem.objective is ObjectiveKind.DISTANCE else c.cost_per_m
        if per_m not in cost_cbs:
            arc = (model.distance_m * per_m).tolist()
            cost_cbs[per_m] = routing.RegisterTransitMatrix(arc)
        routing.SetArcCostEvaluatorOfVehicle(cost_cbs[per_m], vi)
        if problem.objective is ObjectiveKind.COST:
            routing.SetFixedCostOfVehicle(c.fixed_cost, vi)
    if problem.max_vehicles is not None:
        routing.SetMaximumNumberOfActiveVehicles(problem.max_vehicles)

    # Time: service at the node left + travel; waiting allowed (slack).
    h0, h1 = problem.horizon_s
    transit = model.travel_s + model.service_s[:, None]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(time_cb, h1, h1, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    # The council's value of a pupil's minute replaces the span tie-breaker: it prices
    # the rides themselves (measured: see docs/benchmarks-policy.md).
    has_ride_cost = any(r.ride_cost_per_s for r in model.requests)
    for n, node in enumerate(nodes):
        if node.request_idx >= 0:
            time_dim.CumulVar(index[n]).SetRange(*node.window_s)
    for vi, v in enumerate(model.vehicles):
        c = classes[v.cls_idx]
        time_dim.CumulVar(routing.Start(vi)).SetRange(h0, h1)
        time_dim.CumulVar(routing.End(vi)).SetRange(h0, h1)
        time_dim.SetSpanUpperBoundForVehicle(c.max_duration_s, vi)
        if problem.objective is ObjectiveKind.COST and not has_ride_cost:
            time_dim.SetSpanCostCoefficientForVehicle(RIDE_TIE_BREAK_PER_S, vi)
    if has_ride_cost:
        _add_ride_cost(time_dim, model, index)

    # Loads.
    seat_demand = [0] * len(nodes)
    chair_demand = [0] * len(nodes)
    alone_demand = [0] * len(nodes)
    alone_cap = len(model.requests) + 1
    for i, r in enumerate(model.requests):
        p, d = model.pickup_node(i), model.dropoff_node(i)
        seat_demand[p], seat_demand[d] = r.seats, -r.seats
        chair_demand[p], chair_demand[d] = r.wheelchairs, -r.wheelchairs
        a = alone_cap if r.travel_alone else 1
        alone_demand[p], alone_demand[d] = a, -a
    _add_load(routing, "seats", seat_demand, [classes[v.cls_idx].seats for v in model.vehicles])
    if any(chair_demand):
        _add_load(
            routing,
            "wheelchairs",
            chair_demand,
            [classes[v.cls_idx].wheelchair_places for v in model.vehicles],
        )
    if any(r.travel_alone for r in model.requests):
        _add_load(routing, "alone", alone_demand, [alone_cap] * len(model.vehicles))

    # Nodes no vehicle starts or ends at (the dummy when every route has a depot, the
    # depot of a class with no vehicles) are left out: never visited (the dummy's zero
    # travel times would otherwise let a route jump anywhere for free).
    terminals = {v.start_node for v in model.vehicles} | {v.end_node for v in model.vehicles}
    for n in range(model.first_request_node):
        if n not in terminals:
            routing.AddDisjunction([index[n]], 0)
            routing.ActiveVar(index[n]).SetValue(0)

    # Requests: pairs, ride limits, allowed vehicles, drop penalties.
    penalty = _penalty(problem, model)
    vehicles_of_class: dict[int, list[int]] = {}
    for vi, v in enumerate(model.vehicles):
        vehicles_of_class.setdefault(v.cls_idx, []).append(vi)
    for i, r in enumerate(model.requests):
        p, d = index[model.pickup_node(i)], index[model.dropoff_node(i)]
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        if r.max_ride_s is not None:
            time_dim.AddNodePrecedence(d, p, -(r.max_ride_s + r.pickup_service_s))
        else:
            time_dim.AddNodePrecedence(p, d, r.pickup_service_s)
        allowed = [
            vi
            for ci, c in enumerate(classes)
            if model.compatible(r, c)
            for vi in vehicles_of_class.get(ci, ())
        ]
        if len(allowed) < len(model.vehicles):
            # SetAllowedVehiclesForIndex's Python binding rejects every list in 9.15
            # (absl::Span typemap), so restrict the vehicle variables' domains instead.
            routing.VehicleVar(p).SetValues([-1, *allowed])
            routing.VehicleVar(d).SetValues([-1, *allowed])
        routing.AddDisjunction([p], penalty)
        routing.AddDisjunction([d], penalty)
    position = {r.request_id: i for i, r in enumerate(model.requests)}
    for a_id, b_id in problem.incompatible:
        if a_id in position and b_id in position:
            va = routing.VehicleVar(index[model.pickup_node(position[a_id])])
            vb = routing.VehicleVar(index[model.pickup_node(position[b_id])])
            solver.Add(solver.AllDifferentExcept([va, vb], -1))
    # Same vehicle as a soft constraint priced like a dropped request: OR-Tools' filters
    # see it, whereas equal vehicle variables stall the insertion heuristics (measured:
    # no first solution in 8 s on a Havering part, 0.5 s without). A group the search
    # still splits is unassigned afterwards (_split_groups), so no plan breaks the rule.
    for group in problem.same_vehicle:
        members = [position[g] for g in group if g in position]
        if len(members) > 1:
            routing.AddSoftSameVehicleConstraint(
                [index[model.pickup_node(i)] for i in members], penalty
            )
    if not problem.allow_mixed_schools:
        school_type = {s: t for t, s in enumerate(sorted({r.school_id for r in model.requests}))}
        for i, r in enumerate(model.requests):
            for n in (model.pickup_node(i), model.dropoff_node(i)):
                routing.SetVisitType(
                    index[n], school_type[r.school_id], routing.TYPE_ADDED_TO_VEHICLE
                )
        for t1 in range(len(school_type)):
            for t2 in range(t1 + 1, len(school_type)):
                routing.AddHardTypeIncompatibility(t1, t2)
    _cap_shared_availability(routing, solver, problem, model)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = _first_solution_strategy(
        params.first_solution, len(model.requests), params.time_limit_s
    )
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # The time limit covers building the model too, so a part keeps to its share.
    repair_s = min(1.0, 0.05 * params.time_limit_s)  # kept back for _repair
    search_s = max(0.1, params.time_limit_s - repair_s - (time.monotonic() - started))
    search.time_limit.FromMilliseconds(int(search_s * 1000))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    search.log_search = False

    best: list[int | None] = [None]
    last_report = [0.0]
    units = problem.cost_units_per_pence if problem.objective is ObjectiveKind.COST else 1

    def on_solution() -> None:
        cost = int(routing.CostVar().Value())
        if best[0] is None or cost < best[0]:
            best[0] = cost
            now = time.monotonic()
            if progress is not None and now - last_report[0] >= 0.5:
                last_report[0] = now
                progress(
                    SolveProgress(
                        run=run,
                        parts_done=0,
                        parts_total=1,
                        elapsed_s=now - started,
                        best_cost_pence=cost // units,
                        message=f"{problem.name}: improving",
                    )
                )

    routing.AddAtSolutionCallback(on_solution)
    setup_s = time.monotonic() - started
    solution = None
    if warm:
        routing.CloseModelWithParameters(search)
        free: dict[int, list[int]] = {}
        for vi, v in enumerate(model.vehicles):
            free.setdefault(v.cls_idx, []).append(vi)
        per_vehicle: list[list[int]] = [[] for _ in model.vehicles]
        for ci, warm_seq in warm:
            if free.get(ci):
                per_vehicle[free[ci].pop(0)] = [index[n] for n in warm_seq]
        assignment = routing.ReadAssignmentFromRoutes(per_vehicle, True)
        if assignment is None:
            logger.warning("%s: OR-Tools rejected the warm start", problem.name)
        else:
            solution = routing.SolveFromAssignmentWithParameters(assignment, search)
    if solution is None:
        solution = routing.SolveWithParameters(search)
    if solution is None:
        msg = (
            f"OR-Tools found no solution for '{problem.name}' within {params.time_limit_s} s "
            f"(status {routing.status()})."
        )
        raise NoSolutionError(msg)
    routes: list[tuple[int, list[int], list[int]]] = []
    for vi in range(len(model.vehicles)):
        seq: list[int] = []
        idx = solution.Value(routing.NextVar(routing.Start(vi)))
        while not routing.IsEnd(idx):
            if manager.IndexToNode(idx) >= model.first_request_node:
                seq.append(manager.IndexToNode(idx))
            idx = solution.Value(routing.NextVar(idx))
        if seq:
            cumuls = [solution.Min(time_dim.CumulVar(manager.NodeToIndex(n))) for n in seq]
            routes.append((vi, seq, cumuls))
    routes = _split_groups(model, routes)
    routes = _repair(model, routes, max(started + params.time_limit_s, time.monotonic() + 0.2))
    routes = _right_size(model, routes)
    logger.info(
        "%s: %d requests, %d vehicles offered, setup %.1f s, objective %d",
        problem.name,
        len(model.requests),
        len(model.vehicles),
        setup_s,
        solution.ObjectiveValue(),
    )
    plan = _plan_from_routes(problem, model, routes, started, int(solution.ObjectiveValue()))
    _report_done(progress, problem, plan, started)
    return plan


def _report_done(progress: ProgressFn | None, problem: Problem, plan: Plan, started: float) -> None:
    if progress is not None:
        progress(
            SolveProgress(
                run=problem.run,
                parts_done=1,
                parts_total=1,
                elapsed_s=time.monotonic() - started,
                best_cost_pence=plan.cost_pence,
                message=f"{problem.name}: done",
            )
        )


def _solve_alns(
    problem: Problem, model: _Model, params: SolveParams, started: float
) -> Plan | None:
    """The ``routing.improve`` search's plan, mapped into this model; None when it does not apply.

    Measured on the Cordeau a-set (60 s, one process, median of 3 seeds,
    docs/benchmarks-cordeau-60s.md): mean gap to the optimum +0.24%, plain OR-Tools +2.7%.
    """
    from routing import improve

    if not (improve.vrptw_shape(problem) or improve.alns_supported(problem)):
        return None
    if not improve.vrptw_shape(problem):
        # Compiling the ALNS is a one-off cost per machine (numba caches it on disk), like
        # an import: it is not taken from the search's time limit, or a first call on a
        # fresh machine would get no search at all and could leave requests unplaced.
        before = time.monotonic()
        improve.warm_up()
        started += time.monotonic() - before
    left = max(0.1, params.time_limit_s - (time.monotonic() - started))
    found = improve.solve_improved(problem, left, params.seed, num_workers=params.num_workers)
    if found is None:
        return None
    position = {r.request_id: i for i, r in enumerate(model.requests)}
    model.add_vehicles({0: len(found)})
    free = [vi for vi, v in enumerate(model.vehicles) if v.cls_idx == 0]
    if len(free) < len(found):
        logger.warning("%s: the ALNS used more vehicles than the model offers", problem.name)
        return None
    routes: list[tuple[int, list[int], list[int]]] = []
    for vi, visits in zip(free, found, strict=False):
        seq, cumuls = [], []
        for k, is_pickup, start in visits:
            i = position[problem.requests[k].request_id]
            seq.append(model.pickup_node(i) if is_pickup else model.dropoff_node(i))
            cumuls.append(start)
        routes.append((vi, seq, cumuls))
    distance = improve.route_distance_units(problem, found)
    return _plan_from_routes(problem, model, routes, started, distance)


def _right_size(
    model: _Model, routes: list[tuple[int, list[int], list[int]]]
) -> list[tuple[int, list[int], list[int]]]:
    """Each route on the cheapest vehicle class that runs the same sequence.

    Times do not depend on the vehicle, so the schedule stays; a type's ``num_available``
    is respected (a route moves to a capped type only while vehicles of it are left).
    """
    from routing.warmstart import cheapest_class

    problem = model.problem
    if problem.objective is not ObjectiveKind.COST:
        return routes
    classes = problem.vehicle_classes
    cap = {c.vehicle_type: c.num_available for c in classes if c.num_available is not None}
    used: dict[str, int] = {}
    for vi, _, _ in routes:
        name = classes[model.vehicles[vi].cls_idx].vehicle_type
        used[name] = used.get(name, 0) + 1
    out: list[tuple[int, list[int], list[int]]] = []
    moved = 0
    for vi, seq, starts in routes:
        veh = model.vehicles[vi]
        name = classes[veh.cls_idx].vehicle_type
        allowed = {
            ci
            for ci, c in enumerate(classes)
            if c.vehicle_type == name
            or c.vehicle_type not in cap
            or used.get(c.vehicle_type, 0) < cap[c.vehicle_type]
        }
        best = cheapest_class(model, seq, allowed)
        if best is not None and best[0] != veh.cls_idx:
            ci, new_starts = best
            new = _Vehicle(ci, *model.class_terminals(ci))
            if _route_cost(model, new, seq) < _route_cost(model, veh, seq):
                model.vehicles.append(new)
                used[name] -= 1
                used[classes[ci].vehicle_type] = used.get(classes[ci].vehicle_type, 0) + 1
                out.append((len(model.vehicles) - 1, seq, new_starts))
                moved += 1
                continue
        out.append((vi, seq, starts))
    if moved:
        logger.info("%s: %d route(s) moved to a cheaper vehicle class", problem.name, moved)
    return out


def _split_groups(
    model: _Model, routes: list[tuple[int, list[int], list[int]]]
) -> list[tuple[int, list[int], list[int]]]:
    """Take out requests of a same-vehicle group that the search left on several vehicles.

    They are then unassigned (no feasible vehicle found); the rest of each route keeps
    its order and the solver's times.
    """
    vehicle_of: dict[int, int] = {}
    for vi, seq, _ in routes:
        for n in seq:
            vehicle_of[model.nodes[n].request_idx] = vi
    position = {r.request_id: i for i, r in enumerate(model.requests)}
    drop: set[int] = set()
    for group in model.problem.same_vehicle:
        members = [position[g] for g in group if g in position]
        used = {vehicle_of[i] for i in members if i in vehicle_of}
        if len(used) > 1:
            drop.update(members)
    if not drop:
        return routes
    # Expected, not a fault: the plan reports them unassigned with the siblings' reason.
    logger.info("%s: %d sibling request(s) split by the search", model.problem.name, len(drop))
    out: list[tuple[int, list[int], list[int]]] = []
    for vi, seq, cumuls in routes:
        kept = [
            (n, c)
            for n, c in zip(seq, cumuls, strict=True)
            if model.nodes[n].request_idx not in drop
        ]
        if kept:
            out.append((vi, [n for n, _ in kept], [c for _, c in kept]))
    return out


def _route_ok(model: _Model, veh: _Vehicle, seq: list[int]) -> list[int] | None:
    """Service starts of a feasible schedule of ``seq`` on ``veh``, or None.

    Loads (seats, wheelchair places, travelling alone), vehicle-class rules, incompatible
    pairs, one school per route when required, then windows, ride limits and shift by
    the latest and the earliest schedules.
    """
    problem = model.problem
    cls = problem.vehicle_classes[veh.cls_idx]
    seats = chairs = 0
    on_board: set[int] = set()
    schools: set[str] = set()
    for n in seq:
        node = model.nodes[n]
        r = model.requests[node.request_idx]
        if node.is_pickup:
            if not model.compatible(r, cls):
                return None
            seats += r.seats
            chairs += r.wheelchairs
            on_board.add(node.request_idx)
            schools.add(r.school_id)
            if seats > cls.seats or chairs > cls.wheelchair_places:
                return None
            if len(on_board) > 1 and any(model.requests[i].travel_alone for i in on_board):
                return None
        else:
            seats -= r.seats
            chairs -= r.wheelchairs
            on_board.discard(node.request_idx)
    if len(schools) > 1 and not problem.allow_mixed_schools:
        return None
    ids = {model.requests[model.nodes[n].request_idx].request_id for n in seq}
    if any(a in ids and b in ids for a, b in problem.incompatible):
        return None
    for make in (_latest, _earliest):
        starts = make(model, seq)
        if _feasible(model, veh, _schedule(model, seq, starts)):
            return starts
    return None


def _route_cost(model: _Model, veh: _Vehicle, seq: list[int]) -> int:
    cls = model.problem.vehicle_classes[veh.cls_idx]
    path = ([veh.start_node] if veh.start_node else []) + seq
    path += [veh.end_node] if veh.end_node else []
    metres = int(sum(model.distance_m[a, b] for a, b in itertools.pairwise(path)))
    if model.problem.objective is ObjectiveKind.DISTANCE:
        return metres
    return cls.fixed_cost + cls.cost_per_m * metres


def _insert_best(
    model: _Model, veh: _Vehicle, seq: list[int], request_idx: int
) -> tuple[int, list[int], list[int]] | None:
    """Cheapest feasible positions of one request's pickup and drop-off in ``seq``."""
    p, d = model.pickup_node(request_idx), model.dropoff_node(request_idx)
    best: tuple[int, list[int], list[int]] | None = None
    for i in range(len(seq) + 1):
        for j in range(i, len(seq) + 1):
            cand = [*seq[:i], p, *seq[i:j], d, *seq[j:]]
            cost = _route_cost(model, veh, cand)
            if best is not None and cost >= best[0]:
                continue
            starts = _route_ok(model, veh, cand)
            if starts is not None:
                best = (cost, cand, starts)
    return best


def _repair(
    model: _Model, routes: list[tuple[int, list[int], list[int]]], deadline: float
) -> list[tuple[int, list[int], list[int]]]:
    """Place requests the search left out, where a cheap insertion finds room.

    Same-vehicle groups go in together (into one existing route, or one new vehicle);
    other requests one by one. The search stops when it runs out of time or keeps a
    request out because of a soft constraint; this pass costs milliseconds for a few
    requests and stops at ``deadline`` (``time.monotonic()``) when many are left out.
    """
    problem = model.problem
    served = {model.nodes[n].request_idx for _, seq, _ in routes for n in seq}
    missing = [i for i in range(len(model.requests)) if i not in served]
    if not missing:
        return routes
    position = {r.request_id: i for i, r in enumerate(model.requests)}
    units: list[list[int]] = []
    grouped: set[int] = set()
    # A group member already on a route pins the rest of its group to that vehicle.
    vehicle_of = {model.nodes[n].request_idx: vi for vi, seq, _ in routes for n in seq}
    pinned: dict[int, int] = {}
    for group in problem.same_vehicle:
        present = [position[g] for g in group if g in position]
        members = [i for i in present if i in missing]
        on = {vehicle_of[i] for i in present if i in vehicle_of}
        if members and on:
            for i in members:
                pinned[i] = next(iter(on))
        if len(members) > 1:
            units.append(members)
            grouped.update(members)
    units += [[i] for i in missing if i not in grouped]
    routes = list(routes)
    used = {vi for vi, _, _ in routes}
    type_cap: dict[str, int] = {}
    type_used: dict[str, int] = {}
    for vi, v in enumerate(model.vehicles):
        c = problem.vehicle_classes[v.cls_idx]
        if c.num_available is not None:
            type_cap[c.vehicle_type] = c.num_available
            type_used.setdefault(c.vehicle_type, 0)
            if vi in used:
                type_used[c.vehicle_type] += 1
    placed = 0
    for unit in units:
        if time.monotonic() > deadline:
            break
        best: tuple[int, int, int, list[int], list[int]] | None = None  # delta, slot, vi, ...
        options: list[tuple[int, int, list[int]]] = [
            (k, vi, seq) for k, (vi, seq, _) in enumerate(routes)
        ]
        seen_classes: set[int] = set()
        for vi, v in enumerate(model.vehicles):
            c = problem.vehicle_classes[v.cls_idx]
            if vi in used or v.cls_idx in seen_classes:
                continue
            if (
                c.num_available is not None
                and type_used[c.vehicle_type] >= type_cap[c.vehicle_type]
            ):
                continue
            seen_classes.add(v.cls_idx)
            options.append((-1, vi, []))
        if unit[0] in pinned:
            options = [o for o in options if o[0] >= 0 and o[1] == pinned[unit[0]]]
        for slot, vi, seq in options:
            veh = model.vehicles[vi]
            base = _route_cost(model, veh, seq) if seq else 0
            cand: tuple[int, list[int], list[int]] | None = (base, seq, [])
            for i in unit:
                assert cand is not None
                cand = _insert_best(model, veh, cand[1], i)
                if cand is None:
                    break
            if cand is None:
                continue
            delta = cand[0] - base
            if best is None or delta < best[0]:
                best = (delta, slot, vi, cand[1], cand[2])
        if best is None:
            continue
        _, slot, vi, seq, starts = best
        if slot >= 0:
            routes[slot] = (vi, seq, starts)
        else:
            routes.append((vi, seq, starts))
            used.add(vi)
            c = problem.vehicle_classes[model.vehicles[vi].cls_idx]
            if c.num_available is not None:
                type_used[c.vehicle_type] += 1
        placed += len(unit)
    if placed:
        logger.info("%s: repair placed %d request(s) the search left out", problem.name, placed)
    return routes


def _add_ride_cost(time_dim: pywrapcp.RoutingDimension, model: _Model, index: list[int]) -> None:
    """Each request's ride in the objective, exactly: ``ride_cost_per_s`` x (drop - pick).

    A soft lower bound at the pickup window's end L (no feasible pickup is later) costs
    c x (L - T_pick); a soft upper bound at the drop-off window's start U (no feasible
    drop-off is earlier) costs c x (T_drop - U): together c x (T_drop - T_pick) plus a
    constant, which OR-Tools' cumul optimiser minimises as it schedules each route.
    """
    for i, r in enumerate(model.requests):
        if r.ride_cost_per_s:
            pick, drop = index[model.pickup_node(i)], index[model.dropoff_node(i)]
            time_dim.SetCumulVarSoftLowerBound(pick, r.pickup_window_s[1], r.ride_cost_per_s)
            time_dim.SetCumulVarSoftUpperBound(drop, r.dropoff_window_s[0], r.ride_cost_per_s)


def _add_load(
    routing: pywrapcp.RoutingModel, name: str, demand: list[int], capacity: list[int]
) -> None:
    cb = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(cb, 0, capacity, True, name)


def _cap_shared_availability(
    routing: pywrapcp.RoutingModel, solver: pywrapcp.Solver, problem: Problem, model: _Model
) -> None:
    """A type's ``num_available`` bounds its active vehicles over all its classes."""
    by_type: dict[str, list[int]] = {}
    cap: dict[str, int] = {}
    for vi, v in enumerate(model.vehicles):
        c = problem.vehicle_classes[v.cls_idx]
        if c.num_available is not None:
            by_type.setdefault(c.vehicle_type, []).append(vi)
            cap[c.vehicle_type] = c.num_available
    for name, vis in by_type.items():
        if len(vis) > cap[name]:
            active = [routing.ActiveVehicleVar(vi) for vi in vis]
            solver.Add(solver.Sum(active) <= cap[name])


# --------------------------------------------------------------------------- back to the domain


@dataclass(frozen=True, slots=True)
class _Timed:
    node: int
    arrival_s: int
    start_s: int
    departure_s: int


def _schedule(model: _Model, seq: Sequence[int], starts: Sequence[int]) -> list[_Timed]:
    """Arrival and departure from given service starts (departure = start + service)."""
    out: list[_Timed] = []
    for k, n in enumerate(seq):
        start = starts[k]
        arrival = start if k == 0 else out[-1].departure_s + int(model.travel_s[seq[k - 1], n])
        out.append(_Timed(n, arrival, start, start + int(model.service_s[n])))
    return out


def _earliest(model: _Model, seq: Sequence[int]) -> list[int]:
    starts: list[int] = []
    for k, n in enumerate(seq):
        lo = model.nodes[n].window_s[0]
        if k == 0:
            starts.append(lo)
        else:
            prev = seq[k - 1]
            arrive = starts[-1] + int(model.service_s[prev] + model.travel_s[prev, n])
            starts.append(max(arrive, lo))
    return starts


def _latest(model: _Model, seq: Sequence[int]) -> list[int]:
    starts = [0] * len(seq)
    for k in range(len(seq) - 1, -1, -1):
        n = seq[k]
        hi = model.nodes[n].window_s[1]
        if k < len(seq) - 1:
            nxt = seq[k + 1]
            hi = min(hi, starts[k + 1] - int(model.service_s[n] + model.travel_s[n, nxt]))
        starts[k] = hi
    return starts


def _route_legs_s(model: _Model, veh: _Vehicle, seq: Sequence[int]) -> tuple[int, int]:
    """Travel time from the start depot to the first stop and from the last to the end."""
    lead = int(model.travel_s[veh.start_node, seq[0]]) if veh.start_node else 0
    tail = int(model.travel_s[seq[-1], veh.end_node]) if veh.end_node else 0
    return lead, tail


def _feasible(model: _Model, veh: _Vehicle, timed: list[_Timed]) -> bool:
    problem = model.problem
    cls = problem.vehicle_classes[veh.cls_idx]
    pick_end: dict[int, int] = {}
    for k, t in enumerate(timed):
        node = model.nodes[t.node]
        lo, hi = node.window_s
        if not lo <= t.start_s <= hi or t.start_s < t.arrival_s:
            return False
        if k and t.arrival_s != timed[k - 1].departure_s + int(
            model.travel_s[timed[k - 1].node, t.node]
        ):
            return False
        r = model.requests[node.request_idx]
        if node.is_pickup:
            pick_end[node.request_idx] = t.departure_s
        elif r.max_ride_s is not None and t.start_s - pick_end[node.request_idx] > r.max_ride_s:
            return False
    lead, tail = _route_legs_s(model, veh, [t.node for t in timed])
    duration = timed[-1].departure_s + tail - (timed[0].arrival_s - lead)
    h0, h1 = problem.horizon_s
    return (
        duration <= cls.max_duration_s
        and timed[0].arrival_s - lead >= h0
        and timed[-1].departure_s + tail <= h1
    )


def _times(model: _Model, veh: _Vehicle, seq: list[int], cumuls: list[int]) -> list[_Timed]:
    """Pick the schedule: AM as late as feasible (shorter waits, later pickups), PM as early.

    The solver's own times are feasible; they are the fallback when neither extreme is.
    """
    order = (_latest, _earliest) if model.problem.run.value == "AM" else (_earliest, _latest)
    for make in order:
        timed = _schedule(model, seq, make(model, seq))
        if _feasible(model, veh, timed):
            return timed
    timed = _schedule(model, seq, cumuls)
    if not _feasible(model, veh, timed):
        logger.warning("%s: a route's recomputed times break a rule", model.problem.name)
    return timed


def _stops(model: _Model, timed: list[_Timed]) -> tuple[Stop, ...]:
    """One stop per request end, merged with the previous when at the same place, back to back."""
    problem = model.problem
    stops: list[Stop] = []
    prev_t: _Timed | None = None
    for t in timed:
        node = model.nodes[t.node]
        r = model.requests[node.request_idx]
        kind = StopKind.PICKUP if node.is_pickup else StopKind.DROPOFF
        loc_id = problem.location_ids[node.loc]
        if (
            stops
            and prev_t is not None
            and stops[-1].kind is kind
            and stops[-1].location_id == loc_id
            and stops[-1].school_id == r.school_id
            and t.arrival_s == prev_t.departure_s
            and t.start_s == t.arrival_s
        ):
            last = stops[-1]
            stops[-1] = Stop(
                kind=kind,
                pupil_ids=last.pupil_ids + r.pupil_ids,
                location_id=loc_id,
                lon=last.lon,
                lat=last.lat,
                arrival_s=last.arrival_s,
                service_start_s=last.service_start_s,
                departure_s=t.departure_s,
                school_id=r.school_id,
            )
        else:
            stops.append(
                Stop(
                    kind=kind,
                    pupil_ids=r.pupil_ids,
                    location_id=loc_id,
                    lon=problem.lons[node.loc] if problem.lons else 0.0,
                    lat=problem.lats[node.loc] if problem.lats else 0.0,
                    arrival_s=t.arrival_s,
                    service_start_s=t.start_s,
                    departure_s=t.departure_s,
                    school_id=r.school_id,
                )
            )
        prev_t = t
    return tuple(stops)


def _plan_from_routes(
    problem: Problem,
    model: _Model,
    routes: Sequence[tuple[int, list[int], list[int]]],
    started: float,
    objective: int,
) -> Plan:
    out: list[Route] = []
    served: set[int] = set()
    for vi, seq, cumuls in routes:
        veh = model.vehicles[vi]
        cls = problem.vehicle_classes[veh.cls_idx]
        timed = _times(model, veh, seq, cumuls)
        served.update(model.nodes[n].request_idx for n in seq)
        path = ([veh.start_node] if veh.start_node else []) + seq
        path += [veh.end_node] if veh.end_node else []
        distance = int(sum(model.distance_m[a, b] for a, b in itertools.pairwise(path)))
        lead, tail = _route_legs_s(model, veh, seq)
        duration = timed[-1].departure_s + tail - (timed[0].arrival_s - lead)
        out.append(
            Route(
                route_id=f"{problem.run.value}-{len(out) + 1:03d}",
                run=problem.run,
                vehicle_type=cls.vehicle_type,
                seats=cls.seats,
                wheelchair_places=cls.wheelchair_places,
                has_assistant=cls.has_assistant,
                stops=_stops(model, timed),
                distance_m=distance,
                duration_s=duration,
                cost_pence=units_run_cost_pence(
                    cls.fixed_cost,
                    cls.cost_per_m,
                    distance,
                    problem.cost_units_per_pence,
                    cls.cost_per_mile_pence,
                ),
            )
        )
    with_siblings = {rid for group in problem.same_vehicle for rid in group}
    unassigned = tuple(
        Unassigned(pid, problem.run, SIBLINGS_APART_REASON, code=UnassignedCode.SIBLINGS_APART)
        if r.request_id in with_siblings
        else Unassigned(pid, problem.run, NOT_PLACED_REASON, code=UnassignedCode.NOT_PLACED)
        for i, r in enumerate(model.requests)
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


def _empty_plan(problem: Problem, started: float) -> Plan:
    return Plan(
        scenario_name=problem.name,
        routes=(),
        unassigned=(),
        travel_model=problem.travel_model,
        solve_seconds=round(time.monotonic() - started, 3),
        notes=problem.notes,
    )


def plan_distance_m(plan: Plan) -> int:
    """Total metres over a plan's routes."""
    return sum(r.distance_m for r in plan.routes)


__all__ = ["NOT_PLACED_REASON", "solve"]
