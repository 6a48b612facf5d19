"""Plain OR-Tools, set up as most users would, as the reference for every benchmark report.

Reads an instance with the product's readers (``routing.bench``) and solves it with its own
OR-Tools model, independent of ``routing.solver``:

- DARP: pickup-and-delivery (``AddPickupAndDelivery`` + same vehicle + precedence), a time
  dimension with time windows and each route's duration as its span limit, ride limits as
  time-dimension node precedences ``start(drop) - start(pickup) - service(pickup) <= L``, a
  capacity dimension, every request optional with a large drop penalty (without one no
  first-solution strategy finds any solution on these instances);
- VRPTW (a Problem without ride limits whose pickups are all at the depot at time 0): the
  plain capacitated VRPTW model of the OR-Tools guide (demands, time windows), as a user
  would write it;
- first solution PARALLEL_CHEAPEST_INSERTION (default) or LOCAL_CHEAPEST_INSERTION, guided
  local search, the time limit, one process.

Usage::

    .venv/bin/python scripts/reference_ortools.py darp ../shared/bench/cordeau_a/a2-16.txt \\
        --time-limit 10 [--first-solution local] [--bks ../shared/bench/bks.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.model import Plan
from routing.problem import Problem
from routing.solver import Visit, plan_from_visits

FIRST_SOLUTIONS = {
    "parallel": routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    "local": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
}
DROP_PENALTY = 10**9


def _is_vrptw(problem: Problem) -> bool:
    vc = problem.vehicle_classes[0]
    return all(
        r.max_ride_s is None
        and r.pickup_loc == vc.start_loc
        and r.pickup_window_s[0] == r.pickup_window_s[1]
        for r in problem.requests
    )


def _search_params(time_limit_s: float, first_solution: str) -> object:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FIRST_SOLUTIONS[first_solution]
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    return params


def solve_reference(
    problem: Problem, time_limit_s: float, first_solution: str = "parallel"
) -> Plan:
    """Solve a benchmark Problem with plain OR-Tools; returns the product's Plan shape."""
    t0 = time.perf_counter()
    if _is_vrptw(problem):
        routes = _solve_vrptw(problem, time_limit_s, first_solution)
    else:
        routes = _solve_pdp(problem, time_limit_s, first_solution)
    return plan_from_visits(
        problem, routes, solve_seconds=time.perf_counter() - t0, travel_model="reference"
    )


def _solve_pdp(problem: Problem, time_limit_s: float, first_solution: str) -> list[list[Visit]]:
    vc = problem.vehicle_classes[0]
    num_v = problem.max_vehicles or vc.num_available or len(problem.requests)
    reqs = problem.requests
    nr = len(reqs)
    assert vc.start_loc is not None and vc.end_loc is not None
    # Nodes: 0 start depot, 1..nr pickups, nr+1..2nr drop-offs, 2nr+1 end depot.
    loc = [vc.start_loc] + [r.pickup_loc for r in reqs] + [r.dropoff_loc for r in reqs]
    loc.append(vc.end_loc)
    service = [0] + [r.pickup_service_s for r in reqs] + [r.dropoff_service_s for r in reqs] + [0]
    demand = [0] + [r.seats for r in reqs] + [-r.seats for r in reqs] + [0]
    n_nodes = len(loc)
    end_node = n_nodes - 1
    manager = pywrapcp.RoutingIndexManager(n_nodes, num_v, [0] * num_v, [end_node] * num_v)
    routing = pywrapcp.RoutingModel(manager)
    dist = problem.distance_m
    dur = problem.duration_s

    def dist_cb(i: int, j: int) -> int:
        return int(dist[loc[manager.IndexToNode(i)], loc[manager.IndexToNode(j)]])

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + int(dur[loc[a], loc[b]])

    def demand_cb(i: int) -> int:
        return demand[manager.IndexToNode(i)]

    dist_idx = routing.RegisterTransitCallback(dist_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(dist_idx)
    time_idx = routing.RegisterTransitCallback(time_cb)
    horizon = problem.horizon_s[1]
    routing.AddDimension(time_idx, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    dem_idx = routing.RegisterUnaryTransitCallback(demand_cb)
    routing.AddDimensionWithVehicleCapacity(dem_idx, 0, [vc.seats] * num_v, True, "load")
    solver = routing.solver()
    for v in range(num_v):
        tdim.CumulVar(routing.Start(v)).SetRange(*problem.horizon_s)
        tdim.CumulVar(routing.End(v)).SetRange(*problem.horizon_s)
        tdim.SetSpanUpperBoundForVehicle(vc.max_duration_s, v)
    for k, r in enumerate(reqs):
        p = manager.NodeToIndex(1 + k)
        d = manager.NodeToIndex(1 + nr + k)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        tdim.CumulVar(p).SetRange(*r.pickup_window_s)
        tdim.CumulVar(d).SetRange(*r.dropoff_window_s)
        # Precedence, and the ride limit start(d) - start(p) - service(p) <= L, as
        # time-dimension node precedences (OR-Tools' filters check them incrementally).
        tdim.AddNodePrecedence(p, d, r.pickup_service_s)
        if r.max_ride_s is not None:
            tdim.AddNodePrecedence(d, p, -(r.max_ride_s + r.pickup_service_s))
        routing.AddDisjunction([p], DROP_PENALTY)
        routing.AddDisjunction([d], DROP_PENALTY)
    for v in range(num_v):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(v)))
    solution = routing.SolveWithParameters(_search_params(time_limit_s, first_solution))
    routes: list[list[Visit]] = []
    if solution is None:
        return routes
    for v in range(num_v):
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        visits: list[Visit] = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            is_pickup = node <= nr
            k = node - 1 if is_pickup else node - 1 - nr
            visits.append(Visit(k, is_pickup, solution.Value(tdim.CumulVar(idx))))
            idx = solution.Value(routing.NextVar(idx))
        if visits:
            routes.append(visits)
    return routes


def _solve_vrptw(problem: Problem, time_limit_s: float, first_solution: str) -> list[list[Visit]]:
    vc = problem.vehicle_classes[0]
    num_v = problem.max_vehicles or vc.num_available or len(problem.requests)
    reqs = problem.requests
    assert vc.start_loc is not None and vc.end_loc is not None
    # Nodes: 0 depot, 1..nr customers (the requests' drop-offs).
    loc = [vc.start_loc] + [r.dropoff_loc for r in reqs]
    service = [0] + [r.dropoff_service_s for r in reqs]
    demand = [0] + [r.seats for r in reqs]
    manager = pywrapcp.RoutingIndexManager(len(loc), num_v, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = problem.distance_m
    dur = problem.duration_s

    def dist_cb(i: int, j: int) -> int:
        return int(dist[loc[manager.IndexToNode(i)], loc[manager.IndexToNode(j)]])

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + int(dur[loc[a], loc[b]])

    def demand_cb(i: int) -> int:
        return demand[manager.IndexToNode(i)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist_cb))
    horizon = problem.horizon_s[1]
    routing.AddDimension(routing.RegisterTransitCallback(time_cb), horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand_cb), 0, [vc.seats] * num_v, True, "load"
    )
    for v in range(num_v):
        tdim.CumulVar(routing.Start(v)).SetRange(*problem.horizon_s)
        tdim.CumulVar(routing.End(v)).SetRange(*problem.horizon_s)
    for k, r in enumerate(reqs):
        idx = manager.NodeToIndex(1 + k)
        tdim.CumulVar(idx).SetRange(*r.dropoff_window_s)
        routing.AddDisjunction([idx], DROP_PENALTY)
    solution = routing.SolveWithParameters(_search_params(time_limit_s, first_solution))
    routes: list[list[Visit]] = []
    if solution is None:
        return routes
    t0 = problem.horizon_s[0]
    for v in range(num_v):
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        drops: list[Visit] = []
        while not routing.IsEnd(idx):
            k = manager.IndexToNode(idx) - 1
            drops.append(Visit(k, False, solution.Value(tdim.CumulVar(idx))))
            idx = solution.Value(routing.NextVar(idx))
        if drops:
            routes.append([Visit(v.request_idx, True, t0) for v in drops] + drops)
    return routes


def main(argv: list[str] | None = None) -> int:
    """Solve instances with plain OR-Tools and print one line each (or JSON lines)."""
    from routing.bench.harness import run_cli

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", choices=["darp", "vrptw"])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--first-solution", choices=sorted(FIRST_SOLUTIONS), default="parallel")
    ap.add_argument("--bks", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    def solver(problem: Problem, time_limit_s: float, seed: int) -> Plan:
        return solve_reference(problem, time_limit_s, args.first_solution)

    return run_cli(
        args.family,
        list(args.files),
        args.time_limit,
        0,
        args.bks,
        args.json,
        print,
        solver=solver,
        solver_name=f"ortools-{args.first_solution}",
    )


if __name__ == "__main__":
    sys.exit(main())
